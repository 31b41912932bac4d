"""Department goals and the department plan.

Rules:
- A head plans the departments they manage. A goal aligns to one published target of the
  cycle, or supports a goal of another department that names this department as a
  contributor, or is a department-only goal.
- A department's goal weights add up to exactly 100 before its plan is marked ready; a
  ready plan whose weights move away from 100 goes back to draft.
- During planning goals change freely; in progress and review only with a reason.
- A goal flagged for re-alignment (its target was revised or retired) is cleared by the
  head re-aligning it with a reason.
- Every change is audited with before/after (and the reason, when there is one).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...errors import Invalid
from ...extensions import db
from ...models import (
    Cycle,
    Department,
    DepartmentGoal,
    DepartmentPlan,
    DepartmentPlanStatus,
    GoalContributor,
    Kpi,
    StrategyTarget,
    utcnow,
)
from ...rules import check_version, clean_text, require_reason
from .common import (
    WeightTotal,
    clean_actual,
    clean_measure,
    clean_title,
    clean_weight,
    goal_owner_label,
    reason_for,
)

GOAL_FIELDS = ("title", "target_id", "supports_goal_id", "metric_type", "baseline",
               "target_value", "unit", "weight", "due_date")


def goal_snapshot(goal: DepartmentGoal) -> dict:
    data = snapshot(goal, GOAL_FIELDS + ("actual_value", "needs_realignment"))
    data["contributors"] = sorted(c.department_id for c in goal.contributors)
    return data


def _check_alignment(goal: DepartmentGoal) -> None:
    """The target or supported goal must be one a goal of this department may align to."""
    if goal.target_id is not None and goal.supports_goal_id is not None:
        raise Invalid(_l("Align to a target or support a goal, not both."), "alignment")
    if goal.target_id is not None:
        target = db.session.get(StrategyTarget, goal.target_id)
        if (target is None or target.cycle_id != goal.cycle_id
                or not target.is_published):
            raise Invalid(_l("Choose a published target of this cycle."), "alignment")
    if goal.supports_goal_id is not None:
        supported = db.session.get(DepartmentGoal, goal.supports_goal_id)
        if (supported is None or supported.cycle_id != goal.cycle_id
                or supported.department_id == goal.department_id
                or goal.department_id not in {c.department_id for c in supported.contributors}):
            raise Invalid(_l("Only a goal that names this department as a contributor "
                                   "can be supported."), "alignment")
        seen = {goal.id}
        current = supported
        while current is not None and current.supports_goal_id is not None:
            if current.supports_goal_id in seen:
                raise Invalid(_l("Goals cannot support each other in a circle."),
                                    "alignment")
            seen.add(current.id)
            current = db.session.get(DepartmentGoal, current.supports_goal_id)


def _check_goal(goal: DepartmentGoal, *, alignment_changed: bool) -> None:
    goal.title = clean_title(goal.title)
    goal.unit = clean_text(goal.unit, field="unit", limit=30, multiline=False)
    goal.metric_type, goal.baseline, goal.target_value = clean_measure(
        goal.metric_type, goal.baseline, goal.target_value)
    goal.weight = clean_weight(goal.weight)
    if alignment_changed:
        _check_alignment(goal)
    clash = db.session.scalar(select(DepartmentGoal.id).where(
        DepartmentGoal.cycle_id == goal.cycle_id,
        DepartmentGoal.department_id == goal.department_id,
        func.lower(DepartmentGoal.title) == goal.title.lower(),
        DepartmentGoal.id != (goal.id or 0)))
    if clash:
        raise Invalid(_l("This department already has a goal with this title."), "title")


def _set_contributors(goal: DepartmentGoal, department_ids) -> None:
    wanted = {int(d) for d in department_ids} - {goal.department_id}
    if wanted:
        known = set(db.session.scalars(select(Department.id).where(Department.id.in_(wanted))))
        if known != wanted:
            raise Invalid(_l("Choose existing departments."), "contributors")
    have = {c.department_id: c for c in goal.contributors}
    for department_id, row in have.items():
        if department_id not in wanted:
            goal.contributors.remove(row)
    for department_id in sorted(wanted - have.keys()):
        goal.contributors.append(GoalContributor(department_id=department_id))


def department_plan_for(cycle: Cycle, department: Department) -> DepartmentPlan:
    """The department's plan for the cycle: the saved one, or a new draft (not saved) that
    the predicates and pages can ask about."""
    return department_plan(cycle.id, department.id) or DepartmentPlan(
        cycle=cycle, department=department, cycle_id=cycle.id, department_id=department.id,
        status=DepartmentPlanStatus.DRAFT.value)


def create_goal(cycle: Cycle, department: Department, actor, *, contributor_ids=(),
                reason: str = "", **fields) -> DepartmentGoal:
    """The head adds a goal to a department's plan."""
    can.enforce(can.can_add_goal(actor, department_plan_for(cycle, department)))
    reason = reason_for(cycle, reason)
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise KeyError(unknown.pop())
    goal = DepartmentGoal(cycle_id=cycle.id, department_id=department.id, **fields)
    _check_goal(goal, alignment_changed=True)
    _set_contributors(goal, contributor_ids)
    db.session.add(goal)
    db.session.flush()
    after = goal_snapshot(goal)
    if reason:
        after["reason"] = reason
    record("goal.created", goal, actor=actor, after=after)
    sync_department_plan(cycle, department, actor)
    return goal


