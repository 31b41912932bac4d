"""The attacker (issue 16): someone who acts and compares, not a passive reader.

Each test reads every output a head, HR or an executive can read about a person's 360
feedback (the report page, its htmx fragment, its CSV, the chart inside it, the results page
with the competency and final scores, the printable review, the team dashboard, the results
XLSX, the raters page and the interview page), then acts (adds or removes a rater, reopens
one answer, lowers the threshold, moves the cycle back, watches the dashboard's counts) and
reads everything again. No difference may isolate one answer: either nothing changed, or the
change comes from at least the threshold of answers at once. README: "360 anonymity".
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from perfsite.cycles import services as cycles
from perfsite.errors import Invalid, StateError
from perfsite.extensions import db
from perfsite.feedback.services import answers, nominations, releases
from perfsite.models import (
    AuditEvent,
    Cycle,
    FeedbackGroup,
    FeedbackRelease,
    FeedbackRequest,
    Interview,
    Phase,
    ReviewKind,
)
from perfsite.reviews.services import scores

from .coaching_factories import NOW
from .factories import attached, hr_admin
from .feedback_factories import answer, ask_directly, colleagues, feedback_cycle, release
from .interview_factories import schedule
from .review_factories import write_review

THRESHOLD = 3  # the cycle's (the default)
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def visible(html: str) -> str:
    """What a reader sees of a page: its text, without markup, tokens or nonces."""
    body = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return SPACE.sub(" ", TAG.sub(" ", body)).strip()


def _cycle(app, arena) -> Cycle:
    return db.session.get(Cycle, arena["cycle"])


@pytest.fixture
def arena(app, company):
    """Staff in a cycle in review: their manager review is in (so scores are stored), four
    peers asked, three of whom answered with distinct ratings and texts."""
    with app.app_context():
        c = attached(company)
        cycle = feedback_cycle(c)
        write_review(cycle, c.staff, c.head, ReviewKind.MANAGER, 3, 3)
        raters = colleagues(c, 4, prefix="peer")
        requests = ask_directly(cycle, c.staff, raters)
        for i, request in enumerate(requests[:3]):
            answer(request, [5 - i, 4, 3, 2 + i], keep_doing=f"KEEP-{i}", improve=f"IMPROVE-{i}")
        db.session.commit()
        return {"cycle": cycle.id, "staff": c.staff.id, "head": c.head.id,
                "requests": [r.id for r in requests], "interview": None,
                "raters": [r.display_name for r in raters]}


def urls(arena) -> dict[str, str]:
    cycle, staff = arena["cycle"], arena["staff"]
    report = f"/feedback/{cycle}/people/{staff}/report"
    return {"report": report, "csv": report + ".csv",
            "results": f"/reviews/{cycle}/people/{staff}/results",
            "printable": f"/reports/{cycle}/people/{staff}",
            "team": f"/dashboards/team?cycle_id={cycle}",
            "xlsx": f"/exports/{cycle}/results?format=xlsx",
            "raters": f"/feedback/{cycle}/people/{staff}/raters",
            "interview": f"/interviews/{arena['interview']}"}


def observe(app, arena, readers) -> dict[str, str]:
    """Every output about staff's 360 feedback, as each reader gets it, plus the scores."""
    paths = urls(arena)
    seen = {}
    for name, client in readers.items():
        for key in ("report", "results", "printable", "team", "raters", "interview"):
            if key == "interview" and not arena.get("interview"):
                continue  # scheduled from the feedback interviews on
            response = client.get(paths[key])
            seen[f"{name} {key}"] = f"{response.status_code} " + visible(
                response.get_data(as_text=True))
        fragment = client.htmx("GET", paths["report"])
        seen[f"{name} fragment"] = f"{fragment.status_code} " + visible(
            fragment.get_data(as_text=True))
        export = client.get(paths["csv"])
        seen[f"{name} csv"] = f"{export.status_code} " + export.get_data(as_text=True)
        workbook = client.get(paths["xlsx"])
        if workbook.status_code == 200:
            sheet = load_workbook(io.BytesIO(workbook.data), read_only=True).active
            seen[f"{name} xlsx"] = repr([row for row in sheet.iter_rows(values_only=True)])
        else:
            seen[f"{name} xlsx"] = str(workbook.status_code)
    with app.app_context():
        from perfsite.models import Person

        cycle = _cycle(app, arena)
        person = db.session.get(Person, arena["staff"])
        figures = scores.breakdown(cycle, person)
        stored = scores.get_result(cycle, person)
        seen["scores"] = repr((figures.competencies.value, figures.final.value,
                               [i.key for i in figures.competency_inputs],
                               stored.competency_score if stored else None,
                               stored.final_score if stored else None))
    return seen


