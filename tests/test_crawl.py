"""Crawl every page each demo login can reach: no 5xx, every POST form carries a CSRF token,
and a POST without the token is refused with 400."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from .conftest import Browserless, seed_demo

DEMO_LOGINS = ("exec", "hr", "head", "staff", "peer")
MAX_PAGES = 400
# The same page of yet another record adds little: past this many of one shape
# (/talent/cycles/N/people/N), the crawl leaves room for the rest of the site.
PER_SHAPE = 12
# Pages each login must reach by following links (so the crawl really covers the site).
PLANNING = {"/planning/", "/planning/N/people/N", "/planning/N/departments/N",
            "/planning/N/tree", "/planning/N/targets", "/planning/targets/N"}
CHECK_INS = {"/coaching/", "/coaching/todos", "/coaching/notifications"}
EXPECTED_PATHS = {
    "hr": {"/people", "/people/N", "/people/N/edit", "/departments", "/departments/N",
           "/departments/N/edit", "/cycles/", "/cycles/N", "/cycles/N/edit", "/audit",
           "/account/password", "/coaching/overview", "/coaching/obstacles/N",
           "/coaching/requests/N", *PLANNING, *CHECK_INS},
    "exec": {"/people", "/people/N", "/departments", "/departments/N", "/cycles/", "/cycles/N",
             *PLANNING, *CHECK_INS},
    "head": {"/people", "/people/N", "/departments", "/departments/N", "/coaching/people/N",
             "/coaching/kpis/N", "/coaching/obstacles/N", "/coaching/requests/N",
             "/planning/goals/N/inline", "/planning/kpis/N/inline", *PLANNING, *CHECK_INS},
    "staff": {"/", "/people/N", "/account/password", "/coaching/kpis/N", *PLANNING,
              *CHECK_INS},
    "peer": {"/", "/people/N", "/account/password", *PLANNING, *CHECK_INS},
}


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get", "data-hx-get"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(),
                          "action": attrs.get("action") or "", "inputs": set()}
            self.forms.append(self._form)
        if tag == "input" and self._form is not None and attrs.get("name"):
            self._form["inputs"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@pytest.fixture
def demo_company(app):
    seed_demo(app)


def _internal(url: str) -> str | None:
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("/static/"):
        return None
    return url


def _crawl(client) -> tuple[dict[str, int], list[tuple[str, dict]]]:
    seen: dict[str, int] = {}
    forms: list[tuple[str, dict]] = []
    queue = deque(["/"])
    shapes: dict[str, int] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        shape = re.sub(r"\d+", "N", url)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(url)
        seen[url] = response.status_code
        if "text/html" not in response.content_type:
            continue
        parser = _PageParser()
        parser.feed(response.get_data(as_text=True))
        forms.extend((url, form) for form in parser.forms)
        for link in parser.links:
            target = _internal(link)
            if target and target not in seen:
                queue.append(target)
    return seen, forms


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_reachable_page_answers_without_server_error(app, demo_company, username):
    client = Browserless(app.test_client())
    assert client.login(username).status_code == 302
    seen, forms = _crawl(client)
    reached = {re.sub(r"\d+", "N", urlsplit(u).path) for u in seen}
    missing = EXPECTED_PATHS[username] - reached
    assert not missing, f"{username} did not reach {missing}"
    errors = {url: status for url, status in seen.items() if status >= 500}
    assert not errors, errors
    post_forms = [(page, form) for page, form in forms if form["method"] == "post"]
    assert post_forms, "every page has at least the logout form"
    for page, form in post_forms:
        # A prefixed form (prefix="plan") names its token "plan-csrf_token"; Flask-WTF accepts it.
        assert any(name.endswith("csrf_token") for name in form["inputs"]), (
            f"a POST form on {page} has no CSRF token")

    actions = sorted({form["action"] for _page, form in post_forms if form["action"]})
    for action in actions:
        response = client.client.post(action, data={"locale": "en"})
        assert response.status_code == 400, f"POST {action} without CSRF got {response.status_code}"
