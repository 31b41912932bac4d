"""Interview pages through the test client (CSRF on): scheduling and the .ics file, the
interview page for each party (the head's preparation never reaches the person), notes that
autosave by section with two clients and stale versions, the improvement plan inline (htmx
and plain forms), completion, acknowledgement, the appeal, outcomes, closing, My results with
the history, a closed cycle refusing crafted posts, and query counts at two sizes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from perfsite.extensions import db
from perfsite.interviews.services import interviews
from perfsite.models import (
    Cycle,
    ImprovementItem,
    Interview,
    InterviewNote,
    InterviewNoteRevision,
    Person,
)

from .factories import attached, make_person
from .interview_factories import interview_cycle, schedule


@pytest.fixture
def run(app, company):
    """A cycle in its feedback interviews; staff's interview scheduled by the head."""
    with app.app_context():
        c = attached(company)
        made = interview_cycle(c)
        interview = schedule(made.cycle, c.staff, c.head)
        db.session.commit()
        return {"cycle": made.cycle.id, "interview": interview.id,
                "page": f"/interviews/{interview.id}",
                "cycle_page": f"/interviews/cycles/{made.cycle.id}"}


def _interview(app, run) -> Interview:
    with app.app_context():
        found = db.session.get(Interview, run["interview"])
        db.session.refresh(found)
        found.texts = {n.section: n.text for n in found.notes}
        found.item_actions = [i.action for i in found.items]
        db.session.expunge(found)
        return found


# Scheduling -------------------------------------------------------------------------------

def test_the_head_schedules_from_the_cycle_page(app, company, run, login_as):
    head = login_as("head")
    page = head.get(run["cycle_page"]).get_data(as_text=True)
    assert "Sam Okafor" in page and "Schedule" in page
    url = f"/interviews/cycles/{run['cycle']}/people/{company.colleague.id}/schedule"
    form = head.form(url, "schedule-form")
    bad = form.submit({"day": "2026-09-20", "at": "10:00", "place": "", "meeting_link": ""})
    assert bad.status_code == 422 and "Give a place or a meeting link." in bad.get_data(
        as_text=True)
    form = head.form(url, "schedule-form")
    answer = form.submit({"day": "2026-09-20", "at": "10:00", "meeting_link":
                          "https://meet.example.com/abc"})
    assert answer.status_code == 302
    again = form.submit({"day": "2026-09-20", "at": "10:00", "meeting_link":
                         "https://meet.example.com/abc"})  # a double click
    assert again.status_code in (302, 409)
    with app.app_context():
        assert db.session.scalar(select(Interview.id).where(
            Interview.person_id == company.colleague.id).where(
            Interview.cycle_id == run["cycle"])) is not None
        assert len(db.session.scalars(select(Interview).where(
            Interview.person_id == company.colleague.id)).all()) == 1


