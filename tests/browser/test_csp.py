"""The Content-Security-Policy in Chromium: the pages every demo role opens break none of it.

A violation shows up twice, and both are watched: as a console message that mentions
"Content Security Policy", and as a `securitypolicyviolation` event, recorded by a script
the browser runs in every document before the page's own.
"""

from __future__ import annotations

import re

import pytest

from .conftest import expect, login

DEMO_USERNAMES = ["exec", "hr", "head", "staff", "peer"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.effectiveDirective + " refused "
    + (event.blockedURI || "inline") + " in " + event.sourceFile + ":" + event.lineNumber);
});
"""


class Watch:
    """CSP violations and script requests of one page, across its navigations."""

    def __init__(self, page, cdn_url: str):
        self.page = page
        self.cdn_url = cdn_url
        self.console: list[str] = []
        self.events: list[str] = []
        self.scripts: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("request", lambda r: self.scripts.append(r.url)
                if r.resource_type == "script" else None)

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self.console.append(f"{message.text} ({self.page.url})")

    def open(self, path: str):
        """Go to `path`, let htmx's follow-up requests finish, and collect violations."""
        response = self.page.goto(path)
        # No policy would mean no violations: a vacuous pass.
        assert "script-src" in response.headers.get("content-security-policy", ""), path
        self.page.wait_for_load_state("networkidle")
        self.collect()
        return response

    def collect(self) -> None:
        found = self.page.evaluate("window.__cspViolations || []")
        self.events += [f"{v} ({self.page.url})" for v in found]
        self.page.evaluate("window.__cspViolations = []")

    def violations(self) -> list[str]:
        return self.console + self.events


@pytest.fixture
def watched(page, live_server):
    return Watch(page, live_server.app.config["HTMX_CDN_URL"])


def main_nav_paths(page) -> list[str]:
    hrefs = page.get_by_role("navigation", name="Main").locator("a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(hrefs))


def test_pages_answer_with_the_content_security_policy(page, live_server):
    response = page.goto("/login")
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self';" in header
    assert "style-src 'self'" in header and "'unsafe-inline'" not in header


def test_with_htmx_from_the_cdn_the_policy_allows_that_one_file(page, htmx_from_cdn):
    response = page.goto("/login")
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self' " + htmx_from_cdn.app.config["HTMX_CDN_URL"] + ";" in header


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_no_page_a_demo_role_opens_violates_the_policy(watched, page, username):
    watched.open("/login")
    login(page, username)
    watched.collect()
    paths = ["/", *main_nav_paths(page), "/planning/me", "/account/password"]
    # home, planning, a plan, check-ins, to-dos, and what the role may open of people,
    # departments, cycles, import and the audit log
    opened = []
    for path in dict.fromkeys(paths):
        response = watched.open(path)
        assert response.ok, f"{path}: {response.status}"
        opened.append(path)
    assert {"/", "/planning/", "/coaching/"} <= set(opened)
    if username == "hr":
        assert {"/people", "/departments", "/cycles/", "/audit"} <= set(opened)
    if "/cycles/" in opened:  # and one cycle's page
        watched.open("/cycles/")
        cycle = page.locator("main a[href^='/cycles/']").filter(has_text="2027 H1").first
        watched.open(cycle.get_attribute("href"))
    assert watched.violations() == []


def test_htmx_swaps_break_no_policy(watched, page):
    watched.open("/login")
    login(page, "hr", then="/people")
    watched.collect()
    page.get_by_label("Search by name, username, e-mail or title").press_sequentially("Zhang")
    expect(page).to_have_url(re.compile(r"/people\?(.*&)?q=Zhang"))
    expect(page.locator("#people-table tbody tr").filter(has_text="Liu Yang")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    watched.collect()
    watched.open("/departments")  # loaded, so htmx handles the click below
    page.get_by_role("link", name="Edit Engineering").click()
    expect(page.locator("#departments-table tr.editing")).to_have_count(1)
    watched.collect()
    assert watched.violations() == []


def test_htmx_comes_from_the_cdn_route_not_the_fallback(watched, page, live_server,
                                                        htmx_from_cdn):
    watched.open("/login")
    login(page, "staff")
    watched.open("/planning/")
    assert page.evaluate("window.htmx && window.htmx.version") == live_server.app.config[
        "HTMX_VERSION"]
    assert watched.cdn_url in watched.scripts
    assert not [url for url in watched.scripts if "/static/vendor/htmx" in url]
    assert page.locator("script[src*='/static/vendor/htmx']").count() == 0
    assert watched.violations() == []


def test_the_local_fallback_loads_under_the_policy_when_the_cdn_fails(open_page, console,
                                                                      live_server,
                                                                      htmx_from_cdn):
    console.allow(re.escape(live_server.app.config["HTMX_CDN_URL"]))
    page = open_page(htmx_cdn="abort")
    watched = Watch(page, live_server.app.config["HTMX_CDN_URL"])
    watched.open("/login")
    assert page.evaluate("window.htmx && window.htmx.version") == live_server.app.config[
        "HTMX_VERSION"]
    assert [url for url in watched.scripts if "/static/vendor/htmx" in url]
    assert watched.violations() == []


def test_the_browser_enforces_the_policy(watched, page, console):
    """An injected inline script does not run: the policy is in force, not only sent."""
    console.allow("Content Security Policy")
    watched.open("/login")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__inlineRan = true";
        document.head.appendChild(script);
    }""")
    assert page.evaluate("window.__inlineRan === true") is False
    watched.collect()
    assert any("script-src" in v for v in watched.violations())
