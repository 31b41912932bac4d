"""Hostile input never gets a 500, and a refused post stores nothing.

Every POST form each demo login reaches is posted with each hostile value in each of its
fields in turn (the other fields as the page filled them), and every integer in a route or
a query string is replaced by numbers no database id can hold. The suite runs this on
SQLite and again on PostgreSQL (which refuses NUL bytes and overflowing numbers itself).
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, literal, select, union_all

from perfsite.extensions import db

from .conftest import Browserless, FormParser
from .test_crawl import _internal, _PageParser

HOSTILE = ["", "abc", "sNaN", "NaN", "Infinity", "-0", "1e309", "1E+1000000000",
           str(2**63), "1" + "0" * 30, "x" * 100_000, "a\x00b", "\u202eevil\u202c", "😀"]
HUGE_IDS = [str(2**63), "1" + "0" * 30, "0", "-1"]
# Each login posts the forms of its own part of the site (an executive reaches every
# department's forms, which the head's run covers already).
ROLES = {
    "hr": re.compile(
        r"^/(people|departments|cycles|org|audit|account|reviews|feedback|interviews)"),
    "head": re.compile(r"^/(planning/(?!(\d+/)?targets)|coaching|reviews|feedback|interviews)"),
    "exec": re.compile(r"^/(planning/((\d+/)?targets|targets/)|interviews)"),
    "staff": re.compile(r"^/(planning|coaching|reviews|feedback|interviews)"),
}
# Forms that end a session or leave the site are posted by other tests.
SKIP_ACTIONS = re.compile(r"^/(logout|language)$")


def digest(app) -> str:
    """Rows per table and the sum of their versions, in one statement: a record added,
    removed or edited changes it (login sessions aside: logging in is not what is tested;
    nor the kept to-do lists, a copy of what the records say that a GET keeps afresh)."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name in ("login_session", "todo_count"):
            continue
        version = table.c.get("version")
        parts.append(select(literal(table.name), func.count(),
                            func.coalesce(func.sum(version), 0) if version is not None
                            else literal(0)).select_from(table))
    with app.app_context():
        found = db.session.execute(union_all(*parts)).all()
        db.session.remove()
    return repr(sorted(tuple(row) for row in found))


def pages_with_forms(client, limit=300):
    """(page, form) for every POST form on the pages reachable from home."""
    seen, found, queue = set(), [], deque(["/"])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        for form in FormParser.parse(html):
            if form.method == "POST":
                found.append((url, form))
        parser = _PageParser()
        parser.feed(html)
        queue.extend(t for t in map(_internal, parser.links) if t and t not in seen)
    return found


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


CHOICE_VALUES = ["", "abc", "sNaN", str(2**63), "x" * 100_000, "a\x00b"]


@pytest.mark.parametrize("role", ROLES)
def test_hostile_values_in_every_field_of_every_form_never_answer_500(app, demo, role):
    client = Browserless(app.test_client())
    assert client.login(role).status_code == 302
    forms = {}
    for page, form in pages_with_forms(client):
        action = form.action or page
        if SKIP_ACTIONS.match(action) or not ROLES[role].match(action):
            continue
        # One form of each kind: the goal rows of a plan differ only in the ids in their
        # field names (goal12-title, goal13-title).
        key = (shape(action), tuple(sorted(re.sub(r"\d+", "N", name) for name in form.fields)))
        forms.setdefault(key, (page, form))
    assert forms, f"{role} reached no form"
    tried = 0
    for _key, (page, form) in sorted(forms.items()):
        form.client = client
        form.page = page
        before = digest(app)
        kinds = set()
        for name in sorted(form.fields):
            if name.endswith("csrf_token"):
                continue
            # One field of each kind: a review's score for one KPI (kpi12-score) is read by
            # the same code as for the next (kpi13-score).
            kind = re.sub(r"\d+", "N", name)
            if kind in kinds:
                continue
            kinds.add(kind)
            # A choice (select, radio) or a hidden value (a version, a token) is not typed:
            # the values that break parsing are enough there; typed fields get them all.
            values = CHOICE_VALUES if name in form.choices else HOSTILE
            for value in values:
                response = form.submit({name: value})
                tried += 1
                status = response.status_code
                assert status < 500, f"{role}: {value[:20]!r} in {name} of {form.action}: {status}"
                after = digest(app)
                if status < 400:
                    before = after  # accepted: the new state is the baseline
                else:
                    assert after == before, (
                        f"{role}: {form.action} refused {value[:20]!r} in {name} but stored "
                        f"something")
    assert tried > 100