@pytest.fixture
def readers(login_as):
    return {"head": login_as("head"), "hr": login_as("hr"), "exec": login_as("exec")}


def _difference(old: str, new: str) -> str:
    pairs = enumerate(zip(old, new, strict=False))
    start = next((i for i, (a, b) in pairs if a != b), min(len(old), len(new)))
    return f"…{old[max(start - 60, 0):start + 80]!r} → …{new[max(start - 60, 0):start + 80]!r}"


# HR sees who has answered (never what): its raters page follows each submission.
WHO_ANSWERED = {"hr raters"}


def assert_nothing_isolates(before: dict, after: dict, secrets=(), allowed=()):
    changed = sorted(k for k in before if before[k] != after[k]
                     and k not in WHO_ANSWERED | set(allowed))
    assert not changed, "changed after the act: " + "; ".join(
        f"{k}: {_difference(before[k], after[k])}" for k in changed)
    for text in after.values():
        for secret in secrets:
            assert secret not in text


def _release_now(app, arena) -> set:
    with app.app_context():
        found = release(_cycle(app, arena))
        db.session.commit()
        return found


def _answer(app, request_id, ratings, **texts):
    with app.app_context():
        answer(db.session.get(FeedbackRequest, request_id), ratings, **texts)
        db.session.commit()


# 1. Adding a rater ---------------------------------------------------------------------------

def test_adding_a_rater_is_refused_and_a_new_answer_changes_nothing_anyone_reads(
        app, company, arena, readers):
    _release_now(app, arena)  # the three answers released (as when review closes)
    before = observe(app, arena, readers)
    assert "KEEP-0" in before["head report"] and "3 responses" in before["head report"]
    # The head's add form is gone, and a crafted post is refused with the reason.
    head = readers["head"]
    page = head.get(urls(arena)["raters"]).get_data(as_text=True)
    assert "/raters/add" not in page
    with app.app_context():
        cycle = _cycle(app, arena)
        from perfsite.models import Person

        with pytest.raises(StateError, match="raters are fixed"):
            nominations.add_raters(cycle, db.session.get(Person, arena["staff"]),
                                   db.session.get(Person, arena["head"]),
                                   usernames="colleague", now=NOW)
        db.session.rollback()
    # The fourth rater, asked before (or as a replacement), answers with telling extremes.
    _answer(app, arena["requests"][3], [1, 1, 1, 1], keep_doing="NEW-RATER-KEEP",
            improve="NEW-RATER-IMPROVE")
    assert not _release_now(app, arena)  # one answer came: not released again
    after = observe(app, arena, readers)
    assert_nothing_isolates(before, after, secrets=("NEW-RATER",))
    # Nor when review closes: against the earlier release, one answer came.
    with app.app_context():
        cycles.move_phase(_cycle(app, arena), hr_admin(), Phase.CALIBRATION)
        db.session.commit()
        assert db.session.scalar(select(FeedbackRelease.number).order_by(
            FeedbackRelease.number.desc())) == 1
    closed = observe(app, arena, readers)
    for key in ("head report", "head csv", "hr csv", "head printable", "head results"):
        assert "NEW-RATER" not in closed[key]


def test_without_an_early_release_nothing_shows_until_review_closes_then_once(
        app, company, arena, readers):
    before = observe(app, arena, readers)
    assert "KEEP-0" not in before["head report"]
    assert "results are shown once the review phase has closed" in before["head report"]
    _answer(app, arena["requests"][3], [1, 1, 1, 1], keep_doing="FOURTH")
    assert_nothing_isolates(before, observe(app, arena, readers))
    with app.app_context():
        cycles.move_phase(_cycle(app, arena), hr_admin(), Phase.CALIBRATION)
        db.session.commit()
    closed = observe(app, arena, readers)
    assert "FOURTH" in closed["head report"] and "4 responses" in closed["head report"]
    for name in arena["raters"]:
        assert not any(name in closed[k] for k in ("head report", "head csv", "hr csv"))
    # The interview page and the printable review show the same release.
    with app.app_context():
        cycles.move_phase(_cycle(app, arena), hr_admin(), Phase.INTERVIEWS)
        from perfsite.models import Person

        arena["interview"] = schedule(_cycle(app, arena), db.session.get(Person, arena["staff"]),
                                      db.session.get(Person, arena["head"])).id
        db.session.commit()
    held = observe(app, arena, readers)
    for key in ("head interview", "head printable"):
        assert "FOURTH" in held[key] and "KEEP-0" in held[key]