def update_goal(goal: DepartmentGoal, actor, *, expected_version, reason: str = "",
                contributor_ids=None, **fields) -> bool:
    """The head edits a goal (with a reason once planning is over). Returns whether
    anything changed."""
    can.enforce(can.can_edit_goal(actor, goal))
    check_version(goal, expected_version)
    reason = reason_for(goal.cycle, reason)
    before = goal_snapshot(goal)
    for key, value in fields.items():
        if key not in GOAL_FIELDS:
            raise KeyError(key)
        setattr(goal, key, value)
    _check_goal(goal, alignment_changed=(goal.target_id != before["target_id"]
                                         or goal.supports_goal_id != before["supports_goal_id"]))
    if contributor_ids is not None:
        _set_contributors(goal, contributor_ids)
    old, new = changed(before, goal_snapshot(goal))
    if not new:
        return False
    if reason:
        new["reason"] = reason
    record("goal.updated", goal, actor=actor, before=old, after=new)
    sync_department_plan(goal.cycle, goal.department, actor)
    return True


def delete_goal(goal: DepartmentGoal, actor, *, reason: str = "",
                expected_version) -> None:
    """A goal nothing is aligned to may be removed (with a reason after planning)."""
    can.enforce(can.can_edit_goal(actor, goal))
    check_version(goal, expected_version)
    reason = reason_for(goal.cycle, reason)
    kpis = db.session.scalar(select(func.count(Kpi.id)).where(Kpi.goal_id == goal.id))
    supporters = db.session.scalar(select(func.count(DepartmentGoal.id)).where(
        DepartmentGoal.supports_goal_id == goal.id))
    if kpis or supporters:
        raise Invalid(_l("%(kpis)s and %(goals)s are aligned to this goal; align them "
                         "elsewhere first.",
                         kpis=lazy_ngettext("%(num)d KPI", "%(num)d KPIs", kpis),
                         goals=lazy_ngettext("%(num)d goal", "%(num)d goals", supporters)))
    cycle, department = goal.cycle, goal.department
    before = goal_snapshot(goal)
    if reason:
        before["reason"] = reason
    record("goal.deleted", goal, actor=actor, before=before)
    db.session.delete(goal)
    db.session.flush()
    sync_department_plan(cycle, department, actor)


def realign_goal(goal: DepartmentGoal, actor, *, target_id: int | None,
                 supports_goal_id: int | None = None, reason: str,
                 expected_version) -> None:
    """The head confirms or changes what a goal serves, with a reason; this clears the
    re-alignment flag."""
    can.enforce(can.can_edit_goal(actor, goal))
    check_version(goal, expected_version)
    reason = require_reason(reason)
    before = snapshot(goal, ("target_id", "supports_goal_id", "needs_realignment"))
    goal.target_id = target_id
    goal.supports_goal_id = supports_goal_id
    _check_alignment(goal)
    goal.needs_realignment = False
    after = snapshot(goal, ("target_id", "supports_goal_id", "needs_realignment"))
    record("goal.realigned", goal, actor=actor, before=before, after={**after, "reason": reason})


def set_goal_actual(goal: DepartmentGoal, actor, value, *, expected_version) -> None:
    """The head records where a goal stands (used when no KPI is aligned to it)."""
    can.enforce(can.can_set_goal_actual(actor, goal))
    check_version(goal, expected_version)
    before = goal.actual_value
    goal.actual_value = clean_actual(goal.metric_type, value)
    if before != goal.actual_value:
        record("goal.actual_set", goal, actor=actor, before=snapshot_value(before),
               after=snapshot_value(goal.actual_value))


def snapshot_value(value) -> dict:
    return {"actual_value": None if value is None else str(value)}


# The department plan -----------------------------------------------------------------------