def test_the_person_downloads_the_ics_and_proposes_another_time(app, company, run, login_as):
    staff = login_as("staff")
    ics = staff.get(f"{run['page']}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in ics.get_data(as_text=True)
    answer = staff.form(run["page"], "/propose").submit(
        {"propose-day": "2026-09-21", "propose-at": "14:30", "propose-note": "Travelling"})
    assert answer.status_code == 302
    head = login_as("head")
    assert "proposed another time" in head.get(run["page"]).get_data(as_text=True)
    assert login_as("colleague").get(run["page"]).status_code == 403


# The interview page -----------------------------------------------------------------------

def test_the_heads_preparation_never_reaches_the_person(app, company, run, login_as):
    head = login_as("head")
    page = head.get(run["page"]).get_data(as_text=True)
    for text in ("My preparation (private)", "Strengths", "Areas to improve", "Agreed outcomes",
                 "Improvement plan", "Goal drafts for next cycle", "360 feedback", "Open obstacles",
                 "Last cycle's improvement plan", "Portal features"):
        assert text in page, text
    answer = head.form(run["page"], "/notes/prep").submit(
        {"note-prep-text": "Ask about the outage SECRET-PREP"}, htmx=True)
    assert answer.status_code == 200
    staff_page = login_as("staff").get(run["page"]).get_data(as_text=True)
    assert "SECRET-PREP" not in staff_page and "My preparation" not in staff_page
    assert 'id="note-person-text"' in staff_page  # the person's own comments
    assert 'id="note-strengths-text"' not in staff_page
    crafted = login_as("staff").post_form(f"{run['page']}/notes/prep",
                                          {"note-prep-text": "x", "note-prep-version": ""})
    assert crafted.status_code == 403


def test_notes_autosave_and_two_clients_never_lose_text(app, company, run, login_as):
    first, second = login_as("head"), login_as("head")
    tab_one = first.form(run["page"], "/notes/strengths")
    tab_two = second.form(run["page"], "/notes/strengths")
    saved = tab_one.submit({"note-strengths-text": "From tab one"}, htmx=True)
    assert saved.status_code == 200
    fragment = saved.get_data(as_text=True)
    assert "Saved at" in fragment and "<html" not in fragment
    assert re.search(r'id="note-strengths-version" value="\d+" data-hx-swap-oob="true"', fragment)
    stale = tab_two.submit({"note-strengths-text": "From tab two"}, htmx=True)
    assert stale.status_code == 409
    assert stale.headers["HX-Retarget"] == "#note-strengths"
    body = stale.get_data(as_text=True)
    assert "changed in another tab or window" in body
    assert "From tab one" in body and "From tab two" in body
    assert _interview(app, run).texts["strengths"] == "From tab one"  # not erased
    with app.app_context():
        assert db.session.scalar(select(InterviewNoteRevision.text).where(
            InterviewNoteRevision.refused.is_(True))) == "From tab two"
    version = re.search(r'name="note-strengths-version" id="note-strengths-version" '
                        r'value="(\d+)"', body).group(1)
    box = re.search(r'<textarea[^>]*id="note-strengths-text"[^>]*>(.*?)</textarea>', body,
                    re.S).group(1)
    assert box.strip() == "From tab two"  # this tab's text beside the newer one, not merged
    keep = second.post_form(f"{run['page']}/notes/strengths", {
        "note-strengths-text": "From tab one\n\nFrom tab two",
        "note-strengths-version": version})
    assert keep.status_code == 302
    assert _interview(app, run).texts["strengths"] == "From tab one\n\nFrom tab two"
    # Notes survive a reload, and the meeting counts as held.
    assert "From tab two" in first.get(run["page"]).get_data(as_text=True)
    assert _interview(app, run).status == "held"


def test_without_javascript_a_stale_save_shows_the_page_with_both_texts(
        app, company, run, login_as):
    head = login_as("head")
    stale = head.form(run["page"], "/notes/outcomes")
    head.form(run["page"], "/notes/outcomes").submit({"note-outcomes-text": "Newer"})
    answer = stale.submit({"note-outcomes-text": "Older tab"})
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert "<html" in body and "Newer" in body and "Older tab" in body


def test_improvement_plan_items_inline_with_htmx_and_without(app, company, run, login_as):
    head = login_as("head")
    answer = head.form(run["page"], "add-item-form").submit(
        {"item-new-action": "Pair on reviews", "item-new-support": "An hour a week",
         "item-new-due_date": "2026-12-01"}, htmx=True)
    assert answer.status_code == 200
    fragment = answer.get_data(as_text=True)
    assert 'id="improvement-plan"' in fragment and "Pair on reviews" in fragment
    assert "<html" not in fragment
    bad = head.form(run["page"], "add-item-form").submit({"item-new-action": ""}, htmx=True)
    assert bad.status_code == 422
    plain = head.form(run["page"], "add-item-form").submit(
        {"item-new-action": "Write the runbook"})
    assert plain.status_code == 302
    assert _interview(app, run).item_actions == ["Pair on reviews", "Write the runbook"]
    with app.app_context():
        item_id = db.session.scalar(select(ImprovementItem.id).order_by(ImprovementItem.id))
    edit = head.htmx("GET", f"/interviews/items/{item_id}")
    assert edit.status_code == 200 and f'item-{item_id}-action' in edit.get_data(as_text=True)
    page = head.get(f"/interviews/items/{item_id}")  # without JavaScript: the page
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    saved = head.form(f"/interviews/items/{item_id}", f"/interviews/items/{item_id}").submit(
        {f"item-{item_id}-action": "Pair twice a week", f"item-{item_id}-status": "in_progress"},
        htmx=True)
    assert saved.status_code == 200 and "Pair twice a week" in saved.get_data(as_text=True)
    removed = head.form(run["page"], f"/interviews/items/{item_id}/remove").submit(htmx=True)
    assert removed.status_code == 200
    assert _interview(app, run).item_actions == ["Write the runbook"]
    assert login_as("staff").post_form(f"{run['page']}/items",
                                       {"item-new-action": "x"}).status_code == 403


def test_the_whole_journey_through_pages(app, company, run, login_as):
    head = login_as("head")
    head.form(run["page"], "/notes/strengths").submit({"note-strengths-text": "Reliable"})
    head.form(run["page"], "add-draft-form").submit({"draft-title": "Own the API"})
    assert head.form(run["page"], "complete-form").submit().status_code == 302
    staff = login_as("staff")
    page = staff.get(run["page"]).get_data(as_text=True)
    assert "Send my acknowledgement" in page
    missing_comment = staff.form(run["page"], "ack-form").submit({"ack-agreement": "disagree"})
    assert missing_comment.status_code == 422
    assert staff.form(run["page"], "ack-form").submit(
        {"ack-agreement": "disagree", "ack-comment": "My goals moved"}).status_code == 302
    hr = login_as("hr")
    todo = hr.get("/todos").get_data(as_text=True) if hr.get("/todos").status_code == 200 \
        else ""
    appeal = f"{run['page']}/appeal"
    assert staff.get(appeal).status_code == 403 and head.get(appeal).status_code == 403
    answer = hr.form(appeal, "appeal-form").submit(
        {"decision": "changed", "band": "A", "reason": "Targets moved"})
    if answer.status_code == 422:  # rated A already: the other way round
        answer = hr.form(appeal, "appeal-form").submit(
            {"decision": "changed", "band": "B", "reason": "Targets moved"})
    assert answer.status_code == 302, todo
    assert "Appeal resolved by" in staff.get(run["page"]).get_data(as_text=True)
    # Outcomes, then closing with colleague missing.
    outcomes_page = login_as("exec").get(f"/interviews/cycles/{run['cycle']}/outcomes")
    assert outcomes_page.status_code == 200 and "Liu Yang" in outcomes_page.get_data(
        as_text=True)
    close = f"/interviews/cycles/{run['cycle']}/close"
    close_page = hr.get(close).get_data(as_text=True)
    assert "Sam Okafor" in close_page
    assert hr.form(close, "close-form").submit({"reason": ""}).status_code == 422
    assert hr.form(close, "close-form").submit({"reason": "On leave"}).status_code == 302
    results = staff.get(f"/reviews/{run['cycle']}/people/{company.staff.id}/results")
    body = results.get_data(as_text=True)
    assert "Outcome" in body and "Bonus" in body and "History" in body


def test_a_closed_cycle_refuses_crafted_posts_and_fragments(app, company, run, login_as):
    with app.app_context():
        c = attached(company)
        cycle = db.session.get(Cycle, run["cycle"])
        from perfsite.interviews.services import closing
        from perfsite.models import utcnow

        item_owner = db.session.get(Interview, run["interview"])
        item = interviews.add_item(item_owner, c.head, action="x", support="",
                                   owner_id=c.staff.id, due_date=None, status="open")
        closing.close(cycle, c.hr, reason="Test", now=utcnow())
        db.session.commit()
        item_id = item.id
    head = login_as("head")
    page = head.get(run["page"]).get_data(as_text=True)
    assert "<textarea" not in page and "add-item-form" not in page
    before = _interview(app, run)
    for path, data in ((f"{run['page']}/notes/strengths", {"note-strengths-text": "late",
                                                           "note-strengths-version": ""}),
                       (f"{run['page']}/items", {"item-new-action": "late"}),
                       (f"/interviews/items/{item_id}", {f"item-{item_id}-action": "late"}),
                       (f"/interviews/items/{item_id}/remove", {}),
                       (f"{run['page']}/complete", {"complete-version": "1"})):
        answer = head.post_form(path, data)
        assert answer.status_code == 409, (path, answer.status_code)
        fragment = head.htmx("POST", path, data)
        assert fragment.status_code == 409, path
    after = _interview(app, run)
    assert after.texts == before.texts and after.item_actions == before.item_actions
    with app.app_context():
        assert db.session.scalar(select(InterviewNote.id)) is None


# Query counts -----------------------------------------------------------------------------

def _add_reports(app, company, count):
    """`count` more reports of the head with a plan in the cycle, each interview scheduled."""
    with app.app_context():
        c = attached(company)
        from perfsite.models import PersonalPlan

        cycle = db.session.get(Cycle, company._cycle_id)
        for i in range(count):
            person = make_person(f"extra{i}", c.eng, manager=c.head)
            db.session.add(PersonalPlan(cycle=cycle, person=person, status="draft",
                                        revision=0))
            schedule(cycle, person, c.head)
        db.session.commit()


def test_query_counts_do_not_grow_with_people(app, company, run, login_as, count_queries):
    head = login_as("head")
    company._cycle_id = run["cycle"]
    with count_queries() as few:
        assert head.get(run["cycle_page"]).status_code == 200
    with count_queries() as page_few:
        assert head.get(run["page"]).status_code == 200
    with app.app_context():  # more items and notes on the interview page
        c = attached(company)
        interview = db.session.get(Interview, run["interview"])
        for i in range(5):
            interviews.add_item(interview, c.head, action=f"Item {i}", support="",
                                owner_id=c.staff.id if i % 2 else c.head.id, due_date=None,
                                status="open")
        for section in ("strengths", "improve", "person"):
            interviews.save_note(interview, c.head if section != "person" else c.staff,
                                 section, f"Notes on {section}", expected_version="",
                                 now=interview.starts_at)
        db.session.commit()
    _add_reports(app, company, 6)
    with count_queries() as many:
        assert head.get(run["cycle_page"]).status_code == 200
    assert many.count == few.count
    with count_queries() as page_many:
        assert head.get(run["page"]).status_code == 200
    assert page_many.count == page_few.count
    with count_queries() as todo_few:
        head.get("/todos")
    assert todo_few.count < 60


def test_goal_drafts_show_on_the_plan_when_next_planning_opens(app, company, run, login_as):
    head = login_as("head")
    head.form(run["page"], "add-draft-form").submit({"draft-title": "Lead the public API"})
    head.form(run["page"], "complete-form").submit()
    with app.app_context():
        from datetime import date

        from perfsite.cycles import services as cycles
        from perfsite.models import Phase

        from .factories import hr_admin, make_cycle

        following = make_cycle("2027 H2", Phase.DRAFT, start_date=date(2027, 7, 1),
                               end_date=date(2027, 12, 31))
        cycles.move_phase(following, hr_admin(), Phase.PLANNING)
        db.session.commit()
        following_id = following.id
    page = login_as("staff").get(f"/planning/{following_id}/people/{company.staff.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Proposed in the last feedback interview" in body and "Lead the public API" in body


def test_the_person_tracks_the_plan_in_the_next_cycle_and_the_head_sees_it(
        app, company, run, login_as):
    with app.app_context():
        from perfsite.cycles import services as cycles
        from perfsite.models import Phase, utcnow

        from .factories import hr_admin

        c = attached(company)
        interview = db.session.get(Interview, run["interview"])
        interviews.add_item(interview, c.head, action="Pair on reviews", support="",
                            owner_id=c.staff.id, due_date=None, status="open")
        interviews.complete(interview, c.head, expected_version=interview.version,
                            now=utcnow())
        cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)  # the next cycle runs
        db.session.commit()
        item_id = interview.items[0].id
    staff = login_as("staff")
    page = staff.get("/interviews/").get_data(as_text=True)
    assert "My improvement plan from 2026 H2" in page
    answer = staff.form("/interviews/", f"/items/{item_id}/track").submit(
        {f"track-{item_id}-status": "done", f"track-{item_id}-note": "Every week since May"})
    assert answer.status_code == 302
    assert login_as("head").post_form(f"/interviews/items/{item_id}/track", {
        f"track-{item_id}-status": "done"}).status_code == 403
    with app.app_context():
        item = db.session.get(ImprovementItem, item_id)
        assert item.status == "open" and item.current_state.value == "done"


def test_a_goal_drafted_in_the_interview_is_offered_as_a_kpi_in_next_planning(
        app, run, login_as):
    from datetime import date

    from perfsite.cycles import services as cycles
    from perfsite.models import Phase

    from .coaching_factories import NOW
    from .factories import hr_admin, make_cycle

    with app.app_context():
        interview = db.session.get(Interview, run["interview"])
        head = db.session.get(Person, interview.head_id)
        interviews.add_goal_draft(interview, head, title="Lead the API work", description="")
        interviews.complete(interview, head, expected_version=interview.version, now=NOW)
        following = make_cycle("2027 H2", Phase.DRAFT, start_date=date(2027, 7, 1),
                               end_date=date(2027, 12, 31))
        cycles.move_phase(following, hr_admin(), Phase.PLANNING)
        db.session.commit()
        plan_page = f"/planning/{following.id}/people/{interview.person_id}"
    staff = login_as("staff")
    page = staff.get(plan_page).get_data(as_text=True)
    assert "Proposed in the last feedback interview" in page
    link = re.search(r'href="([^"]*kpis/new[^"]*title=Lead[^"]*)"', page)
    assert link, "no 'Propose as a KPI' link"
    form = staff.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'name="title"[^>]*value="Lead the API work"', form) or re.search(
        r'value="Lead the API work"[^>]*name="title"', form)