def test_ids_no_database_can_hold_are_404_in_every_route(app, demo):
    client = Browserless(app.test_client())
    assert client.login("hr").status_code == 302
    token = client.token("/")
    rules = [rule for rule in app.url_map.iter_rules()
             if any(conv.__class__.__name__ == "IdConverter"
                    for conv in rule._converters.values())]
    assert rules
    for rule in rules:
        for huge in HUGE_IDS:
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", huge)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = (client.get(path) if method == "GET"
                            else client.client.post(path, data={"csrf_token": token}))
                assert response.status_code == 404, (method, path, response.status_code)


# The filters each list page reads from its query string.
QUERIES = {
    "/people": ("q", "department", "inactive", "page"),
    "/audit": ("action", "object_type", "actor", "since", "until", "page"),
    "/coaching/overview": ("kind", "state", "department_id", "page"),
    "/coaching/notifications": ("page",),
    "/planning/": ("cycle_id",),
    "/planning/1/tree": ("department_id", "q"),
    "/org/import": ("page",),
    # reviews: the demo's "2026 H2" (in review) is cycle 2, "2026 H1" (closed) cycle 3
    "/reviews/": ("cycle_id",),
    "/reviews/2/team": ("sort", "dir"),
    "/reviews/2/completion": ("department_id", "late", "page"),
    "/reviews/3/calibration": ("department_id", "page"),
    "/reviews/2/people/1/calibrate": ("department_id",),
}


def test_hostile_query_strings_never_answer_500(app, demo):
    client = Browserless(app.test_client())
    assert client.login("hr").status_code == 302
    for page, names in QUERIES.items():
        for name in names:
            for value in HOSTILE:
                response = client.get(f"{page}?{urlencode({name: value})}")
                assert response.status_code < 500, (page, name, value[:20],
                                                    response.status_code)


# Interview notes and 360 answers and reports: versions no database can hold, and garbage --

VERSIONS = [str(2**63), "1" + "0" * 30, str(2**31), "-1", "0", "abc", "²", "1e3", "NaN", "",
            "x" * 100_000, "a\x00b"]


def _running_to_interviews(app, demo) -> None:
    """The demo's running "2026 H2" moved on to the feedback interviews, as HR would."""
    from perfsite.cycles import services as cycles
    from perfsite.models import Cycle, Person, Phase, ReviewKind

    from .review_factories import write_review

    with app.app_context():
        cycle = db.session.get(Cycle, demo["2026 H2"])
        people = {p.username: p for p in db.session.scalars(select(Person).where(
            Person.username.in_(["staff", "head", "hr"])))}
        write_review(cycle, people["staff"], people["staff"], ReviewKind.SELF, 4, 4)
        write_review(cycle, people["staff"], people["head"], ReviewKind.MANAGER, 3, 3)
        for phase in (Phase.CALIBRATION, Phase.INTERVIEWS):
            cycles.move_phase(cycle, people["hr"], phase)
        db.session.commit()
        db.session.remove()


def _report_paths(app, demo) -> list[str]:
    """The 360 report page (and fragment) and CSV of `head` and `peer` in both demo cycles."""
    from perfsite.models import Person

    with app.app_context():
        ids = dict(db.session.execute(select(Person.username, Person.id).where(
            Person.username.in_(["head", "peer"]))).all())
        db.session.remove()
    return [f"/feedback/{demo[cycle]}/people/{ids[who]}/report{suffix}"
            for cycle in ("2026 H1", "2026 H2") for who in ("head", "peer")
            for suffix in ("", ".csv")]