# 1b. Removing a rater ------------------------------------------------------------------------

def test_removing_a_rater_after_the_first_answer_is_refused(app, company, arena, readers):
    _release_now(app, arena)
    before = observe(app, arena, readers)
    waiting = arena["requests"][3]  # asked, not answered
    page = readers["head"].get(urls(arena)["raters"]).get_data(as_text=True)
    assert f"/requests/{waiting}/remove" not in page
    response = readers["head"].post_form(f"/feedback/requests/{waiting}/remove",
                                         token_from=urls(arena)["raters"])
    assert response.status_code == 409
    assert "raters are fixed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FeedbackRequest, waiting).status == "requested"
    assert_nothing_isolates(before, observe(app, arena, readers))


# 2. Reopening one answer ---------------------------------------------------------------------

def test_reopening_one_answer_shows_no_before_and_after(app, company, arena, readers):
    _release_now(app, arena)
    before = observe(app, arena, readers)
    first = arena["requests"][0]
    hr = readers["hr"]
    response = hr.form(urls(arena)["raters"], f"/requests/{first}/reopen").submit(
        {f"reopen{first}-reason": "Rated the wrong person"})
    assert response.status_code == 302
    hr.get(urls(arena)["raters"])  # where HR lands, with the flash message
    # The dashboards' counts say an answer is out ("fewer than 3" answered): who and what,
    # they never say; the report, its exports and the scores do not move.
    counts = {"head team", "exec team"}
    assert_nothing_isolates(before, observe(app, arena, readers), allowed=counts)
    # The rater changes their answer and submits it again: still one change, not released.
    _answer(app, first, [1, 1, 1, 1], keep_doing="CHANGED-KEEP", improve="CHANGED-IMPROVE")
    assert not _release_now(app, arena)
    assert_nothing_isolates(before, observe(app, arena, readers), secrets=("CHANGED-",),
                            allowed=counts)
    with app.app_context():  # the log says who reopened, never what was answered
        for event in db.session.scalars(select(AuditEvent)):
            assert "CHANGED" not in f"{event.before} {event.after}"
            assert "KEEP-0" not in f"{event.before} {event.after}"


# 3. The threshold and moving back ------------------------------------------------------------

def test_the_cycle_does_not_move_back_over_answers_and_the_threshold_is_fixed(
        app, company, arena, readers, login_as):
    hr = readers["hr"]
    cycle_id = arena["cycle"]
    detail = hr.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Back to" not in detail
    assert "cannot move back" in detail and "3 360 answers are given" in detail
    confirm = hr.get(f"/cycles/{cycle_id}/phase?to=in_progress")
    assert confirm.status_code == 409 and "1 review is submitted" in confirm.get_data(
        as_text=True)
    with app.app_context():
        with pytest.raises(StateError, match="cannot move back"):
            cycles.move_phase(_cycle(app, arena), hr_admin(), Phase.IN_PROGRESS)
        db.session.rollback()
        assert _cycle(app, arena).phase == "review"
        # Even where an older database left the cycle in planning with answers in, the
        # threshold stays as it was when the first answer came.
        cycle = _cycle(app, arena)
        cycle.phase = Phase.PLANNING.value
        db.session.commit()
        with pytest.raises(Invalid) as refused:
            cycles.update_settings(_cycle(app, arena), hr_admin(),
                                   expected_version=_cycle(app, arena).version,
                                   anonymity_threshold=2)
        assert refused.value.field == "anonymity_threshold"
        assert "fixed once the first 360 answer is in" in refused.value.message
        db.session.rollback()
        assert _cycle(app, arena).anonymity_threshold == THRESHOLD