def test_an_interview_scheduled_before_the_phase_is_listed_for_its_two_parties(
        app, run, login_as):
    with app.app_context():
        cycle = db.session.get(Cycle, run["cycle"])
        cycle.phase = "review"  # scheduled early, as in the demo
        name = cycle.name
        db.session.commit()
    for username, listed in (("staff", True), ("head", True), ("colleague", False)):
        page = login_as(username).get("/interviews/").get_data(as_text=True)
        assert (name in page) is listed, username


@pytest.mark.parametrize("section", ["prep", "strengths", "improve", "outcomes", "person"])
def test_note_versions_no_database_can_hold_are_refused_not_a_500(
        app, company, run, login_as, section):
    """Issue 16, item 12: a version above 2^63 (or any other garbage) in a note section's
    save is a 409 or 422 with the section's text unchanged, never an OverflowError."""
    writer = login_as("staff" if section == "person" else "head")
    field = f"note-{section}"
    form = writer.form(run["page"], f"/notes/{section}")
    assert form.submit({f"{field}-text": "First words"}, htmx=True).status_code == 200
    for bad in (str(2**63), "1" + "0" * 30, "-1", "abc", "²", "1e3", str(2**31)):
        for name in (f"{field}-version", f"{field}-overwrite_version"):
            for htmx in (True, False):
                answer = form.submit({f"{field}-text": "Crafted", name: bad}, htmx=htmx)
                assert answer.status_code in (409, 422), (name, bad, answer.status_code)
                assert _interview(app, run).texts[section] == "First words"


