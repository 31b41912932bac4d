"""No interface word stays in English on a Chinese page: a crawl of the demo in zh_CN reads
every text and every label a person sees or hears (title, aria-label, placeholder, alt, a
button's value) and fails on any English word that is not the company's own data (names,
goal titles, units, comments: whatever a person typed, taken from the database)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from perfsite.extensions import db

from .conftest import seed_demo
from .site_crawl import crawl, kind_of
from .test_crawl import DEMO_LOGINS

# Once per CI run (the SQLite pass): the words come from the templates and the catalogue, and
# the demo's data is the same on each database.
pytestmark = pytest.mark.once

# Columns that hold a code the site translates for display (a status, a kind, a phase), not
# text a person typed: their values must never reach a page as they are stored.
CODE_COLUMNS = {"phase", "status", "kind", "locale", "source", "audit_event.action", "object_type",
                "rater_group", "result_type", "mode", "transport", "commit_state",
                "commit_phase", "role", "section", "metric_type", "origin", "proposal_status",
                "band", "calibrated_band", "from_band", "to_band", "appeal_band", "token",
                "token_hash", "password_hash", "previous_password_hash", "url_sealed",
                "secret_sealed", "dedupe_key", "claimed_by", "item_key", "commit_token"}
# Words that are the same in a Chinese interface: names of products and formats, the
# site's name, abbreviations Chinese HR teams write in Latin letters.
KEPT_WORDS = {"perfsite", "KPI", "KPIs", "HR", "CSV", "XLSX", "Excel", "PDF", "ID", "URL",
              "DingTalk", "Feishu", "WeCom", "SMTP", "HTTPS", "HTTP", "iCalendar", "ics",
              "PM", "AM", "UTC", "English", "htmx", "JavaScript", "Webhook", "webhook", "Slack",
              "Microsoft", "Teams", "CNY", "SEC", "MB", "UTF", "xlsx", "csv",
              # ISO 4217 currency codes, as Chinese finance teams write them too
              "USD", "EUR", "HKD", "JPY", "GBP", "SGD",
              # sign-in protocols and the file the settings page points to
              "LDAP", "OIDC", "README"}
# Product names of more than one word, kept whole (never their words one by one).
KEPT_PHRASES = ("OpenID Connect", "Active Directory")
# An environment variable's name (OIDC_CLIENT_SECRET) is what the administrator types: literal.
ENVIRONMENT_VARIABLE = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![A-Za-z0-9_])")
VISIBLE_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


class TextParser(HTMLParser):
    """What a person reads or a screen reader says on the page, one string per text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0  # inside <script> or <style>, or <code>: literal text, not words

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._hidden += 1
        attrs = dict(attrs)
        self.texts += [v for k, v in attrs.items() if k in VISIBLE_ATTRIBUTES and v]
        if tag == "input" and (attrs.get("type") or "") in ("submit", "button") \
                and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def user_data(app) -> list[str]:
    """Every text the demo company typed (string columns that are not codes), longest
    first, so that a longer text is taken out before a shorter one inside it."""
    found: set[str] = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(c.type, sa.String | sa.Text | sa.JSON)
                       and c.name not in CODE_COLUMNS
                       and f"{table.name}.{c.name}" not in CODE_COLUMNS]
            if not columns:
                continue
            for row in db.session.execute(sa.select(*columns)):
                for value in row:
                    found.update(_texts(value))
    return sorted(found, key=len, reverse=True)


def _texts(value, key: str = ""):
    """The texts in a column's value; in JSON (an audit event's before and after, a cycle's
    scale labels) the texts under keys that are not codes."""
    if isinstance(value, str) and value.strip() and key not in CODE_COLUMNS:
        yield value.strip()
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v, key)


def english_words(html: str, typed: list[str]) -> set[str]:
    parser = TextParser()
    parser.feed(html)
    parser.close()
    words = set()
    for text in parser.texts:
        for value in typed:
            if value in text:  # as a whole: "C" (a department's code) is not in "CNY"
                text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
        for phrase in KEPT_PHRASES:
            text = text.replace(phrase, " ")
        text = ENVIRONMENT_VARIABLE.sub(" ", text)
        words.update(w for w in WORD.findall(text) if w not in KEPT_WORDS)
    return words


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_no_english_interface_word_on_a_chinese_page(app, username):
    seed_demo(app)
    typed = user_data(app)
    pages, left = 0, {}
    for url, html in crawl(app, username, "zh_CN"):
        pages += 1
        for word in english_words(html, typed):
            left.setdefault(word, set()).add(kind_of(url))
    assert pages > 20, f"{username} reached only {pages} pages"
    assert not left, f"{len(left)} English words on Chinese pages:\n" + "\n".join(
        f"{word!r} on {', '.join(sorted(kinds)[:4])}" for word, kinds in sorted(left.items()))


def test_the_word_check_finds_english_and_allows_typed_text():
    page = """<html><body><h1>绩效计划</h1><p>计划状态：assigned</p>
      <input type="search" placeholder="Find someone by name">
      <p>Liu Yang 的目标：Open the platform to partners</p>
      <script>var notShown = "English";</script><span title="查看">KPI</span></body></html>"""
    found = english_words(page, ["Open the platform to partners", "Liu Yang"])
    assert found == {"assigned", "Find", "someone", "by", "name"}


def test_product_names_and_variables_are_kept_but_not_the_words_beside_them():
    page = """<p>单点登录（OpenID Connect）：设置 OIDC_CLIENT_SECRET。Active users</p>
      <p>目录（LDAP / Active Directory）Connect now</p>"""
    assert english_words(page, []) == {"Active", "users", "Connect", "now"}