def test_a_group_of_two_stays_hidden_when_review_closes(app, company, readers):
    """The issue's path: two upward answers on the head, threshold 3; HR cannot get them
    shown by moving the cycle back to lower the threshold."""
    with app.app_context():
        c = attached(company)
        cycle = feedback_cycle(c)
        reports = ask_directly(cycle, c.head, [c.staff, c.colleague], FeedbackGroup.REPORT)
        for i, request in enumerate(reports):
            answer(request, 1, keep_doing=f"UPWARD-{i}")
        db.session.commit()
        with pytest.raises(StateError):
            cycles.move_phase(cycle, hr_admin(), Phase.IN_PROGRESS)
        db.session.rollback()
        cycle = db.session.get(Cycle, cycle.id)
        cycles.move_phase(cycle, hr_admin(), Phase.CALIBRATION)
        db.session.commit()
        url = f"/feedback/{cycle.id}/people/{c.head.id}/report"
    for client in readers.values():
        for body in (client.get(url).get_data(as_text=True),
                     client.get(url + ".csv").get_data(as_text=True)):
            assert "UPWARD-" not in body
    assert "Direct reports: fewer than 3 responses" in readers["exec"].get(url).get_data(
        as_text=True)


def test_moving_back_from_interviews_is_refused_once_an_interview_is_acknowledged(
        app, company, login_as):
    from perfsite.interviews.services import interviews

    from .interview_factories import completed, interview_cycle

    with app.app_context():
        c = attached(company)
        run = interview_cycle(c)
        interview = completed(run.cycle, c.staff, c.head)
        interviews.acknowledge(interview, c.staff, agreement="agree", comment="",
                               expected_version=interview.version, now=NOW)
        db.session.commit()
        cycle_id, interview_id = run.cycle.id, interview.id
        with pytest.raises(StateError, match="1 interview is acknowledged"):
            cycles.move_phase(db.session.get(Cycle, cycle_id), hr_admin(), Phase.CALIBRATION)
        db.session.rollback()
    hr = login_as("hr")
    page = hr.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Back to" not in page and "1 interview is acknowledged" in page
    assert hr.get(f"/cycles/{cycle_id}/phase?to=calibration").status_code == 409
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).phase == "interviews"
        assert db.session.get(Interview, interview_id).status == "acknowledged"


# 4. Counts below the threshold ---------------------------------------------------------------

def test_the_heads_dashboard_never_counts_answers_about_themselves_one_by_one(
        app, company, readers):
    with app.app_context():
        c = attached(company)
        cycle = feedback_cycle(c)
        upward = ask_directly(cycle, c.head, [c.staff, c.colleague], FeedbackGroup.REPORT)
        db.session.commit()
        url = f"/dashboards/team?cycle_id={cycle.id}"
        ids = [r.id for r in upward]
    head = readers["head"]

    def table():
        page = head.get(url).get_data(as_text=True)
        found = re.search(r'<table class="table" id="feedback-completion">.*?</table>', page,
                          re.S)
        return visible(found.group(0)) if found else ""

    before = table()
    _answer(app, ids[0], 2, keep_doing="UP")
    assert table() == before  # 0 → 1 answer about the head: nothing moves
    assert "fewer than 3" in before or "UP" not in before


def test_counts_below_the_threshold_read_fewer_than_n_except_for_hr(app, company, arena):
    from perfsite.feedback.services import completion
    from perfsite.models import Person

    with app.app_context():
        cycle = _cycle(app, arena)
        head = db.session.get(Person, arena["head"])
        hr = hr_admin()
        rows = completion.completion(cycle, viewer=head)
        engineering = next(r for r in rows if r.name == "Engineering")
        assert (engineering.requested, engineering.submitted) == (4, 3)
        assert not engineering.exact  # one waiting, none declined: below 3
        assert engineering.shown("submitted") == "3 or more"
        assert engineering.shown("waiting") == "fewer than 3"
        exact = next(r for r in completion.completion(cycle, viewer=hr)
                     if r.name == "Engineering")
        assert exact.exact and exact.shown("waiting") == "1"


# 5. Who declined -------------------------------------------------------------------------------