def _answer_never_500(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def test_hostile_versions_on_360_answers_never_answer_500(app, demo):
    """Issue 16, item 12: the 360 card's draft and submit with every bad version, as a
    page and through htmx."""
    staff = Browserless(app.test_client())
    assert staff.login("staff").status_code == 302
    give = f"/feedback/{demo['2026 H2']}/give"
    cards = [f for f in FormParser.parse(staff.get(give).get_data(as_text=True))
             if f.action and f.action.endswith("/submit")]
    assert cards, "staff has no 360 card to fill in"
    for card in cards:
        card.client, card.page = staff, give
        version = next(name for name in card.fields if name.endswith("version"))
        draft = card.action.replace("/submit", "/draft")
        for value in VERSIONS:
            for action in (card.action, draft):
                card.action = action
                for htmx in (False, True):
                    _answer_never_500(card.submit({version: value}, htmx=htmx),
                                      f"{value[:20]!r} as the version of {action}")


def test_the_360_reports_never_answer_500_to_any_reader_or_query(app, demo):
    """Issue 16, item 12: the 360 report's page, fragment and CSV with bad query values,
    for each reader, whether they may read it or not."""
    paths = _report_paths(app, demo)
    for role in ("hr", "head", "exec", "peer", "staff"):
        reader = Browserless(app.test_client())
        assert reader.login(role).status_code == 302
        for path in paths:
            for value in VERSIONS[:10]:
                query = {"version": value, "page": value, "group": value}
                _answer_never_500(reader.get(path, query_string=query), f"{role}: {path}")
                if not path.endswith(".csv"):
                    _answer_never_500(reader.htmx("GET", path, query), f"{role}: htmx {path}")


def test_hostile_versions_in_every_interview_note_section_never_answer_500(app, demo):
    """Issue 16, item 12: every note section, as its writer and as the other party, with
    every bad version (and "Save mine over it" with one), as a page and through htmx: a
    409 or 422 (403 for who may not write it), the section's text unchanged."""
    from perfsite.models import Interview, InterviewNote

    _running_to_interviews(app, demo)
    with app.app_context():
        interview_id = db.session.scalar(select(Interview.id).where(
            Interview.cycle_id == demo["2026 H2"]))
        db.session.remove()
    page = f"/interviews/{interview_id}"
    writers = {}
    for role in ("head", "staff"):
        writers[role] = Browserless(app.test_client())
        assert writers[role].login(role).status_code == 302
    sections = ("prep", "strengths", "improve", "outcomes", "person", "reply")
    for section in sections:
        writer = writers["staff" if section == "person" else "head"]
        other = writers["head" if section == "person" else "staff"]
        field = f"note-{section}"
        form = writer.form(page, f"/notes/{section}")
        assert form.submit({f"{field}-text": "Kept"}).status_code == 302
        token = other.token(page)  # the other party's CSRF token, from the page, once
        for value in VERSIONS:
            for name in (f"{field}-version", f"{field}-overwrite_version"):
                for htmx in (False, True):
                    answer = form.submit({f"{field}-text": "Crafted", name: value}, htmx=htmx)
                    assert answer.status_code in (409, 422), (section, name, value[:20],
                                                              answer.status_code)
                    crafted = {f"{field}-text": "Crafted", name: value}
                    refused = (other.htmx("POST", f"{page}/notes/{section}", crafted,
                                          token=token)
                               if htmx else other.post_form(f"{page}/notes/{section}", crafted,
                                                            token=token))
                    assert refused.status_code == 403, (section, value[:20])
        with app.app_context():
            assert db.session.scalar(select(InterviewNote.text).where(
                InterviewNote.interview_id == interview_id,
                InterviewNote.section == section)) == "Kept"
            db.session.remove()
    # The 360 reports in the interviews phase, the subject reading theirs too.
    paths = _report_paths(app, demo)
    for role in ("head", "staff"):
        for path in paths:
            for value in VERSIONS[:6]:
                query = {"version": value, "page": value}
                _answer_never_500(writers[role].get(path, query_string=query), path)
                if not path.endswith(".csv"):
                    _answer_never_500(writers[role].htmx("GET", path, query), path)
