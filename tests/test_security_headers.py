"""Security headers on every response, and markup that keeps to the Content-Security-Policy.

The policy allows scripts only from the site and the pinned htmx file, and no inline script,
inline style or eval. The browser test (tests/browser/test_csp.py) watches real pages for
violations; these tests check the header on every kind of answer, and that no template
brings back what the policy forbids.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import render_template_string

from perfsite import ROOT


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


def expected_policy(app) -> dict[str, list[str]]:
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'", app.config["HTMX_CDN_URL"]] if app.config["HTMX_FROM_CDN"]
        else ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/css/site.css",
                                  "/static/js/htmx-cdn.js", "/no-such-page", "/people"])
def test_anonymous_answers_carry_the_policy(app, client, company, path):
    response = client.get(path)
    assert policy(response) == expected_policy(app)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_fragments_redirects_and_refusals_carry_the_policy(app, client, login_as):
    hr = login_as("hr")
    staff = login_as("staff")
    answers = {
        "page": hr.get("/people"),
        "htmx fragment": hr.get("/people?q=Liu", headers={"HX-Request": "true"}),
        "redirect": staff.get("/planning/me"),
        "403": staff.get("/audit"),
        "422": staff.post_form("/account/password", {"current_password": "perfsite-demo",
                                                     "new_password": "short",
                                                     "confirm": "short"},
                               token_from="/account/password"),
        "htmx 401": client.get("/people?q=zh", headers={"HX-Request": "true"}),
    }
    assert [answers["page"].status_code, answers["htmx fragment"].status_code,
            answers["redirect"].status_code, answers["403"].status_code,
            answers["422"].status_code, answers["htmx 401"].status_code] == [
        200, 200, 302, 403, 422, 401]
    for kind, response in answers.items():
        assert policy(response) == expected_policy(app), kind


def test_htmx_is_configured_to_need_no_inline_style_and_no_eval(client, company):
    html = client.get("/login").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)[1])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False


def test_with_htmx_from_the_cdn_the_policy_names_that_file_and_no_more(fresh_app):
    fresh_app.config["HTMX_FROM_CDN"] = True
    response = fresh_app.test_client().get("/login")
    assert policy(response)["script-src"] == ["'self'", fresh_app.config["HTMX_CDN_URL"]]
    assert forbidden_markup(fresh_app, response.get_data(as_text=True)) == []


# --- markup the policy would refuse ----------------------------------------------------------

class _Forbidden(HTMLParser):
    """Collects what the policy refuses: inline scripts, style blocks and attributes,
    event-handler attributes, javascript: URLs, scripts from elsewhere."""

    def __init__(self, allowed_script: str):
        super().__init__()
        self.allowed_script = allowed_script
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            src = attributes.get("src")
            if not src:
                self.found.append("inline <script>")
            elif not (src.startswith("/static/") or src == self.allowed_script):
                self.found.append(f"<script src={src}>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}>")
            elif value and value.strip().lower().startswith(("javascript:", "js:")):
                self.found.append(f'<{tag} {name}="{value}">')


def forbidden_markup(app, html: str) -> list[str]:
    parser = _Forbidden(app.config["HTMX_CDN_URL"])
    parser.feed(html)
    return parser.found


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main" class="site-nav">(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav[1]) if nav else []


@pytest.mark.parametrize("username", ["exec", "hr", "head", "staff", "peer"])
def test_pages_each_role_reaches_have_no_markup_the_policy_refuses(app, login_as, username):
    client = login_as(username)
    home = client.get("/").get_data(as_text=True)
    paths = ["/", "/account/password", "/planning/me", *nav_links(home)]
    problems = []
    for path in dict.fromkeys(paths):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        problems += [f"{path}: {p}" for p in forbidden_markup(app, response.get_data(as_text=True))]
    assert problems == []


def test_the_login_page_has_no_markup_the_policy_refuses(app, client, company):
    assert forbidden_markup(app, client.get("/login").get_data(as_text=True)) == []


def test_progress_bars_are_drawn_with_classes_not_inline_style(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "planning/_macros.html" import progress_bar %}'
            "{{ progress_bar(low, 'Progress') }}{{ progress_bar(None, 'x') }}"
            "{{ progress_bar(high, 'y') }}", low=Decimal("0.42"), high=Decimal("1.7"))
    assert forbidden_markup(app, html) == []
    assert re.findall(r'class="(filled-\d+)"', html) == ["filled-40", "filled-0", "filled-100"]
    css = (Path(ROOT) / "static/css/planning.css").read_text()
    assert all(f".filled-{n} {{ width: {n}%; }}" in css for n in range(0, 101, 5))


TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    # htmx runs these through eval, which the policy (and allowEval: false) refuse.
    "hx-on or js: expression": re.compile(r"\bhx-on|[\"'{\s]js:|javascript:", re.I),
}


def test_no_template_brings_back_what_the_policy_refuses():
    problems = []
    for path in sorted((Path(ROOT) / "templates").rglob("*.html")):
        source = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
        for rule, pattern in TEMPLATE_RULES.items():
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {rule}")
    assert problems == []
