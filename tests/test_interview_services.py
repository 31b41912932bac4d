"""Interview services without HTTP: the state machine (scheduled -> held -> completed ->
acknowledged / appealed -> resolved) and who may do each step, notes saved by section with
versions (a stale save keeps both texts), improvement plans, goal drafts becoming proposals,
appeal resolution changing a rating (audited), outcome rules and overrides, approvals, and
closing the cycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from perfsite import permissions as can
from perfsite.coaching.services import todos
from perfsite.cycles import services as cycles
from perfsite.errors import Conflict, Invalid, NotAllowed, PhaseError, StateError
from perfsite.extensions import db
from perfsite.interviews.services import closing, history, interviews, outcomes
from perfsite.models import (
    AuditEvent,
    CalibrationMove,
    GoalDraft,
    InterviewNoteRevision,
    InterviewStatus,
    Notification,
    Phase,
)
from perfsite.reviews.services import scores

from .coaching_factories import NOW
from .factories import hr_admin, make_cycle
from .interview_factories import WHEN, completed, interview_cycle, schedule

S = InterviewStatus


@pytest.fixture
def run(org_chart):
    return interview_cycle(org_chart)


def _actions(prefix: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action)
                                   .where(AuditEvent.action.startswith(prefix))
                                   .order_by(AuditEvent.id)))


# The state machine and who does each step -------------------------------------------------

def test_the_reviewer_schedules_and_the_person_is_told(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    assert interview.state is S.SCHEDULED and interview.head_id == c.head.id
    assert db.session.scalar(select(Notification.kind).where(
        Notification.recipient_id == c.staff.id,
        Notification.kind != "plan_approved")) == "interview_scheduled"
    kinds = {t.kind for t in todos.todos_for(c.staff, NOW)}
    assert "interview_attend" in kinds
    assert "interview.scheduled" in _actions("interview.")


@pytest.mark.parametrize("who", ["staff", "colleague", "sales_head", "hr", "exec"])
def test_only_the_reviewer_schedules(org_chart, run, who):
    c = org_chart
    interview = interviews.interview_for(run.cycle, c.staff)
    with pytest.raises(NotAllowed):
        interviews.schedule(interview, getattr(c, who), starts_at=WHEN, duration_minutes=60,
                            place="Room", meeting_link="", expected_version="", now=NOW)


def test_scheduling_needs_a_place_or_a_link(org_chart, run):
    interview = interviews.interview_for(run.cycle, org_chart.staff)
    with pytest.raises(Invalid) as caught:
        interviews.schedule(interview, org_chart.head, starts_at=WHEN, duration_minutes=60,
                            place=" ", meeting_link="", expected_version="", now=NOW)
    assert caught.value.field == "place"
    with pytest.raises(Invalid) as caught:
        interviews.schedule(interview, org_chart.head, starts_at=WHEN, duration_minutes=60,
                            place="", meeting_link="javascript:alert(1)", expected_version="",
                            now=NOW)
    assert caught.value.field == "meeting_link"


def test_the_person_proposes_another_time_and_the_head_reschedules(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    with pytest.raises(NotAllowed):
        interviews.propose_time(interview, c.head, starts_at=WHEN, note="",
                                expected_version=interview.version, now=NOW)
    later = WHEN.replace(hour=15)
    interviews.propose_time(interview, c.staff, starts_at=later, note="Dentist",
                            expected_version=interview.version, now=NOW)
    assert "interview_reschedule" in {t.kind for t in todos.todos_for(c.head, NOW)}
    interviews.schedule(interview, c.head, starts_at=later, duration_minutes=45,
                        place="Room 4", meeting_link="", expected_version=interview.version,
                        now=NOW)
    assert interview.starts_at == later and interview.proposed_starts_at is None


def test_state_machine_agree(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    interviews.save_note(interview, c.head, "strengths", "Ships reliably.",
                         expected_version="", now=NOW)
    assert interview.state is S.HELD
    with pytest.raises(NotAllowed):
        interviews.complete(interview, c.staff, expected_version=interview.version, now=NOW)
    with pytest.raises(StateError):  # not completed yet
        interviews.acknowledge(interview, c.staff, agreement="agree", comment="",
                               expected_version=interview.version, now=NOW)
    interviews.complete(interview, c.head, expected_version=interview.version, now=NOW)
    assert interview.state is S.COMPLETED
    with pytest.raises(StateError):  # the record is final
        interviews.save_note(interview, c.head, "strengths", "More",
                             expected_version=interview.note("strengths").version, now=NOW)
    with pytest.raises(NotAllowed):
        interviews.acknowledge(interview, c.head, agreement="agree", comment="",
                               expected_version=interview.version, now=NOW)
    interviews.acknowledge(interview, c.staff, agreement="agree", comment="",
                           expected_version=interview.version, now=NOW)
    assert interview.state is S.ACKNOWLEDGED
    assert _actions("interview.") == ["interview.scheduled", "interview.held",
                                      "interview.completed", "interview.acknowledged"]


def test_disagreeing_opens_an_appeal_hr_resolves_by_changing_the_rating(org_chart, run):
    c = org_chart
    interview = completed(run.cycle, c.staff, c.head)
    with pytest.raises(Invalid) as caught:  # a disagreement says why
        interviews.acknowledge(interview, c.staff, agreement="disagree", comment=" ",
                               expected_version=interview.version, now=NOW)
    assert caught.value.field == "comment"
    interviews.acknowledge(interview, c.staff, agreement="disagree", comment="My KPIs moved",
                           expected_version=interview.version, now=NOW)
    assert interview.state is S.APPEALED
    assert any(t.kind == "appeal_resolve" for t in todos.todos_for(c.hr, NOW))
    for who in (c.head, c.staff, c.exec):
        with pytest.raises(NotAllowed):
            interviews.resolve_appeal(interview, who, decision="upheld", band=None,
                                      reason="r", expected_version=interview.version, now=NOW)
    result = scores.get_result(run.cycle, c.staff)
    before = result.final_band
    with pytest.raises(Invalid) as caught:
        interviews.resolve_appeal(interview, c.hr, decision="changed", band="A", reason="",
                                  expected_version=interview.version, now=NOW)
    assert caught.value.field == "reason"
    target = "A" if before != "A" else "B"
    interviews.resolve_appeal(interview, c.hr, decision="changed", band=target,
                              reason="Targets moved mid-cycle",
                              expected_version=interview.version, now=NOW)
    assert interview.state is S.RESOLVED
    assert result.final_band == target
    move = db.session.scalar(select(CalibrationMove).where(CalibrationMove.result_id ==
                                                           result.id))
    assert (move.from_band, move.to_band) == (before, target)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "review_result.changed_on_appeal"))
    assert event.before == {"band": before} and event.after["band"] == target
    told = set(db.session.scalars(select(Notification.recipient_id).where(
        Notification.kind == "appeal_changed")))
    assert told == {c.staff.id, c.head.id}
    assert outcomes.get_outcome(run.cycle, c.staff).band == target
    assert not any(t.kind == "appeal_resolve" for t in todos.todos_for(c.hr, NOW))


def test_appeal_upheld(org_chart, run):
    c = org_chart
    interview = completed(run.cycle, c.staff, c.head)
    interviews.acknowledge(interview, c.staff, agreement="disagree", comment="No",
                           expected_version=interview.version, now=NOW)
    band = scores.get_result(run.cycle, c.staff).final_band
    interviews.resolve_appeal(interview, c.hr, decision="upheld", band=None, reason="Fair",
                              expected_version=interview.version, now=NOW)
    assert interview.appeal_decision == "upheld"
    assert scores.get_result(run.cycle, c.staff).final_band == band


def test_staff_never_see_another_persons_interview(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    assert can.can_view_interview(c.staff, interview)
    assert not can.can_view_interview(c.colleague, interview)
    assert not can.can_view_interview(c.sales_head, interview)
    assert can.can_view_interview(c.hr, interview) and can.can_view_interview(c.exec, interview)


def test_the_heads_preparation_never_reaches_the_person(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    interviews.save_note(interview, c.head, "prep", "Ask about the outage",
                         expected_version="", now=NOW)
    assert interview.state is S.SCHEDULED  # preparing is not holding it
    assert not can.can_read_prep_notes(c.staff, interview)
    assert can.can_read_prep_notes(c.head, interview)
    with pytest.raises(NotAllowed):
        interviews.save_note(interview, c.staff, "prep", "x", expected_version="", now=NOW)
    # The person adds their own comments, nothing else.
    interviews.save_note(interview, c.staff, "person", "I want mentoring",
                         expected_version="", now=NOW)
    with pytest.raises(NotAllowed):
        interviews.save_note(interview, c.staff, "strengths", "x", expected_version="",
                             now=NOW)


# Notes: versions and stale saves --------------------------------------------------------------

def test_a_stale_save_keeps_both_texts(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    first = interviews.save_note(interview, c.head, "strengths", "Tab one",
                                 expected_version="", now=NOW)
    seen = first.note.version
    interviews.save_note(interview, c.head, "strengths", "Tab one, more",
                         expected_version=seen, now=NOW)
    stale = interviews.save_note(interview, c.head, "strengths", "Tab two text",
                                 expected_version=seen, now=NOW)
    assert stale.stale
    note = interview.note("strengths")
    assert note.text == "Tab one, more"  # not silently erased
    assert stale.mine == "Tab two text"  # this tab's text, never merged with the newer one
    refused = db.session.scalar(select(InterviewNoteRevision).where(
        InterviewNoteRevision.refused.is_(True)))
    assert refused.text == "Tab two text"  # kept even if the tab closes now
    chosen = "Tab one, more; and tab two"
    saved = interviews.save_note(interview, c.head, "strengths", chosen,
                                 expected_version=note.version, now=NOW)
    assert not saved.stale and note.text == chosen
    assert len(interviews.revisions_of(note)) == 4


# Improvement plan and goal drafts --------------------------------------------------------------

def test_improvement_plan_items(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    item = interviews.add_item(interview, c.head, action="Pair weekly", support="Time",
                               owner_id=c.staff.id, due_date=date(2026, 12, 1), status="open")
    with pytest.raises(Invalid) as caught:
        interviews.add_item(interview, c.head, action="x", support="", owner_id=c.exec.id,
                            due_date=None, status="open")
    assert caught.value.field == "owner_id"
    with pytest.raises(NotAllowed):
        interviews.add_item(interview, c.staff, action="x", support="", owner_id=c.staff.id,
                            due_date=None, status="open")
    interviews.update_item(item, c.head, expected_version=item.version, action="Pair twice",
                           support="", owner_id=c.head.id, due_date=None, status="in_progress")
    db.session.flush()
    with pytest.raises(Conflict):
        interviews.update_item(item, c.head, expected_version=1, action="Stale", support="",
                               owner_id=c.head.id, due_date=None, status="open")
    interviews.remove_item(item, c.head, expected_version=item.version)
    assert interview.items == []
    assert _actions("improvement_item.") == ["improvement_item.added",
                                             "improvement_item.updated",
                                             "improvement_item.removed"]


def test_goal_drafts_become_proposals_when_next_planning_opens(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    interviews.add_goal_draft(interview, c.head, title="Lead the API", description="")
    interviews.complete(interview, c.head, expected_version=interview.version, now=NOW)
    following = make_cycle("2027 H2", Phase.DRAFT, start_date=date(2027, 7, 1),
                           end_date=date(2027, 12, 31))
    cycles.move_phase(following, hr_admin(), Phase.PLANNING)
    drafts = interviews.drafts_proposed_to(following, c.staff)
    assert [d.title for d in drafts] == ["Lead the API"]
    assert db.session.scalar(select(Notification.kind).where(
        Notification.recipient_id == c.staff.id,
        Notification.kind == "goal_drafts_proposed")) is not None
    assert db.session.scalar(select(GoalDraft.proposed_cycle_id)) == following.id


# Outcomes -------------------------------------------------------------------------------------

def test_outcome_follows_the_rule_of_the_band(org_chart, run):
    c = org_chart
    completed(run.cycle, c.staff, c.head)
    outcome = outcomes.get_outcome(run.cycle, c.staff)
    band = scores.get_result(run.cycle, c.staff).final_band
    rule = next(r.rule for r in outcomes.rules_for(run.cycle) if r.band.code == band)
    assert outcome.band == band and outcome.bonus_multiplier == rule.bonus_multiplier
    rows = outcomes.rules_for(run.cycle)
    assert rows[0].rule.promotion and rows[-1].rule.improvement_plan  # D: formal plan
    values = {r.band.code: {"bonus_multiplier": "2.5" if r.band.code == band else
                            str(r.rule.bonus_multiplier), "training": True} for r in rows}
    outcomes.save_rules(run.cycle, c.hr, values, NOW)
    assert outcome.bonus_multiplier == Decimal("2.5") and outcome.training
    with pytest.raises(NotAllowed):
        outcomes.save_rules(run.cycle, c.head, values, NOW)
    with pytest.raises(Invalid):
        outcomes.save_rules(run.cycle, c.hr, {**values, band: {"bonus_multiplier": "9"}}, NOW)


def test_head_overrides_with_a_reason_and_executives_approve(org_chart, run):
    c = org_chart
    completed(run.cycle, c.staff, c.head)
    outcome = outcomes.get_outcome(run.cycle, c.staff)
    with pytest.raises(Invalid):
        outcomes.override(outcome, c.head, bonus_multiplier="1.1", promotion=True,
                          training=False, improvement_plan=False, reason="",
                          expected_version=outcome.version, now=NOW)
    for who in (c.staff, c.sales_head, c.hr):
        with pytest.raises(NotAllowed):
            outcomes.override(outcome, who, bonus_multiplier="1.1", promotion=True,
                              training=False, improvement_plan=False, reason="r",
                              expected_version=outcome.version, now=NOW)
    outcomes.override(outcome, c.head, bonus_multiplier="1.1", promotion=True, training=False,
                      improvement_plan=False, reason="Carried the launch",
                      expected_version=outcome.version, now=NOW)
    assert outcome.overridden and outcome.promotion
    assert any(t.kind == "outcomes_approve" for t in todos.todos_for(c.exec, NOW))
    with pytest.raises(NotAllowed):
        outcomes.approve_department(run.cycle, c.hr, c.eng.id, NOW)
    assert outcomes.approve_department(run.cycle, c.exec, c.eng.id, NOW) == 1
    with pytest.raises(StateError):
        outcomes.override(outcome, c.head, bonus_multiplier="1", promotion=False,
                          training=False, improvement_plan=False, reason="r",
                          expected_version=outcome.version, now=NOW)
    assert "outcome.overridden" in _actions("outcome.")
    assert "outcome.approved" in _actions("outcome.")


# Closing --------------------------------------------------------------------------------------

def test_closing_lists_who_is_missing_and_needs_a_reason(org_chart, run):
    c = org_chart
    completed(run.cycle, c.staff, c.head)
    assert [m.person.id for m in closing.missing(run.cycle)] == [c.colleague.id]
    with pytest.raises(NotAllowed):
        closing.close(run.cycle, c.head, reason="x", now=NOW)
    with pytest.raises(Invalid) as caught:
        closing.close(run.cycle, c.hr, reason="", now=NOW)
    assert caught.value.field == "reason"
    closing.close(run.cycle, c.hr, reason="Colleague on leave", now=NOW)
    assert run.cycle.current_phase is Phase.CLOSED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cycle.closed"))
    assert event.after["reason"] == "Colleague on leave"
    assert event.after["people"] == [c.colleague.display_name]


def test_a_closed_cycle_refuses_every_change(org_chart, run):
    c = org_chart
    interview = completed(run.cycle, c.staff, c.head)
    open_one = schedule(run.cycle, c.colleague, c.head)
    outcome = outcomes.get_outcome(run.cycle, c.staff)
    closing.close(run.cycle, c.hr, reason="Done", now=NOW)
    attempts = [
        lambda: interviews.acknowledge(interview, c.staff, agreement="agree", comment="",
                                       expected_version=interview.version, now=NOW),
        lambda: interviews.save_note(open_one, c.head, "strengths", "x", expected_version="",
                                     now=NOW),
        lambda: interviews.add_item(open_one, c.head, action="x", support="",
                                    owner_id=c.colleague.id, due_date=None, status="open"),
        lambda: interviews.complete(open_one, c.head, expected_version=open_one.version,
                                    now=NOW),
        lambda: interviews.schedule(open_one, c.head, starts_at=WHEN, duration_minutes=30,
                                    place="x", meeting_link="",
                                    expected_version=open_one.version, now=NOW),
        lambda: interviews.propose_time(open_one, c.colleague, starts_at=WHEN, note="",
                                        expected_version=open_one.version, now=NOW),
        lambda: outcomes.override(outcome, c.head, bonus_multiplier="1", promotion=False,
                                  training=False, improvement_plan=False, reason="r",
                                  expected_version=outcome.version, now=NOW),
        lambda: outcomes.approve_department(run.cycle, c.exec, c.eng.id, NOW),
        lambda: outcomes.save_rules(run.cycle, c.hr, {}, NOW),
        lambda: closing.close(run.cycle, c.hr, reason="again", now=NOW),
    ]
    for attempt in attempts:
        with pytest.raises(PhaseError):
            attempt()


def test_my_results_history_shows_closed_cycles_to_the_person(org_chart, run):
    c = org_chart
    completed(run.cycle, c.staff, c.head)
    past = history.history_of(c.staff, c.staff)
    assert [p.cycle.id for p in past] == [run.cycle.id]  # from the interviews on
    assert past[0].outcome is not None
    assert history.history_of(c.staff, c.colleague) == []


def test_calendar_file(org_chart, run):
    interview = schedule(run.cycle, org_chart.staff, org_chart.head)
    text = interviews.calendar_file(interview, NOW).decode()
    assert "BEGIN:VEVENT" in text and "DTSTART:20260918T090000Z" in text
    assert "LOCATION:Room 4" in text and text.endswith("\r\n")
    assert f"UID:interview-{interview.id}@perfsite" in text and "SEQUENCE:0" in text
    assert "METHOD:REQUEST" in text and "STATUS:CONFIRMED" in text
    interviews.cancel(interview, org_chart.head, expected_version=interview.version, now=NOW)
    text = interviews.calendar_file(interview, NOW).decode()
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:1" in text
    assert f"UID:interview-{interview.id}@perfsite" in text


def test_send_reminders_covers_interviews(org_chart, run):
    from perfsite.coaching.services import reminders

    c = org_chart
    digests = {d.person.id: {t.kind for t in d.items} for d in reminders.pending_digests(NOW)}
    assert "interview_schedule" in digests[c.head.id]  # staff and colleague to schedule
    interview = completed(run.cycle, c.staff, c.head)
    interviews.acknowledge(interview, c.staff, agreement="disagree", comment="No",
                           expected_version=interview.version, now=NOW)
    digests = {d.person.id: {t.kind for t in d.items} for d in reminders.pending_digests(NOW)}
    assert "appeal_resolve" in digests[c.hr.id]
    assert "outcomes_approve" in digests[c.exec.id]


def test_the_person_tracks_last_cycles_plan_in_the_next_cycle(org_chart, run):
    c = org_chart
    interview = schedule(run.cycle, c.staff, c.head)
    item = interviews.add_item(interview, c.head, action="Pair weekly", support="",
                               owner_id=c.staff.id, due_date=None, status="open")
    following = make_cycle("2027 H2", Phase.PLANNING, start_date=date(2027, 7, 1),
                           end_date=date(2027, 12, 31))
    with pytest.raises(StateError):  # not finished yet
        interviews.track_item(item, c.staff, following, status="done", note="", now=NOW)
    interviews.complete(interview, c.head, expected_version=interview.version, now=NOW)
    with pytest.raises(PhaseError):  # check-ins are not open there yet
        interviews.track_item(item, c.staff, following, status="done", note="", now=NOW)
    with pytest.raises(StateError):  # not in the interview's own cycle
        interviews.track_item(item, c.staff, run.cycle, status="done", note="", now=NOW)
    cycles.move_phase(following, hr_admin(), Phase.IN_PROGRESS)
    with pytest.raises(NotAllowed):
        interviews.track_item(item, c.head, following, status="done", note="", now=NOW)
    interviews.track_item(item, c.staff, following, status="in_progress", note="Twice so far",
                          now=NOW)
    db.session.flush()
    db.session.refresh(item)
    assert item.status == "open"  # the finished record is unchanged
    assert item.current_state.value == "in_progress"
    assert interviews.plan_to_track(c.staff, following).id == interview.id
    assert "improvement_item.tracked" in _actions("improvement_item.")


def test_the_demos_closed_cycle_met_before_today_and_plans_are_due_after_their_meeting(
        app, demo):
    """Issue 16, item 14: in the demo's closed "2026 H1" every interview took place before
    today, and every improvement-plan item is due after the interview that agreed it."""
    from perfsite.models import ImprovementItem, Interview, utcnow

    with app.app_context():
        found = db.session.scalars(select(Interview).where(
            Interview.cycle_id == demo["2026 H1"])).all()
        assert found
        now = utcnow()
        for interview in found:
            assert interview.starts_at < now, interview
            assert interview.completed_at is None or interview.completed_at <= now
        items = db.session.scalars(select(ImprovementItem).join(Interview).where(
            Interview.cycle_id == demo["2026 H1"])).all()
        assert items
        for item in items:
            assert item.due_date > item.interview.starts_at.date(), item.action
