"""htmx never holds a page up: the local copy by default, the pinned CDN copy when asked.

Both carry the Subresource Integrity hash of config HTMX_SRI, so Chromium refuses a copy
that is not the pinned file. With HTMX_FROM_CDN the CDN copy is added by
static/js/htmx-cdn.js, which turns to the local copy when the CDN fails or is slow. The
worst case is a company firewall that drops the packets: the CDN's name resolves, the
connection hangs. Here the CDN's host is mapped to a local port that accepts connections and
never answers (Chromium's --host-resolver-rules), as such a firewall does.
"""

from __future__ import annotations

import re
import socket
import urllib.request
from urllib.parse import urlsplit

import pytest

from .conftest import (
    CHROMIUM_ARGS,
    EXPECT_TIMEOUT_MS,
    _chromium_executable,
    _watch,
    expect,
    login,
)

VERSION = "2.0.11"
LOCAL = f"/static/vendor/htmx-{VERSION}.min.js"
HTMX_READY = "() => window.htmx && window.htmx.version"
# htmx started once: its start-up fires htmx:load on the body once (twice if two copies ran,
# or one copy was started twice).
COUNT_STARTS = """
window.__htmxStarts = 0;
document.addEventListener("htmx:load", function (event) {
  if (event.target === document.body) { window.__htmxStarts += 1; }
});
"""


def assert_started_once(page) -> None:
    page.wait_for_function("() => window.__htmxStarts >= 1")
    page.wait_for_load_state("load")  # every script of the page has run by now
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")  # htmx's own tick
    assert page.evaluate("window.__htmxStarts") == 1


# Milliseconds since the page's first byte arrived: what the CDN could hold up. The server's
# own time to answer comes before it and does not depend on the CDN (on a test machine
# loaded by other runs it alone took over a second for the home page).
FIRST_BYTE = "performance.getEntriesByType('navigation')[0].responseStart"
PAGE_CLOCK = f"() => performance.now() - {FIRST_BYTE}"
FIRST_PAINT = ("() => (performance.getEntriesByName('first-contentful-paint')[0] || {})"
               f".startTime - {FIRST_BYTE}")


def test_htmx_is_the_local_copy_by_default_checked_by_its_sri_hash(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/login")
    assert page.evaluate(HTMX_READY) == VERSION
    tag = page.locator(f"script[src='{LOCAL}']")
    expect(tag).to_have_attribute("integrity", live_server.app.config["HTMX_SRI"])
    assert not [url for url in requested if not url.startswith(live_server.url)]


def test_htmx_from_the_cdn_with_its_sri_hash(open_page, htmx_from_cdn):
    page = open_page(htmx_cdn="serve")  # the CDN URL answers the pinned vendor file
    page.add_init_script(COUNT_STARTS)
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto("/login")
    expect(page.locator("script[src$='/static/js/htmx-cdn.js']")).to_have_count(1)
    page.wait_for_function(HTMX_READY)
    assert_started_once(page)
    # Chromium accepted the CDN copy under the hash, so the local copy was not needed.
    assert htmx_from_cdn.app.config["HTMX_CDN_URL"] in scripts
    assert not [url for url in scripts if LOCAL in url]


def test_htmx_turns_to_the_local_copy_when_the_cdn_fails(open_page, console, htmx_from_cdn):
    console.allow(re.escape(htmx_from_cdn.app.config["HTMX_CDN_URL"]))
    page = open_page(htmx_cdn="abort")
    page.add_init_script(COUNT_STARTS)
    page.goto("/login")
    page.wait_for_function(HTMX_READY)
    assert_started_once(page)
    expect(page.locator(f"script[src='{LOCAL}']")).to_have_attribute(
        "integrity", htmx_from_cdn.app.config["HTMX_SRI"])
    page.goto("/login")  # the tab remembers: the local copy at once, started once
    assert_started_once(page)


def test_a_cdn_copy_that_arrives_late_does_not_run_a_second_htmx(open_page, live_server,
                                                                 htmx_from_cdn):
    held = []
    page = open_page(htmx_cdn=None)
    page.add_init_script(COUNT_STARTS)
    page.route(live_server.app.config["HTMX_CDN_URL"], lambda route: held.append(route))
    page.goto("/login", wait_until="domcontentloaded")
    page.wait_for_function(HTMX_READY)  # the local copy, after the timeout
    page.evaluate("window.__firstHtmx = window.htmx")
    assert len(held) == 1
    vendor = live_server.app.static_folder + f"/vendor/htmx-{VERSION}.min.js"
    with page.expect_event("requestfinished"):
        held[0].fulfill(path=vendor, content_type="text/javascript",
                        headers={"Access-Control-Allow-Origin": "*"})
    page.wait_for_load_state("load")
    assert page.evaluate("window.htmx === window.__firstHtmx")
    assert_started_once(page)


@pytest.fixture
def hanging_cdn_browser(browser, htmx_from_cdn):
    """Chromium for which the CDN's host is a local port that accepts and never answers."""
    host = urlsplit(htmx_from_cdn.app.config["HTMX_CDN_URL"]).hostname
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel accepts; nobody ever reads or answers
        port = listener.getsockname()[1]
        hanging = browser.browser_type.launch(
            executable_path=_chromium_executable(),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {host} 127.0.0.1:{port}"])
        yield hanging
        hanging.close()


def test_a_hanging_cdn_never_holds_a_page_up(hanging_cdn_browser, live_server, console):
    """Times are the page's own (from its first byte), so that a slow test machine's
    Playwright round trips and server do not count; the server has rendered each page once."""
    context = hanging_cdn_browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    _watch(page, console)
    cdn_requests = []
    page.on("request", lambda r: cdn_requests.append(r.url) if "jsdelivr" in r.url else None)
    urllib.request.urlopen(live_server.url + "/login").read()  # templates compiled
    try:
        # Not logged in: the login page.
        page.goto("/login", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="Log in to perfsite")).to_be_visible(timeout=1000)
        assert page.evaluate(FIRST_PAINT) < 1000
        page.wait_for_function(HTMX_READY, timeout=3000)
        assert page.evaluate(PAGE_CLOCK) < 3000
        assert cdn_requests, "the CDN copy was never asked for: the test proves nothing"

        # Logged in: the home page, whose to-do badge htmx loads after the page.
        login(page, "staff")
        page.evaluate("sessionStorage.clear()")  # a new tab: the CDN is tried again
        cdn_requests.clear()
        page.goto("/", wait_until="domcontentloaded")
        expect(page.locator("h1")).to_contain_text("Liu Yang", timeout=1000)
        assert page.evaluate(FIRST_PAINT) < 1000
        expect(page.locator("#todo-count")).to_be_visible(timeout=3000)
        assert page.evaluate(PAGE_CLOCK) < 3000
        assert cdn_requests
    finally:
        context.close()
    assert console.unexpected() == []
