"""Browser tests: the real site in a thread, driven by real Chromium through Playwright.

Every test here is marked `browser`. Each test gets its own server on a free port, in front
of the same migrated test database as the `app` fixture (emptied after each test), seeded
with the demo company so the demo logins (exec, hr, head, staff, peer) work.

The site serves htmx from static/vendor with an SRI hash; with HTMX_FROM_CDN (the
`htmx_from_cdn` fixture) it loads the pinned CDN copy and turns to static/vendor when that is
slow or fails. There is no internet in the test run, so every page serves the CDN URL from
the pinned vendor file: if the SRI hash in the config did not match that file, Chromium would
refuse it and the local copy would show up (tests/browser/test_htmx_loading.py).

A page fails its test when the browser logged a console error or an uncaught exception,
unless the test declared that exact error expected (`console.allow(...)`).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import make_server

from perfsite import ROOT
from perfsite.demo import DEMO_PASSWORD, seed_demo_company
from perfsite.extensions import db

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError as error:  # every test then skips (fails under CI) in the `browser` fixture
    PLAYWRIGHT_MISSING = f"{error}: pip install -e '.[test]' (Playwright, axe-playwright-python)"
    expect = None
else:
    PLAYWRIGHT_MISSING = None

CI = os.environ.get("CI") == "true"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Generous: a loaded CI machine can be slow; a passing step takes well under a second.
EXPECT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if item.get_closest_marker("once"):
                # CI's SQLite pass leaves browser tests out, its PostgreSQL pass `once` tests.
                raise pytest.UsageError(f"{item.nodeid}: a browser test cannot be `once` "
                                        "(CI would run it in neither pass; see the Makefile)")


def _unavailable(reason: str):
    """No browser here: skip, except under CI, where nothing may be skipped."""
    if CI:
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium_executable() -> str | None:
    """Debian's Chromium when present (CI installs it); else Playwright's own download."""
    return os.environ.get("CHROMIUM_EXECUTABLE") or shutil.which("chromium") or None


@pytest.fixture(scope="session")
def browser():
    if PLAYWRIGHT_MISSING:
        _unavailable(PLAYWRIGHT_MISSING)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=_chromium_executable(),
                                             args=CHROMIUM_ARGS)
    except PlaywrightError as error:
        failure = str(error).strip().splitlines()[0]
    else:
        failure = None
    if failure:
        playwright.stop()
        _unavailable(f"Chromium could not be started ({failure}); "
                     "apt-get install chromium, or set CHROMIUM_EXECUTABLE")
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class LiveServer:
    url: str
    app: Flask


class _MemoryBytecodeCache(BytecodeCache):
    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


@pytest.fixture(scope="session")
def _demo_snapshot() -> dict:
    """The demo company's rows, table by table, taken after the session's first seeding."""
    return {}


def _seed(app, snapshot: dict) -> None:
    """Seed the demo company once per session; later tests get a copy of its rows.

    seed_demo_company() goes through the services (password hashing, audit records, the
    planning seed…) and takes seconds; inserting the same rows again takes milliseconds.
    """
    with app.app_context():
        if not snapshot or not _restore(snapshot):
            seed_demo_company()
            db.session.commit()
            with db.engine.connect() as conn:
                snapshot.update({table.name: [dict(row._mapping)
                                              for row in conn.execute(table.select())]
                                 for table in db.metadata.sorted_tables})
        db.session.remove()
        db.engine.dispose()


def _restore(snapshot: dict) -> bool:
    """Insert the snapshot's rows (foreign keys checked off: departments and people refer to
    each other). False when this database user may not do so; the caller then seeds."""
    with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        try:
            if postgres:
                conn.exec_driver_sql("SET session_replication_role = replica")  # superuser
            else:  # outside a transaction (the app BEGINs SQLite transactions itself)
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        except DBAPIError:
            conn.rollback()
            return False
        for table in db.metadata.sorted_tables:
            if snapshot.get(table.name):
                conn.execute(table.insert(), snapshot[table.name])
        if postgres:
            for table in db.metadata.sorted_tables:
                column = table.autoincrement_column
                if column is not None and snapshot.get(table.name):
                    # Explicit ids do not move the sequence: move it past them.
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
                        f" (SELECT max({column.name}) FROM {table.name}))"))
        conn.commit()
    return True  # the caller disposes of the engine: no pooled connection keeps the pragma


@pytest.fixture
def live_server(app, _demo_snapshot):
    """The app served over HTTP on 127.0.0.1, with the demo company in its database."""
    # Each test has a new app, hence a new Jinja environment: share compiled templates.
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    _seed(app, _demo_snapshot)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def htmx_from_cdn(live_server):
    """The site with HTMX_FROM_CDN=1: htmx from the pinned CDN, the local copy when it is
    slow or fails (static/js/htmx-cdn.js)."""
    live_server.app.config["HTMX_FROM_CDN"] = True
    yield live_server
    live_server.app.config["HTMX_FROM_CDN"] = False


@dataclass
class ConsoleErrors:
    """Console errors and uncaught exceptions of one browser context."""

    messages: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Declare an error this test expects (a regular expression on "text (url)")."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(p.search(m) for p in self.allowed)]


def _watch(page, errors: ConsoleErrors) -> None:
    def on_console(message):
        if message.type == "error":
            errors.messages.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.messages.append(f"uncaught: {error}"))


@pytest.fixture
def console() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def open_page(browser, live_server, console):
    """open_page(htmx_cdn="serve"|"abort"|None, **context_options) -> a page in a fresh
    context.

    The CDN copy of htmx (asked for with HTMX_FROM_CDN only) is served from the vendor file
    ("serve"), refused ("abort", to exercise the local copy) or left to the test (None).
    Console errors of every page opened fail the test at teardown.
    """
    app = live_server.app
    cdn_url = app.config["HTMX_CDN_URL"]
    vendor = Path(ROOT, "static", "vendor", f"htmx-{app.config['HTMX_VERSION']}.min.js")
    htmx_bytes = vendor.read_bytes()
    contexts = []

    def _open(htmx_cdn: str = "serve", **options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        if htmx_cdn == "serve":
            context.route(cdn_url, lambda route: route.fulfill(
                status=200, body=htmx_bytes, content_type="text/javascript",
                headers={"Access-Control-Allow-Origin": "*"}))
        elif htmx_cdn == "abort":
            context.route(cdn_url, lambda route: route.abort())
        page = context.new_page()
        _watch(page, console)
        return page

    yield _open
    for context in contexts:
        context.close()
    unexpected = console.unexpected()
    if unexpected:
        pytest.fail("the browser logged errors:\n  " + "\n  ".join(unexpected), pytrace=False)


@pytest.fixture
def page(open_page):
    return open_page()


def login(page, username: str, password: str = DEMO_PASSWORD, then: str | None = None) -> None:
    """Log in through the form on /login, as a user would, and wait for the next page.

    With `then`, start from that page: the site sends the browser to log in and back.
    """
    page.goto(then or "/login")
    if then:
        expect(page).to_have_url(re.compile(r"/login\?next="))
    form = page.locator("form[action$='/login']")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/login" not in page.url, f"login as {username} failed: still on {page.url}"
    if then:
        expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def logout(page) -> None:
    with page.expect_navigation():
        page.locator("form[action$='/logout'] button[type=submit]").click()


def check_accessibility(page) -> None:
    """Fail on any axe-core violation of impact "serious" or "critical" on the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    if serious:
        lines = []
        for violation in serious:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {', '.join(map(str, node['target']))}: "
                             f"{node.get('failureSummary', '').replace(chr(10), ' ')}")
        pytest.fail(f"axe: {len(serious)} serious/critical violations on {page.url}\n"
                    + "\n".join(lines), pytrace=False)