def test_after_a_conflict_the_writer_chooses_and_nothing_is_concatenated(
        app, company, run, login_as):
    """Issue 16, item 7: A and B edit one section. B's stale saves show A's newer text and
    B's own side by side; what B saves is exactly what B chose or edited (no copies of A's
    text repeated by a merge), and "Keep the newer text" saves nothing of B's."""
    a, b = login_as("head"), login_as("head")
    tab_a = a.form(run["page"], "/notes/improve")
    tab_b = b.form(run["page"], "/notes/improve")
    assert tab_a.submit({"note-improve-text": "A's text"}, htmx=True).status_code == 200
    first = tab_b.submit({"note-improve-text": "B's text"}, htmx=True)
    assert first.status_code == 409
    section = first.get_data(as_text=True)
    assert "A&#39;s text" in section and "Keep the newer text" in section
    assert 'data-hx-trigger="submit"' in section  # no autosave over the newer text meanwhile

    def box(html):
        return re.search(r'<textarea[^>]*id="note-improve-text"[^>]*>(.*?)</textarea>', html,
                         re.S).group(1).strip()

    assert box(section) == "B&#39;s text"
    # A types on; B edits the box (based on A's first text): stale again, still not merged.
    a_now = a.form(run["page"], "/notes/improve")
    assert a_now.submit({"note-improve-text": "A's text +A2"}, htmx=True).status_code == 200
    version = re.search(r'id="note-improve-version" value="(\d+)"', section).group(1)
    second = b.htmx("POST", f"{run['page']}/notes/improve", {
        "note-improve-text": "B's text +B2", "note-improve-version": version},
        token_from=run["page"])
    assert second.status_code == 409
    again = second.get_data(as_text=True)
    assert box(again) == "B&#39;s text +B2" and "A&#39;s text +A2" in again
    # B takes the newer text: nothing of B's is saved over it.
    newer = re.search(r'id="note-improve-version" value="(\d+)"', again).group(1)
    kept = b.htmx("POST", f"{run['page']}/notes/improve", {
        "note-improve-text": "B's text +B2", "note-improve-version": newer,
        "note-improve-keep_newer": "1"}, token_from=run["page"])
    assert kept.status_code == 200 and "Not saved" not in kept.get_data(as_text=True)
    assert _interview(app, run).texts["improve"] == "A's text +A2"
    # Or B saves an edit of both: stored exactly as chosen.
    chosen = "A's text +A2\nB's text +B2"
    saved = b.post_form(f"{run['page']}/notes/improve", {
        "note-improve-text": chosen, "note-improve-version": newer}, token_from=run["page"])
    assert saved.status_code == 302
    assert _interview(app, run).texts["improve"] == chosen