def department_plan(cycle_id: int, department_id: int) -> DepartmentPlan | None:
    return db.session.scalar(select(DepartmentPlan).where(
        DepartmentPlan.cycle_id == cycle_id, DepartmentPlan.department_id == department_id))


def goal_weight_total(cycle_id: int, department: Department) -> WeightTotal:
    weights = db.session.scalars(select(DepartmentGoal.weight).where(
        DepartmentGoal.cycle_id == cycle_id, DepartmentGoal.department_id == department.id))
    return WeightTotal.of(goal_owner_label(department), weights)


def mark_plan_ready(cycle: Cycle, department: Department, actor,
                    now: datetime | None = None) -> DepartmentPlan:
    """A department's plan is ready once its goal weights add up to exactly 100."""
    plan = department_plan_for(cycle, department)
    can.enforce(can.can_mark_plan_ready(actor, plan))
    count = db.session.scalar(select(func.count(DepartmentGoal.id)).where(
        DepartmentGoal.cycle_id == cycle.id, DepartmentGoal.department_id == department.id))
    if not count:
        raise Invalid(_l("Add the department's goals first."), "weights")
    goal_weight_total(cycle.id, department).require_complete()
    if plan.id is None:
        db.session.add(plan)
        db.session.flush()
    plan.status = DepartmentPlanStatus.READY.value
    plan.ready_at = now or utcnow()
    record("department_plan.ready", plan, actor=actor, label=department.name,
           before={"status": "draft"}, after={"status": "ready"})
    return plan


def sync_department_plan(cycle: Cycle, department: Department, actor) -> None:
    """A ready plan whose goal weights no longer add up to 100 is a draft again."""
    plan = department_plan(cycle.id, department.id)
    if plan is None or not plan.is_ready:
        return
    totals = goal_weight_total(cycle.id, department)
    if totals.complete:
        return
    plan.status = DepartmentPlanStatus.DRAFT.value
    plan.ready_at = None
    record("department_plan.reopened", plan, actor=actor, label=department.name,
           before={"status": "ready"},
           after={"status": "draft", "weight_total": str(totals.total)})


# Reading ---------------------------------------------------------------------------------

def department_goals(cycle_id: int, department_id: int) -> list[DepartmentGoal]:
    """The department's goals with what each aligns to, in two queries."""
    return list(db.session.scalars(
        select(DepartmentGoal)
        .where(DepartmentGoal.cycle_id == cycle_id, DepartmentGoal.department_id == department_id)
        .options(joinedload(DepartmentGoal.target),
                 joinedload(DepartmentGoal.supports_goal).joinedload(DepartmentGoal.department),
                 selectinload(DepartmentGoal.contributors))
        .order_by(DepartmentGoal.id)).unique())


def contributed_goals(cycle_id: int, department_id: int) -> list[DepartmentGoal]:
    """Other departments' goals that name this department as a contributor."""
    return list(db.session.scalars(
        select(DepartmentGoal)
        .join(GoalContributor, GoalContributor.goal_id == DepartmentGoal.id)
        .where(DepartmentGoal.cycle_id == cycle_id,
               GoalContributor.department_id == department_id)
        .options(joinedload(DepartmentGoal.department), joinedload(DepartmentGoal.target))
        .order_by(DepartmentGoal.title)).unique())


def kpi_goal_choices(cycle_id: int, department_id: int | None) -> list[DepartmentGoal]:
    """Goals a KPI of someone in `department_id` may serve: the department's own and
    those it contributes to."""
    if department_id is None:
        return []
    contributing = select(GoalContributor.goal_id).where(
        GoalContributor.department_id == department_id)
    return list(db.session.scalars(
        select(DepartmentGoal)
        .where(DepartmentGoal.cycle_id == cycle_id,
               or_(DepartmentGoal.department_id == department_id,
                   DepartmentGoal.id.in_(contributing)))
        .options(joinedload(DepartmentGoal.department))
        .order_by(DepartmentGoal.department_id != department_id, DepartmentGoal.title)))


def flagged_goals_for(user) -> list[DepartmentGoal]:
    """Goals needing re-alignment in the departments `user` manages (one query)."""
    managed = can.managed_department_ids(user)
    if not managed:
        return []
    return list(db.session.scalars(
        select(DepartmentGoal)
        .where(DepartmentGoal.needs_realignment.is_(True),
               DepartmentGoal.department_id.in_(managed))
        .options(joinedload(DepartmentGoal.department), joinedload(DepartmentGoal.target),
                 joinedload(DepartmentGoal.cycle))
        .order_by(DepartmentGoal.cycle_id.desc(), DepartmentGoal.department_id,
                  DepartmentGoal.title)))
