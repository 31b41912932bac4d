"""Planning rules without HTTP: weights, the plan's state machine, re-alignment, phases,
version history, optimistic locking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from perfsite.audit.services import search_events
from perfsite.cycles import services as cycles
from perfsite.errors import Conflict, Invalid, NotAllowed, PhaseError, StateError
from perfsite.extensions import db
from perfsite.models import AuditEvent, DepartmentGoal, Phase, PlanStatus, TargetRevision
from perfsite.planning.services import (
    WeightTotal,
    goals,
    plans,
    targets,
)

from .factories import hr_admin
from .planning_factories import make_goal, make_kpi, make_target


def events(action):
    return db.session.scalars(search_events(action=action)).all()


# Weights -------------------------------------------------------------------------------------

def test_three_thirds_of_33_33_are_0_01_short_of_100():
    totals = WeightTotal.of("Liu Yang's KPIs", [Decimal("33.33")] * 3)
    assert totals.total == Decimal("99.99") and not totals.complete
    assert totals.message == "Liu Yang's KPIs add up to 99.99%; 0.01 short of 100%."


def test_weights_over_100_say_by_how_much():
    totals = WeightTotal.of("Engineering's goals", [Decimal("60"), Decimal("45.5")])
    assert totals.message == "Engineering's goals add up to 105.5%; over by 5.5."


def test_33_33_33_34_make_exactly_100():
    assert WeightTotal.of("x", [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]).complete


def test_person_cannot_submit_kpis_adding_to_99_99(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    for _ in range(3):
        make_kpi(c.cycle, c.staff, c.head, goal, weight="33.33")
    plan = plans.get_plan(c.cycle, c.staff)
    with pytest.raises(Invalid) as error:
        plans.submit_plan(plan, c.staff, expected_version=plan.version)
    assert "Liu Yang's KPIs add up to 99.99%; 0.01 short of 100%." in str(error.value)
    assert plan.status == PlanStatus.DRAFT


def test_person_cannot_submit_kpis_adding_to_90_and_is_told_10_is_missing(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.staff, c.head, goal, weight="90")
    plan = plans.get_plan(c.cycle, c.staff)
    with pytest.raises(Invalid, match=r"add up to 90%; 10 short"):
        plans.submit_plan(plan, c.staff, expected_version=plan.version)


def test_department_plan_is_ready_only_when_goal_weights_add_to_100(org_chart):
    c = org_chart
    for _ in range(3):
        make_goal(c.cycle, c.eng, c.head, weight="33.33")
    with pytest.raises(Invalid, match=r"Engineering's goals add up to 99\.99%; 0\.01 short"):
        goals.mark_plan_ready(c.cycle, c.eng, c.head)
    last = db.session.scalars(select(DepartmentGoal).order_by(DepartmentGoal.id.desc())).first()
    goals.update_goal(last, c.head, weight=Decimal("33.34"), expected_version=last.version)
    plan = goals.mark_plan_ready(c.cycle, c.eng, c.head)
    assert plan.status == "ready"
    assert events("department_plan.ready")


def test_ready_department_plan_goes_back_to_draft_when_weights_move(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head, weight="100")
    plan = goals.mark_plan_ready(c.cycle, c.eng, c.head)
    goals.update_goal(goal, c.head, weight=Decimal("80"), expected_version=goal.version)
    assert plan.status == "draft"
    assert events("department_plan.reopened")[0].after["weight_total"] == "80.00"


def test_weight_with_three_decimals_is_refused(org_chart):
    c = org_chart
    with pytest.raises(Invalid) as error:
        make_goal(c.cycle, c.eng, c.head, weight="33.333")
    assert error.value.field == "weight"


def test_declined_proposal_weighs_nothing(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.staff, c.head, goal, weight="100")
    proposal = make_kpi(c.cycle, c.staff, c.staff, goal, weight="20")
    plan = plans.get_plan(c.cycle, c.staff)
    assert plans.kpi_weight_total(plan, c.staff).total == Decimal("120.00")
    plans.decide_proposal(proposal, c.head, accept=False, comment="Covered by the other KPI",
        expected_version=proposal.version)
    assert plans.kpi_weight_total(plan, c.staff).complete


# The plan's state machine ----------------------------------------------------------------------

def _plan_at_100(c):
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.staff, c.head, goal, weight="60")
    make_kpi(c.cycle, c.staff, c.head, goal, weight="40")
    return plans.get_plan(c.cycle, c.staff), goal


def test_plan_goes_draft_submitted_approved_with_audit(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_at is not None
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == c.head
    submitted, = events("plan.submitted")
    assert submitted.before == {"status": "draft"} and submitted.after == {"status": "submitted"}
    assert submitted.actor == c.staff
    assert events("plan.approved")[0].actor == c.head


def test_only_the_person_submits_their_plan(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    for someone in (c.head, c.colleague, c.exec):
        with pytest.raises(NotAllowed):
            plans.submit_plan(plan, someone, expected_version=plan.version)


def test_staff_cannot_approve_their_own_plan(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    with pytest.raises(NotAllowed, match="not you"):
        plans.approve_plan(plan, c.staff, expected_version=plan.version)
    assert plan.status == PlanStatus.SUBMITTED


def test_head_cannot_approve_their_own_plan_even_heading_the_department(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.head, c.exec, goal, weight="100")
    plan = plans.get_plan(c.cycle, c.head)
    plans.submit_plan(plan, c.head, expected_version=plan.version)
    with pytest.raises(NotAllowed):
        plans.approve_plan(plan, c.head, expected_version=plan.version)
    plans.approve_plan(plan, c.exec, expected_version=plan.version)  # their manager
    assert plan.status == PlanStatus.APPROVED


def test_head_of_another_department_cannot_approve(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    with pytest.raises(NotAllowed):
        plans.approve_plan(plan, c.sales_head, expected_version=plan.version)
    with pytest.raises(NotAllowed):
        plans.approve_plan(plan, c.hr, expected_version=plan.version)


def test_returning_needs_a_comment_and_the_person_resubmits(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    with pytest.raises(Invalid) as error:
        plans.return_plan(plan, c.head, comment="  ", expected_version=plan.version)
    assert error.value.field == "comment"
    plans.return_plan(plan, c.head, comment="Make the second KPI measurable",
        expected_version=plan.version)
    assert plan.status == PlanStatus.RETURNED
    assert plan.return_comment == "Make the second KPI measurable"
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    assert plan.status == PlanStatus.SUBMITTED


def test_submitting_twice_is_refused_and_audited_once(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    with pytest.raises(StateError, match="already"):
        plans.submit_plan(plan, c.staff, expected_version=plan.version)
    assert len(events("plan.submitted")) == 1


def test_approval_waits_for_pending_proposals(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.staff, c.head, goal, weight="70")
    proposal = make_kpi(c.cycle, c.staff, c.staff, goal, title="Mentor an intern", weight="30")
    plan = plans.get_plan(c.cycle, c.staff)
    plans.submit_plan(plan, c.staff,
        expected_version=plan.version)  # the proposal counts towards 100
    with pytest.raises(Invalid, match="Accept or decline"):
        plans.approve_plan(plan, c.head, expected_version=plan.version)
    plans.decide_proposal(proposal, c.head, accept=True, comment="Good idea",
        expected_version=proposal.version)
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    assert plan.status == PlanStatus.APPROVED
    assert proposal.proposal_status == "accepted" and proposal.head_comment == "Good idea"


def test_declining_a_proposal_needs_a_comment(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    proposal = make_kpi(c.cycle, c.staff, c.staff, goal)
    with pytest.raises(Invalid):
        plans.decide_proposal(proposal, c.head, accept=False, comment="",
            expected_version=proposal.version)
    plans.decide_proposal(proposal, c.head, accept=False, comment="Not this cycle",
        expected_version=proposal.version)
    assert events("kpi.declined")[0].after["head_comment"] == "Not this cycle"


def test_staff_cannot_change_an_assigned_kpi_only_their_proposals(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    assigned = make_kpi(c.cycle, c.staff, c.head, goal, weight="50")
    proposal = make_kpi(c.cycle, c.staff, c.staff, goal, weight="40")
    with pytest.raises(NotAllowed):
        plans.update_kpi(assigned, c.staff, weight=Decimal("60"), expected_version=assigned.version)
    plans.update_kpi(proposal, c.staff, weight=Decimal("50"), expected_version=proposal.version)
    assert proposal.weight == Decimal("50.00")


def test_a_kpi_must_serve_a_goal_of_the_persons_department(org_chart):
    c = org_chart
    sales_goal = make_goal(c.cycle, c.sales, c.sales_head)
    plan = plans.plan_for(c.cycle, c.staff)
    with pytest.raises(Invalid) as error:
        plans.assign_kpi(plan, c.head, title="Sell", goal_id=sales_goal.id, metric_type="numeric",
                         baseline=0, target_value=5, weight=Decimal(100))
    assert error.value.field == "goal_id"
    with pytest.raises(Invalid) as error:
        plans.propose_kpi(plan, c.staff, title="Mine", goal_id=None, metric_type="numeric",
                          baseline=0, target_value=5, weight=Decimal(100))
    assert error.value.field == "goal_id"


def test_contributing_department_may_align_kpis_to_the_goal(org_chart):
    c = org_chart
    sales_goal = make_goal(c.cycle, c.sales, c.sales_head, title="Win 10 key accounts")
    goals.update_goal(sales_goal, c.sales_head, contributor_ids=[c.eng.id],
        expected_version=sales_goal.version)
    kpi = make_kpi(c.cycle, c.staff, c.head, sales_goal, title="Build the demo environment")
    assert kpi.goal == sales_goal


def test_approved_plan_changes_only_through_a_revision_with_a_reason(org_chart):
    c = org_chart
    plan, goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    kpi = plan.kpis[0]
    with pytest.raises(StateError, match="revision"):
        plans.update_kpi(kpi, c.head, weight=Decimal("50"), expected_version=kpi.version)
    with pytest.raises(Invalid):
        plans.reopen_plan(plan, c.head, reason="", expected_version=plan.version)
    plans.reopen_plan(plan, c.head, reason="Priorities changed after the re-org",
        expected_version=plan.version)
    assert plan.status == PlanStatus.DRAFT and plan.revision == 1
    plans.update_kpi(kpi, c.head, weight=Decimal("50"), expected_version=kpi.version)
    reopened, = events("plan.reopened")
    assert reopened.after["reason"] == "Priorities changed after the re-org"


def test_staff_cannot_reopen_their_approved_plan(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    with pytest.raises(NotAllowed):
        plans.reopen_plan(plan, c.staff, reason="I want to", expected_version=plan.version)


# Re-alignment ------------------------------------------------------------------------------------

def test_changing_a_published_targets_value_flags_aligned_goals(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec, title="Revenue +20%")
    aligned = make_goal(c.cycle, c.eng, c.head, target=target, weight="60")
    other = make_goal(c.cycle, c.eng, c.head, weight="40")
    db.session.commit()
    with pytest.raises(Invalid) as error:
        targets.update_target(target, c.exec, target_value=Decimal("25"),
            expected_version=target.version)
    assert error.value.field == "reason"
    db.session.rollback()
    targets.update_target(target, c.exec, target_value=Decimal("25"), reason="Board raised it",
        expected_version=target.version)
    assert aligned.needs_realignment and not other.needs_realignment
    flagged, = events("goal.flagged")
    assert flagged.object_id == aligned.id and flagged.after["because"] == "target.revised"
    assert goals.flagged_goals_for(c.head) == [aligned]
    assert goals.flagged_goals_for(c.sales_head) == []


def test_renaming_a_target_keeps_goals_aligned(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec)
    goal = make_goal(c.cycle, c.eng, c.head, target=target)
    targets.update_target(target, c.exec, title="Clearer title", reason="Wording",
        expected_version=target.version)
    assert not goal.needs_realignment and target.revision == 2


def test_retiring_a_target_flags_goals_and_head_clears_with_a_reason(org_chart):
    c = org_chart
    old = make_target(c.cycle, c.exec, title="Old strategy")
    new = make_target(c.cycle, c.exec, title="New strategy")
    goal = make_goal(c.cycle, c.eng, c.head, target=old)
    assert targets.retire_target(old, c.exec, reason="Strategy changed",
        expected_version=old.version) == 1
    assert goal.needs_realignment
    with pytest.raises(Invalid):
        goals.realign_goal(goal, c.head, target_id=new.id, reason="", expected_version=goal.version)
    with pytest.raises(NotAllowed):
        goals.realign_goal(goal, c.sales_head, target_id=new.id, reason="Not mine",
            expected_version=goal.version)
    goals.realign_goal(goal, c.head, target_id=new.id, reason="Serves the new strategy",
        expected_version=goal.version)
    assert not goal.needs_realignment and goal.target_id == new.id
    realigned, = events("goal.realigned")
    assert realigned.before == {"target_id": old.id, "supports_goal_id": None,
                                "needs_realignment": True}
    assert realigned.after["reason"] == "Serves the new strategy"
    assert realigned.after["needs_realignment"] is False


def test_goals_cannot_align_to_draft_or_retired_targets(org_chart):
    c = org_chart
    draft = make_target(c.cycle, c.exec, publish=False)
    with pytest.raises(Invalid) as error:
        make_goal(c.cycle, c.eng, c.head, target=draft)
    assert error.value.field == "alignment"


def test_head_cannot_plan_another_departments_goals(org_chart):
    c = org_chart
    with pytest.raises(NotAllowed):
        make_goal(c.cycle, c.sales, c.head)
    sales_goal = make_goal(c.cycle, c.sales, c.sales_head)
    with pytest.raises(NotAllowed):
        goals.update_goal(sales_goal, c.head, weight=Decimal("10"),
            expected_version=sales_goal.version)


# Targets: who, versions ------------------------------------------------------------------------

def test_only_executives_write_targets(org_chart):
    c = org_chart
    for someone in (c.head, c.hr, c.staff):
        with pytest.raises(NotAllowed):
            targets.create_target(c.cycle, someone, title="T", metric_type="numeric",
                                  baseline=0, target_value=1)


def test_every_published_version_of_a_target_stays_readable(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec, title="NPS", target_value=Decimal("40"))
    targets.update_target(target, c.exec, target_value=Decimal("45"), reason="Q1 went well",
        expected_version=target.version)
    targets.update_target(target, c.exec, description="Measured by survey",
                          reason="Say how it is measured", expected_version=target.version)
    history = db.session.scalars(select(TargetRevision).where(
        TargetRevision.target_id == target.id).order_by(TargetRevision.revision)).all()
    assert [r.revision for r in history] == [1, 2, 3]
    assert history[0].snapshot["target_value"] == "40.0000"
    assert history[1].snapshot["target_value"] == "45.0000"
    assert history[1].reason == "Q1 went well" and history[1].changed_by == c.exec
    assert history[2].snapshot["description"] == "Measured by survey"


def test_draft_edits_make_no_revision(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec, publish=False)
    targets.update_target(target, c.exec, title="Better title", expected_version=target.version)
    assert target.revision == 0 and events("target.updated")


def test_milestone_targets_measure_done_or_not(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec, metric_type="milestone", baseline=Decimal("5"),
                         target_value=Decimal("9"))
    assert (target.baseline, target.target_value) == (0, 1)


# Phases ------------------------------------------------------------------------------------------

def test_nothing_changes_in_a_closed_cycle(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec)
    goal = make_goal(c.cycle, c.eng, c.head, target=target)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal)
    for phase in list(Phase)[2:]:
        cycles.move_phase(c.cycle, hr_admin(), phase)
    assert c.cycle.phase == Phase.CLOSED
    attempts = [
        lambda: targets.update_target(target, c.exec, title="x", reason="r",
            expected_version=target.version),
        lambda: targets.retire_target(target, c.exec, reason="r", expected_version=target.version),
        lambda: make_target(c.cycle, c.exec),
        lambda: goals.update_goal(goal, c.head, weight=Decimal(50), reason="r",
            expected_version=goal.version),
        lambda: goals.realign_goal(goal, c.head, target_id=None, reason="r",
            expected_version=goal.version),
        lambda: plans.update_kpi(kpi, c.head, weight=Decimal(50), expected_version=kpi.version),
        lambda: plans.submit_plan(kpi.plan, c.staff, expected_version=kpi.plan.version),
        lambda: plans.set_kpi_actual(kpi, c.head, 5),
    ]
    for attempt in attempts:
        with pytest.raises(PhaseError):
            attempt()


def test_after_planning_goal_changes_need_a_reason(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)
    with pytest.raises(Invalid) as error:
        goals.update_goal(goal, c.head, weight=Decimal("90"), expected_version=goal.version)
    assert error.value.field == "reason"
    goals.update_goal(goal, c.head, weight=Decimal("90"), reason="Half the team moved",
        expected_version=goal.version)
    assert events("goal.updated")[0].after == {"weight": "90.00",
                                               "reason": "Half the team moved"}


def test_new_targets_only_during_planning_but_revisions_in_progress(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec)
    cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)
    with pytest.raises(PhaseError):
        make_target(c.cycle, c.exec)
    targets.update_target(target, c.exec, target_value=Decimal("30"), reason="Mid-year review",
        expected_version=target.version)
    assert target.revision == 2


def test_actuals_are_recorded_once_the_cycle_is_in_progress_on_an_approved_plan(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal)
    with pytest.raises(PhaseError):
        plans.set_kpi_actual(kpi, c.staff, 5)
    cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)
    with pytest.raises(StateError, match="approved"):
        plans.set_kpi_actual(kpi, c.staff, 5)  # a draft plan takes no check-ins
    plans.submit_plan(kpi.plan, c.staff, expected_version=kpi.plan.version)
    plans.approve_plan(kpi.plan, c.head, expected_version=kpi.plan.version)
    plans.set_kpi_actual(kpi, c.staff, "5")
    assert kpi.actual_value == Decimal(5)
    with pytest.raises(NotAllowed):
        plans.set_kpi_actual(kpi, c.colleague, 6)
    assert events("kpi.actual_set")[0].after == {"actual_value": "5.0000"}


def test_in_progress_approved_plan_is_revised_by_reopening_with_a_reason(org_chart):
    c = org_chart
    plan, _goal = _plan_at_100(c)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)
    plans.reopen_plan(plan, c.head, reason="New product line", expected_version=plan.version)
    plans.update_kpi(plan.kpis[0], c.head, weight=Decimal("50"),
        expected_version=plan.kpis[0].version)
    plans.update_kpi(plan.kpis[1], c.head, weight=Decimal("50"),
        expected_version=plan.kpis[1].version)
    plans.submit_plan(plan, c.staff, expected_version=plan.version)
    plans.approve_plan(plan, c.head, expected_version=plan.version)
    assert plan.status == PlanStatus.APPROVED and plan.revision == 1


# Optimistic locking ------------------------------------------------------------------------------

def test_saving_over_a_newer_goal_is_refused(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    loaded_version = goal.version
    goals.update_goal(goal, c.head, expected_version=loaded_version, weight=Decimal("60"))
    db.session.flush()
    with pytest.raises(Conflict) as conflict:
        goals.update_goal(goal, c.exec, expected_version=loaded_version, weight=Decimal("70"))
    assert conflict.value.current is goal and goal.weight == Decimal("60.00")


def test_a_missing_or_garbled_version_is_a_conflict_not_a_crash(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    for garbage in ("", "abc"):
        with pytest.raises(Conflict):
            goals.update_goal(goal, c.head, expected_version=garbage, weight=Decimal("60"))


def test_every_change_is_audited_with_before_and_after(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    goals.update_goal(goal, c.head, weight=Decimal("55.5"), title="Ship faster",
        expected_version=goal.version)
    updated, = events("goal.updated")
    assert updated.before == {"title": goal.title if False else updated.before["title"],
                              "weight": "100.00"}
    assert updated.after == {"title": "Ship faster", "weight": "55.50"}
    assert updated.actor == c.head
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"goal.created", "goal.updated"} <= actions