def test_the_persons_own_comments_are_theirs_and_the_head_replies_beside_them(
        app, company, run, login_as):
    """Issue 16, item 9: only the person writes their own comments; the head cannot replace
    them (page, htmx or crafted post) but writes a reply beside them, which the person
    reads."""
    staff, head = login_as("staff"), login_as("head")
    mine = staff.form(run["page"], "/notes/person")
    assert mine.submit({"note-person-text": "I disagree with the Q3 score"}).status_code == 302
    head_page = head.get(run["page"]).get_data(as_text=True)
    assert 'id="note-person-text"' not in head_page  # read-only for the head
    assert "I disagree with the Q3 score" in head_page
    version = str(_interview(app, run).notes[0].version)
    for htmx in (False, True):
        data = {"note-person-text": "Agreed with everything", "note-person-version": version}
        crafted = (head.htmx("POST", f"{run['page']}/notes/person", data, token_from=run["page"])
                   if htmx else head.post_form(f"{run['page']}/notes/person", data,
                                               token_from=run["page"]))
        assert crafted.status_code == 403
    assert _interview(app, run).texts["person"] == "I disagree with the Q3 score"
    reply = head.form(run["page"], "/notes/reply")
    assert reply.submit({"note-reply-text": "The Q3 score stands: see the KPI notes"},
                        htmx=True).status_code == 200
    texts = _interview(app, run).texts
    assert texts["person"] == "I disagree with the Q3 score"
    assert texts["reply"] == "The Q3 score stands: see the KPI notes"
    staff_page = staff.get(run["page"]).get_data(as_text=True)
    assert "The Q3 score stands" in staff_page and 'id="note-reply-text"' not in staff_page
    assert re.search(r"The head(&#39;|')s reply to the person(&#39;|')s comments", staff_page)
    refused = staff.post_form(f"{run['page']}/notes/reply", {
        "note-reply-text": "x", "note-reply-version": ""}, token_from=run["page"])
    assert refused.status_code == 403


