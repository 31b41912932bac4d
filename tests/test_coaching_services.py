"""Check-ins, obstacles, resource requests, coaching and to-dos, without HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from perfsite.coaching.services import (
    checkins,
    notes,
    notifications,
    obstacles,
    requests,
    todos,
)
from perfsite.coaching.services.common import is_overdue, responsible_head
from perfsite.cycles import services as cycles
from perfsite.errors import Invalid, NotAllowed, PhaseError, StateError
from perfsite.extensions import db
from perfsite.models import AuditEvent, CheckIn, Notification, Phase
from perfsite.planning.services import plans
from perfsite.planning.services.progress import latest_checkins, rollup

from .coaching_factories import NOW, running_cycle
from .factories import hr_admin, make_cycle
from .planning_factories import make_goal, make_kpi

D = Decimal


def post(run_kpi, person, value="4", status="on_track", **extra):
    return checkins.post_check_in(run_kpi, person, actual_value=value, status=status,
                                  now=extra.pop("now", NOW), **extra)


# Check-ins move progress through the rollups --------------------------------------------------

def test_check_in_moves_kpi_goal_and_target_progress_by_the_weighted_amount(org_chart):
    c = org_chart
    run = running_cycle(c)
    before = rollup(run.cycle.id)
    assert before.kpis[run.kpi.id] == 0 and before.goals[run.goal.id] == 0
    assert before.targets[run.target.id] == 0

    post(run.kpi, c.staff, value="4")  # 0 -> 10: 40% of the KPI

    after = rollup(run.cycle.id)
    assert run.kpi.actual_value == D("4")
    assert after.kpis[run.kpi.id] == D("0.4")
    # The goal: staff's KPI weighs 75 of 100 -> 0.75 x 0.4 = 0.3
    assert after.goals[run.goal.id] == D("0.3")
    # The target: the goal weighs 60 of 100 -> 0.6 x 0.3 = 0.18
    assert after.targets[run.target.id] == D("0.18")
    assert after.goals[run.second_goal.id] == 0


def test_check_in_is_audited_with_the_value_and_status(org_chart):
    c = org_chart
    run = running_cycle(c)
    check_in = post(run.kpi, c.staff, value="7", status="at_risk", confidence="3", note="Slow")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "check_in.posted"))
    assert event.object_id == check_in.id and event.actor_id == c.staff.id
    assert event.after["status"] == "at_risk" and event.after["actual_value"] == "7.0000"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "kpi.actual_set"))


def test_only_the_kpi_owner_and_their_head_check_in(org_chart):
    c = org_chart
    run = running_cycle(c)
    for other in (c.colleague, c.hr, c.sales_head):
        with pytest.raises(NotAllowed):
            post(run.kpi, other)
    # The head records where a KPI stands as a check-in of their own: one write path for
    # the actual, so the timeline and the rollup agree.
    by_head = post(run.kpi, c.head, value="2")
    assert by_head.author_id == c.head.id and run.kpi.actual_value == 2
    assert checkins.timeline(run.kpi)[0] == by_head
    # Obstacles and requests stay the owner's to raise.
    with pytest.raises(Invalid):
        post(run.kpi, c.head, obstacle="Not mine to raise")


def test_no_check_in_on_a_plan_reopened_to_draft(org_chart):
    c = org_chart
    run = running_cycle(c)
    plan = run.kpi.plan
    plans.reopen_plan(plan, c.head, reason="New priorities", expected_version=plan.version)
    with pytest.raises(StateError, match="approved"):
        post(run.kpi, c.staff)


def test_a_started_resource_request_must_be_complete(org_chart):
    c = org_chart
    run = running_cycle(c)
    with pytest.raises(Invalid) as error:
        checkins.post_check_in(run.kpi, c.staff, actual_value="1", status="on_track", now=NOW,
                               request={"kind": "tools", "what": "", "why": "",
                                        "needed_by": None})
    assert set(error.value.errors) == {"request_what", "request_why"}
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_check_ins_are_refused_in_planning_and_once_the_cycle_is_past_review(org_chart):
    c = org_chart
    run = running_cycle(c, phase=Phase.CALIBRATION)
    with pytest.raises(PhaseError):
        post(run.kpi, c.staff)
    goal = make_goal(c.cycle, c.eng, c.head)  # the company's 2027 H1 is in planning
    kpi = make_kpi(c.cycle, c.staff, c.head, goal)
    with pytest.raises(PhaseError):
        post(kpi, c.staff)


def test_check_in_during_review_is_marked_late(org_chart):
    c = org_chart
    run = running_cycle(c, phase=Phase.REVIEW)
    assert post(run.kpi, c.staff).late is True


def test_check_in_in_progress_is_not_late(org_chart):
    run = running_cycle(org_chart)
    assert post(run.kpi, org_chart.staff).late is False


@pytest.mark.parametrize(("fields", "field"), [
    ({"value": ""}, "actual_value"),
    ({"value": "lots"}, "actual_value"),
    ({"status": "fine"}, "status"),
    ({"confidence": "9"}, "confidence"),
])
def test_bad_check_in_names_the_field(org_chart, fields, field):
    run = running_cycle(org_chart)
    with pytest.raises(Invalid) as error:
        post(run.kpi, org_chart.staff, **fields)
    assert error.value.field == field


def test_timeline_is_newest_first_and_latest_status_is_loaded_in_bulk(org_chart):
    c = org_chart
    run = running_cycle(c)
    first = post(run.kpi, c.staff, value="2", now=NOW - timedelta(days=3))
    second = post(run.kpi, c.staff, value="5", status="off_track")
    post(run.other, c.staff, value="1", status="at_risk")
    assert [e.id for e in checkins.timeline(run.kpi)] == [second.id, first.id]
    latest = latest_checkins([run.kpi.id, run.other.id, run.colleague_kpi.id])
    assert latest[run.kpi.id].status == "off_track"
    assert latest[run.other.id].status == "at_risk"
    assert run.colleague_kpi.id not in latest


# Obstacles: who may make each move ------------------------------------------------------------

def test_obstacle_raised_with_a_check_in_is_owned_by_the_persons_head(org_chart):
    c = org_chart
    run = running_cycle(c)
    check_in = post(run.kpi, c.staff, obstacle="The staging server is down")
    (obstacle,) = obstacles_of(run.kpi)
    assert obstacle.owner_id == c.head.id and obstacle.raised_by_id == c.staff.id
    assert obstacle.check_in_id == check_in.id and obstacle.status == "open"


def obstacles_of(kpi):
    from perfsite.models import Obstacle

    return list(db.session.scalars(select(Obstacle).where(Obstacle.kpi_id == kpi.id)))


def test_a_heads_own_obstacle_goes_to_the_head_above_them(org_chart):
    c = org_chart
    assert responsible_head(c.staff).id == c.head.id
    assert responsible_head(c.head).id == c.exec.id  # Engineering sits under the executive team


def test_obstacle_moves_open_in_hand_resolved_by_its_owner_only(org_chart):
    c = org_chart
    run = running_cycle(c)
    obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="No test data", now=NOW)
    for outsider in (c.staff, c.hr, c.sales_head, c.colleague):
        with pytest.raises(NotAllowed):
            obstacles.take_in_hand(obstacle, outsider, now=NOW, expected_version=obstacle.version)
    obstacles.take_in_hand(obstacle, c.head, now=NOW, expected_version=obstacle.version)
    assert obstacle.status == "in_hand"
    with pytest.raises(Invalid) as error:
        obstacles.resolve(obstacle, c.head, resolution="  ", now=NOW,
            expected_version=obstacle.version)
    assert error.value.field == "resolution"
    obstacles.resolve(obstacle, c.head, resolution="Borrowed QA's data set", now=NOW,
        expected_version=obstacle.version)
    assert obstacle.status == "resolved" and obstacle.resolved_by_id == c.head.id
    with pytest.raises(StateError):
        obstacles.resolve(obstacle, c.head, resolution="again", now=NOW,
            expected_version=obstacle.version)
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "obstacle", AuditEvent.object_id == obstacle.id)))
    assert actions == {"obstacle.raised", "obstacle.in_hand", "obstacle.resolved"}


def test_resolving_an_obstacle_notifies_the_person_who_raised_it(org_chart):
    c = org_chart
    run = running_cycle(c)
    obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    obstacles.resolve(obstacle, c.head, resolution="Unblocked", now=NOW,
        expected_version=obstacle.version)
    (note,) = db.session.scalars(select(Notification).where(
        Notification.recipient_id == c.staff.id, Notification.kind != "plan_approved"))
    assert note.kind == "obstacle_resolved" and note.subject == f"obstacle:{obstacle.id}"
    assert notifications.text_of(note) == "Zhang Min resolved your obstacle on “Portal features”."


def test_closed_cycle_is_read_only_for_obstacles(org_chart):
    c = org_chart
    run = running_cycle(c)
    obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    for step in (Phase.REVIEW, Phase.CALIBRATION, Phase.INTERVIEWS, Phase.CLOSED):
        cycles.move_phase(run.cycle, hr_admin(), step)
    with pytest.raises(PhaseError):
        obstacles.resolve(obstacle, c.head, resolution="Too late", now=NOW,
            expected_version=obstacle.version)


# Resource requests: approve, decline, escalate ------------------------------------------------

def raise_request(run, person, **fields):
    fields = {"kind": "tools", "what": "A second monitor", "why": "Reviews take twice as long",
              **fields}
    return requests.raise_request(run.kpi, person, now=NOW, **fields)


def test_request_is_approved_by_the_owner_head_and_the_raiser_is_told(org_chart):
    c = org_chart
    run = running_cycle(c)
    item = raise_request(run, c.staff)
    assert item.owner_id == c.head.id
    # (`exec` heads the whole company, so may decide too, as a head above.)
    for outsider in (c.staff, c.hr, c.sales_head, c.colleague):
        with pytest.raises(NotAllowed):
            requests.decide(item, outsider, decision="approve", now=NOW,
                expected_version=item.version)
    requests.decide(item, c.head, decision="approve", comment="Ordered", now=NOW,
        expected_version=item.version)
    assert item.status == "approved" and item.decided_by_id == c.head.id
    kinds = list(db.session.scalars(select(Notification.kind).where(
        Notification.recipient_id == c.staff.id, Notification.kind != "plan_approved")))
    assert kinds == ["request_approved"]
    with pytest.raises(StateError):
        requests.decide(item, c.head, decision="decline", comment="changed my mind", now=NOW,
            expected_version=item.version)


def test_declining_needs_a_comment(org_chart):
    c = org_chart
    item = raise_request(running_cycle(c), c.staff)
    with pytest.raises(Invalid) as error:
        requests.decide(item, c.head, decision="decline", now=NOW, expected_version=item.version)
    assert error.value.field == "comment" and item.status == "open"


def test_escalated_request_is_decided_by_an_executive_not_the_head(org_chart):
    c = org_chart
    run = running_cycle(c)
    item = raise_request(run, c.staff, kind="budget", what="Load-test budget")
    with pytest.raises(Invalid) as error:
        requests.decide(item, c.head, decision="escalate", comment="Over my budget", now=NOW,
            expected_version=item.version)
    assert error.value.field == "escalate_to_id"
    requests.decide(item, c.head, decision="escalate", comment="Over my budget",
                    escalate_to_id=c.exec.id, now=NOW, expected_version=item.version)
    assert item.status == "escalated" and item.escalated_to_id == c.exec.id
    for not_executive in (c.head, c.hr, c.staff):
        with pytest.raises(NotAllowed):
            requests.decide(item, not_executive, decision="approve", now=NOW,
                expected_version=item.version)
    requests.decide(item, c.exec, decision="decline", comment="Next quarter", now=NOW,
        expected_version=item.version)
    assert item.status == "declined" and item.decided_by_id == c.exec.id
    kinds = sorted(db.session.scalars(select(Notification.kind).where(
        Notification.recipient_id == c.staff.id, Notification.kind != "plan_approved")))
    assert kinds == ["request_declined", "request_escalated"]


def test_request_with_a_past_needed_by_date_is_refused(org_chart):
    c = org_chart
    with pytest.raises(Invalid) as error:
        raise_request(running_cycle(c), c.staff, needed_by=(NOW - timedelta(days=1)).date())
    assert error.value.field == "needed_by"


# Overdue, with a fixed clock ------------------------------------------------------------------

def test_item_is_overdue_after_the_cycles_setting_and_not_once_decided(org_chart):
    c = org_chart
    run = running_cycle(c, overdue_after_days=5)
    item = raise_request(run, c.staff)
    assert not is_overdue(item, NOW + timedelta(days=5))
    assert is_overdue(item, NOW + timedelta(days=5, minutes=1))
    requests.decide(item, c.head, decision="approve", now=NOW + timedelta(days=6),
        expected_version=item.version)
    assert not is_overdue(item, NOW + timedelta(days=30))


# Coaching comments and private notes ----------------------------------------------------------

def test_coaching_comment_by_the_head_notifies_the_person_and_shows_in_their_todos(org_chart):
    c = org_chart
    run = running_cycle(c)
    check_in = post(run.kpi, c.staff)
    with pytest.raises(NotAllowed):
        notes.comment_on(check_in, c.colleague, body="Nice", now=NOW)
    comment = notes.comment_on(check_in, c.head, body="Pair with Sam on this", now=NOW)
    kinds = [t.kind for t in todos.todos_for(c.staff, NOW)]
    assert "comment_read" in kinds and "notifications" in kinds
    notes.mark_comment_read(comment, c.staff, now=NOW)
    assert "comment_read" not in [t.kind for t in todos.todos_for(c.staff, NOW)]


def test_private_notes_are_read_by_heads_and_hr_never_by_the_person(org_chart):
    c = org_chart
    notes.add_private_note(c.staff, c.head, body="Ready for more scope", now=NOW)
    assert [n.body for n in notes.private_notes_on(c.staff, c.head)] == ["Ready for more scope"]
    assert len(notes.private_notes_on(c.staff, c.hr)) == 1
    assert len(notes.private_notes_on(c.staff, c.exec)) == 1  # heads the company
    for refused in (c.staff, c.colleague, c.sales_head, c.peer):
        with pytest.raises(NotAllowed):
            notes.private_notes_on(c.staff, refused)
    with pytest.raises(NotAllowed):
        notes.add_private_note(c.staff, c.staff, body="about me", now=NOW)
    # Writing a note tells nobody.
    assert db.session.scalar(select(Notification.id)) is None


def test_the_person_never_reads_notes_about_them_even_as_hr(org_chart):
    c = org_chart
    notes.add_private_note(c.hr, c.exec, body="Watch workload", now=NOW)
    with pytest.raises(NotAllowed):
        notes.private_notes_on(c.hr, c.hr)


# To-dos per role ------------------------------------------------------------------------------

def test_staff_todos_check_ins_due_after_the_interval(org_chart):
    c = org_chart
    run = running_cycle(c, checkin_interval_days=7)
    due = {t.values["kpi_id"] for t in todos.todos_for(c.staff, NOW) if t.kind == "check_in_due"}
    assert due == {run.kpi.id, run.other.id}  # nothing posted yet
    post(run.kpi, c.staff, now=NOW)
    post(run.other, c.staff, now=NOW - timedelta(days=8))
    due = {t.values["kpi_id"] for t in todos.todos_for(c.staff, NOW) if t.kind == "check_in_due"}
    assert due == {run.other.id}
    later = NOW + timedelta(days=7, minutes=1)
    due = {t.values["kpi_id"] for t in todos.todos_for(c.staff, later)
           if t.kind == "check_in_due"}
    assert due == {run.kpi.id, run.other.id}


def test_head_todos_obstacles_and_requests_to_act_on_with_overdue_first(org_chart):
    c = org_chart
    run = running_cycle(c, overdue_after_days=7)
    old = obstacles.raise_obstacle(run.kpi, c.staff, description="Old", now=NOW - timedelta(days=9))
    new = obstacles.raise_obstacle(run.kpi, c.staff, description="New", now=NOW)
    item = raise_request(run, c.staff)
    items = [t for t in todos.todos_for(c.head, NOW) if t.kind in ("obstacle_act",
                                                                   "request_decide")]
    assert [(t.kind, t.values) for t in items] == [
        ("request_decide", {"request_id": item.id}),
        ("obstacle_act", {"obstacle_id": old.id}),
        ("obstacle_act", {"obstacle_id": new.id})]
    assert [t.overdue for t in items] == [False, True, False]
    assert not any(t.kind == "obstacle_act" for t in todos.todos_for(c.hr, NOW))
    obstacles.resolve(old, c.head, resolution="Done", now=NOW, expected_version=old.version)
    requests.decide(item, c.head, decision="escalate", comment="Budget",
                    escalate_to_id=c.exec.id, now=NOW, expected_version=item.version)
    kinds = [t.kind for t in todos.todos_for(c.head, NOW)]
    assert kinds.count("obstacle_act") == 1 and "request_decide" not in kinds
    assert [t.kind for t in todos.todos_for(c.exec, NOW)].count("request_decide") == 1


def test_plans_to_submit_and_approve_are_todos(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal)
    assert [t.kind for t in todos.todos_for(c.staff, NOW)] == ["plan_submit"]

    plans.submit_plan(kpi.plan, c.staff, expected_version=kpi.plan.version)
    assert [t.kind for t in todos.todos_for(c.staff, NOW)] == []
    assert [t.kind for t in todos.todos_for(c.head, NOW)] == ["plan_approve"]


def test_todos_for_a_new_cycle_in_draft_are_empty(org_chart):
    c = org_chart
    make_cycle("Draft one")
    assert todos.todos_for(c.hr, NOW) == []


def test_nothing_is_deleted_an_open_item_stays_on_the_owner_and_hr_lists(org_chart):
    """No delete exists; an untouched obstacle stays open and, later, overdue."""
    c = org_chart
    run = running_cycle(c)
    obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="Waiting", now=NOW)
    assert not hasattr(obstacles, "delete") and not hasattr(requests, "delete")
    later = NOW + timedelta(days=60)
    (todo,) = [t for t in todos.todos_for(c.head, later) if t.kind == "obstacle_act"]
    assert todo.values == {"obstacle_id": obstacle.id} and todo.overdue