def test_who_declined_is_seen_by_the_approving_head_and_hr_not_the_subject(
        app, company, arena, login_as):
    with app.app_context():
        request = db.session.get(FeedbackRequest, arena["requests"][3])
        answers.decline(request, request.rater, reason="ON-LEAVE-REASON", now=NOW)
        db.session.commit()
    raters = urls(arena)["raters"]
    mine = login_as("staff").get(raters).get_data(as_text=True)
    assert "Declined" not in mine and "ON-LEAVE-REASON" not in mine
    assert arena["raters"][3] in mine  # still listed, as asked
    for who in ("head", "hr"):
        page = login_as(who).get(raters).get_data(as_text=True)
        assert "Declined" in page and "ON-LEAVE-REASON" in page
    # Who has answered: HR alone; the head sees the anonymous raters as asked.
    assert "Submitted" in login_as("hr").get(raters).get_data(as_text=True)
    assert "Submitted" not in login_as("head").get(raters).get_data(as_text=True)


# 11. One figure everywhere ----------------------------------------------------------------------

def test_the_stored_final_score_and_its_breakdown_are_one_figure(app, company, arena,
                                                                 login_as):
    head = login_as("head")
    results = urls(arena)["results"]

    def figures():
        page = head.get(results).get_data(as_text=True)
        stored = re.search(r'id="final-score">([^<]+)<', page).group(1).strip()
        computed = re.search(r"([0-9.]+) is in band", page).group(1)
        return stored, computed

    stored, computed = figures()
    assert stored == computed == "3.00"  # three late peer answers are not in either yet
    with app.app_context():
        cycles.move_phase(_cycle(app, arena), hr_admin(), Phase.CALIBRATION)
        db.session.commit()
        from perfsite.models import Person

        person = db.session.get(Person, arena["staff"])
        cycle = _cycle(app, arena)
        assert scores.get_result(cycle, person).final_score == \
            scores.breakdown(cycle, person).final.value
    stored, computed = figures()
    assert stored == computed != "3.00"


# 12a. The report fragment refused to its subject ----------------------------------------------

def test_the_report_fragment_refused_to_its_subject_answers_403(app, company, arena, login_as):
    staff = login_as("staff")
    response = staff.htmx("GET", urls(arena)["report"])
    assert response.status_code == 403
    page = staff.get(urls(arena)["report"]).get_data(as_text=True)  # the page says why
    reason = re.search(r'<p class="notice">([^<]+)</p>', page).group(1).strip()
    assert reason and reason in response.get_data(as_text=True)


# The release rule itself ------------------------------------------------------------------------

@pytest.mark.parametrize(("earlier", "live", "due"), [
    ([], {"a": "1", "b": "1"}, False),  # below the threshold
    ([], {"a": "1", "b": "1", "c": "1"}, True),  # first release
    ([{"a": "1", "b": "1", "c": "1"}], {"a": "1", "b": "1", "c": "1"}, False),  # no change
    ([{"a": "1", "b": "1", "c": "1"}], {"a": "1", "b": "1", "c": "1", "d": "1"}, False),
    ([{"a": "1", "b": "1", "c": "1"}], {"a": "2", "b": "1", "c": "1"}, False),  # reopened
    ([{"a": "1", "b": "1", "c": "1"}], {"a": "1", "b": "1", "c": "1", "d": "1", "e": "1",
                                        "f": "1"}, True),  # three came
    # one left and three came: the comments that left would be one rater's
    ([{"a": "1", "b": "1", "c": "1"}], {"b": "1", "c": "1", "d": "1", "e": "1", "f": "1"},
     False),
    # against the latest release fine, against the first one rater left: refused
    ([{"a": "1", "b": "1", "c": "1"},
      {"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1"}],
     {"b": "1", "c": "1", "d": "1", "e": "1", "f": "1", "g": "1", "h": "1", "i": "1"}, False),
])
def test_a_group_is_released_again_only_in_steps_that_isolate_no_answer(earlier, live, due):
    assert releases.is_due(earlier, live, THRESHOLD) is due


def test_a_release_keeps_no_answer_nor_author(app, company, arena):
    _release_now(app, arena)
    with app.app_context():
        found = db.session.scalars(select(FeedbackRelease)).one()
        assert found.responses == 3 and found.threshold == THRESHOLD
        assert sorted(c["text"] for c in found.comments) == sorted(
            [f"KEEP-{i}" for i in range(3)] + [f"IMPROVE-{i}" for i in range(3)])
        assert set(found.averages.values()) >= {"4.00", "3.00"}
        stored = repr(found.basis) + repr(found.comments)
        for name in arena["raters"]:
            assert name not in stored
        assert all(len(mark) == 64 for mark in found.basis.values())
        assert Decimal(found.averages[next(iter(found.averages))]) > 0