# The calendar file ------------------------------------------------------------------------

def _calendar(client, run):
    """The interview's .ics as a calendar reads it: (METHOD, the one VEVENT)."""
    from icalendar import Calendar

    answer = client.get(f"{run['page']}/calendar.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    calendar = Calendar.from_ical(answer.get_data())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return str(calendar["METHOD"]), events[0]


def _import(held: dict, method: str, event) -> None:
    """What a calendar does with an imported file (RFC 5546): an event is known by its UID;
    a newer SEQUENCE replaces it, a CANCEL removes it."""
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])
    if uid in held and int(held[uid]["SEQUENCE"]) > sequence:
        return
    if method == "CANCEL":
        held.pop(uid, None)
    else:
        held[uid] = event


def test_an_interview_rescheduled_twice_stays_one_calendar_event(app, company, run, login_as):
    from datetime import UTC, datetime

    staff, head = login_as("staff"), login_as("head")
    held: dict = {}
    method, first = _calendar(staff, run)
    assert method == "REQUEST" and int(first["SEQUENCE"]) == 0
    assert str(first["ORGANIZER"]) == f"mailto:{company.head.email}"
    assert first["ORGANIZER"].params["CN"] == company.head.display_name
    assert str(first["ATTENDEE"]) == f"mailto:{company.staff.email}"
    assert first["ATTENDEE"].params["CN"] == company.staff.display_name
    _import(held, method, first)
    url = f"/interviews/cycles/{run['cycle']}/people/{company.staff.id}/schedule"
    # The head reads and types times in their zone (the site's: Asia/Shanghai, UTC+8).
    for day, at, utc_hour in (("2026-09-21", "10:00", 2), ("2026-09-22", "15:30", 7)):
        answer = head.form(url, "schedule-form").submit({"day": day, "at": at})
        assert answer.status_code == 302
        method, event = _calendar(staff, run)
        assert str(event["UID"]) == str(first["UID"])
        assert event["DTSTART"].dt == datetime.fromisoformat(day).replace(
            hour=utc_hour, minute=int(at[3:]), tzinfo=UTC)
        _import(held, method, event)
    assert len(held) == 1
    (event,) = held.values()
    assert int(event["SEQUENCE"]) == 2
    assert event["DTSTART"].dt == datetime(2026, 9, 22, 7, 30, tzinfo=UTC)
    assert head.get(url).get_data(as_text=True).count('value="15:30"') == 1  # shown back local
    # Saving the same time again changes nothing a calendar holds: same SEQUENCE.
    assert head.form(url, "schedule-form").submit().status_code == 302
    assert int(_calendar(staff, run)[1]["SEQUENCE"]) == 2


