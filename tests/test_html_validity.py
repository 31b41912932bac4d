"""Every page each demo login reaches is valid HTML in the ways browsers and validators
notice: ids are unique, <time datetime> is a valid date-time (no microseconds), a required
<select> starts with an empty placeholder option; and /favicon.ico answers."""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser

import pytest

from .conftest import Browserless
from .test_crawl import (
    DEMO_LOGINS,
    MAX_PAGES,
    _internal,
    _PageParser,
    demo_company,  # noqa: F401  (a fixture)
)

# Once per CI run (the SQLite pass): the pages' markup comes from the templates; that every
# page renders on each database is test_crawl's to show.
pytestmark = pytest.mark.once

# A valid global date and time string as the site writes it: UTC, whole seconds.
HTML_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


class ValidityParser(HTMLParser):
    """Collects what the checks below need from one page (or htmx fragment)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.datetimes: list[str] = []
        self.required_selects: list[dict] = []
        self._select: dict | None = None  # the required <select> whose first option is awaited
        self._option: dict | None = None  # that first option, while its text is read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") is not None:
            self.ids[attrs["id"]] += 1
        if tag == "time" and "datetime" in attrs:
            self.datetimes.append(attrs["datetime"] or "")
        if tag == "select":
            single = "multiple" not in attrs and (attrs.get("size") or "1") == "1"
            if "required" in attrs and single:
                self._select = {"name": attrs.get("name"), "first_value": None}
                self.required_selects.append(self._select)
        elif tag == "option" and self._select is not None:
            # Without a value attribute an option's value is its text.
            self._option = {"value": attrs.get("value"), "text": ""}
        elif tag == "optgroup" and self._select is not None:
            self._select["first_value"] = "(first option inside an optgroup)"
            self._select = None

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag in ("option", "select") and self._option is not None and self._select is not None:
            value = self._option["value"]
            text = self._option["text"].strip()
            self._select["first_value"] = value if value is not None else text
            self._select = self._option = None
        if tag == "select":
            self._select = self._option = None


def problems_in(html: str, tally: Counter | None = None) -> list[str]:
    parser = ValidityParser()
    parser.feed(html)
    parser.close()
    if tally is not None:  # what was checked, so that a test sees it checked something
        tally.update(times=len(parser.datetimes), required_selects=len(parser.required_selects))
    found = [f'id "{name}" appears {n} times' for name, n in parser.ids.items() if n > 1]
    found += [f'<time datetime="{value}"> is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'
              for value in parser.datetimes if not HTML_DATETIME.match(value)]
    found += [f'<select name="{select["name"]}" required> starts with an option of value '
              f'{select["first_value"]!r}, not an empty placeholder'
              for select in parser.required_selects if select["first_value"] != ""]
    return found


def _crawl_pages(client):
    """Every HTML answer (pages and the htmx fragments they link to) reachable from "/"."""
    seen: set[str] = set()
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        yield url, html
        links = _PageParser()
        links.feed(html)
        queue.extend(t for t in map(_internal, links.links) if t and t not in seen)


@pytest.mark.usefixtures("demo_company")
@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_reachable_page_is_valid_html(app, username):
    client = Browserless(app.test_client())
    assert client.login(username).status_code == 302
    pages, checked = 0, Counter()
    failures: dict[str, list[str]] = {}  # a kind of problem -> the pages that have it
    for url, html in _crawl_pages(client):
        pages += 1
        for problem in problems_in(html, checked):
            failures.setdefault(re.sub(r"\d", "N", problem), []).append(url)
    assert pages > 5, f"{username} reached only {pages} pages"
    # Every login sees dated entries; heads and HR reach the forms with a required <select>.
    assert checked["times"], f"{username} reached no <time datetime>"
    if username in ("head", "hr"):
        assert checked["required_selects"], f"{username} reached no required <select>"
    assert not failures, "\n".join(f"{problem} on {len(urls)} pages, e.g. {', '.join(urls[:3])}"
                                    for problem, urls in failures.items())


def test_the_checks_catch_what_they_look_for():
    """The parser is not vacuous: each kind of fault in a page is reported."""
    page = """
      <form><input id="csrf_token" name="csrf_token"></form>
      <form><input id="csrf_token" name="csrf_token"></form>
      <time datetime="2026-05-01T09:30:00.123456">1 May</time>
      <time datetime="2026-05-01T09:30:00">1 May</time>
      <select name="metric" required><option value="number">Number</option></select>
      <select name="ok" required><option value="">Choose…</option><option>a</option></select>
      <select name="text" required><option>Number</option></select>
      <select name="many" required multiple><option value="a">a</option></select>
    """
    found = problems_in(page)
    assert 'id "csrf_token" appears 2 times' in found
    assert any("2026-05-01T09:30:00.123456" in p for p in found)
    assert any("2026-05-01T09:30:00\"" in p for p in found), "a date-time without a zone"
    assert any('name="metric"' in p for p in found)
    assert any('name="text"' in p for p in found)
    assert not any('name="ok"' in p or 'name="many"' in p for p in found)
    assert len(found) == 5
    clean = """<p id="a"></p><p id="b"></p><time datetime="2026-05-01T09:30:00Z">x</time>
               <time datetime="2026-05-01">x</time>"""
    assert problems_in(clean) == []


def test_favicon_answers_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.content_type.startswith(("image/x-icon", "image/vnd.microsoft.icon"))
    assert response.data[:4] == b"\x00\x00\x01\x00", "an ICO file"


def test_every_page_links_its_icon(client):
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', html)
    assert match, "no <link rel=icon> in the layout"
    assert client.get(match.group(1)).status_code == 200