def test_a_cancelled_interview_gives_a_cancellation_and_can_be_scheduled_again(
        app, company, run, login_as):
    staff, head = login_as("staff"), login_as("head")
    held: dict = {}
    _import(held, *_calendar(staff, run))
    assert 'id="cancel-form"' not in staff.get(run["page"]).get_data(as_text=True)
    assert staff.post_form(f"{run['page']}/cancel", {"cancel-version": "1"}).status_code == 403
    answer = head.form(run["page"], "cancel-form").submit()
    assert answer.status_code == 302
    page = staff.get(run["page"]).get_data(as_text=True)
    assert "This interview was cancelled on" in page and "Remove it from my calendar" in page
    method, event = _calendar(staff, run)
    assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    _import(held, method, event)
    assert held == {}
    assert "cancelled your feedback interview" in staff.get(
        "/coaching/notifications").get_data(as_text=True)
    # Notes wait for a meeting (a state refusal: 409); scheduled again, the event is back.
    refused = head.post_form(f"{run['page']}/notes/strengths",
                             {"note-strengths-text": "x", "note-strengths-version": ""})
    assert refused.status_code == 409
    assert "strengths" not in _interview(app, run).texts
    url = f"/interviews/cycles/{run['cycle']}/people/{company.staff.id}/schedule"
    assert "Schedule the cancelled interview with" in head.get("/").get_data(as_text=True)
    assert head.form(url, "schedule-form").submit({"day": "2026-09-25"}).status_code == 302
    method, event = _calendar(staff, run)
    assert method == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 2
    _import(held, method, event)
    assert len(held) == 1
    assert _interview(app, run).status == "scheduled"


def test_the_interview_page_links_to_the_printable_review_for_who_may_print_it(
        app, company, run, login_as):
    """Issue 16, item 13 (interview): the head and the person reach the printable review
    from the interview page."""
    for who in ("head", "staff"):
        client = login_as(who)
        page = client.get(run["page"]).get_data(as_text=True)
        link = re.search(r'<a href="(/reports/\d+/people/\d+)" id="print-link">', page)
        assert link, who
        assert client.get(link.group(1)).status_code == 200


def test_a_notification_gives_the_interview_time_as_pages_do_in_the_readers_time_zone(
        app, company, run, login_as):
    """Issue 16, item 14: "scheduled ... on <when>" reads like the interview page (the
    reader's time zone and language), not "2026-12-12 22:59 UTC"."""
    babel = app.extensions["babel"]
    before = babel.timezone_selector
    babel.timezone_selector = lambda: "Asia/Shanghai"
    try:
        staff = login_as("staff")
        page = staff.get(run["page"]).get_data(as_text=True)
        shown = re.search(r'<time datetime="[^"]+">([^<]+)</time>', page).group(1)
        assert "UTC" not in shown
        told = staff.get("/coaching/notifications").get_data(as_text=True)
        assert "scheduled your feedback interview" in told
        assert shown in told and "UTC" not in told
        home = staff.get("/").get_data(as_text=True)  # the to-do: attend the interview
        assert "Feedback interview with Zhang Min on" in home and "UTC" not in home
        assert shown in home
    finally:
        babel.timezone_selector = before


def test_a_flush_based_on_the_same_tabs_autosave_in_flight_is_saved_another_tabs_is_not(
        app, company, run, login_as):
    head = login_as("head")
    head.form(run["page"], "/notes/strengths").submit(
        {"note-strengths-text": "started", "draft_tab": "tab-one-0001", "draft_seq": "1"},
        htmx=True)
    loaded = head.form(run["page"], "/notes/strengths")  # the page as the tab knew it
    autosave = loaded.submit({"note-strengths-text": "typed", "draft_tab": "tab-one-0001",
                              "draft_seq": "2"}, htmx=True)
    assert autosave.status_code == 200  # its answer never reached the dead tab
    flush = loaded.submit({"note-strengths-text": "typed and more",
                           "draft_tab": "tab-one-0001", "draft_seq": "3"}, htmx=True)
    assert flush.status_code == 200, flush.get_data(as_text=True)
    assert _interview(app, run).texts["strengths"] == "typed and more"
    other = loaded.submit({"note-strengths-text": "other tab", "draft_tab": "tab-two-0002",
                           "draft_seq": "9"}, htmx=True)
    assert other.status_code == 409 and "changed in another tab" in other.get_data(as_text=True)
    late = loaded.submit({"note-strengths-text": "typed", "draft_tab": "tab-one-0001",
                          "draft_seq": "2"}, htmx=True)
    assert late.status_code == 409
    assert _interview(app, run).texts["strengths"] == "typed and more"
    with app.app_context():  # the refused texts are kept as refused revisions, as always
        refused = set(db.session.scalars(select(InterviewNoteRevision.text).where(
            InterviewNoteRevision.refused.is_(True))))
    assert refused == {"other tab", "typed"}
