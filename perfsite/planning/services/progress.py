"""Progress, rolled up by weight: KPI -> department goal -> strategy target.

Rules:
- A KPI's (or goal's) progress is how far its actual has come from baseline to target,
  between 0 and 1. No actual yet is 0. A milestone is 1 when done, else 0. When the
  target equals the baseline ("hold the line") it is 1 while the actual is at or above
  the target. A decreasing metric (target below baseline) works the same way: going down
  is progress.
- A goal's progress is the progress of the KPIs aligned to it, weighted by KPI weight
  (declined proposals do not count); a goal without weighted KPIs uses its own actual.
- A target's progress is the progress of the goals aligned to it, weighted by goal weight;
  a target without goals has none yet. (Goals that support another department's goal are
  shown beneath it but do not add to it: their weights belong to their own department.)
- One function computes every node of a cycle from three column queries, whatever the
  number of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ... import permissions as can
from ...extensions import db
from ...models import (
    Cycle,
    DepartmentGoal,
    GoalContributor,
    Kpi,
    MetricType,
    Person,
    PersonalPlan,
    ProposalStatus,
    StrategyTarget,
    TargetStatus,
)

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.0001")


def measure_progress(metric_type: str, baseline, target, actual) -> Decimal:
    """From 0 to 1: how far `actual` has come from `baseline` towards `target`."""
    if actual is None:
        return ZERO
    actual, baseline, target = Decimal(actual), Decimal(baseline), Decimal(target)
    if metric_type == MetricType.MILESTONE:
        return ONE if actual >= ONE else ZERO
    if target == baseline:
        return ONE if actual >= target else ZERO
    share = (actual - baseline) / (target - baseline)
    return min(ONE, max(ZERO, share)).quantize(PLACES)


def weighted(pairs) -> Decimal | None:
    """The weighted mean of (weight, progress) pairs; None when no weight is given."""
    total = ZERO
    weight_sum = ZERO
    for weight, value in pairs:
        weight = Decimal(weight)
        total += weight * value
        weight_sum += weight
    if weight_sum == 0:
        return None
    return (total / weight_sum).quantize(PLACES)


def of(obj) -> Decimal:
    """The progress of one KPI or goal from its own values."""
    return measure_progress(obj.metric_type, obj.baseline, obj.target_value, obj.actual_value)


@dataclass
class Rollup:
    """Progress (0..1) of every KPI, goal and target of a cycle, by id."""

    kpis: dict[int, Decimal] = field(default_factory=dict)
    goals: dict[int, Decimal] = field(default_factory=dict)
    targets: dict[int, Decimal | None] = field(default_factory=dict)
    # How many (counting) KPIs serve each goal.
    kpi_counts: dict[int, int] = field(default_factory=dict)


def _counting_kpis():
    return or_(Kpi.proposal_status.is_(None), Kpi.proposal_status != ProposalStatus.DECLINED)


def rollup(cycle_id: int) -> Rollup:
    """The whole cycle's progress tree from three queries (no query per node)."""
    result = Rollup()
    kpi_rows = db.session.execute(
        select(Kpi.id, Kpi.goal_id, Kpi.weight, Kpi.metric_type, Kpi.baseline,
               Kpi.target_value, Kpi.actual_value)
        .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .where(PersonalPlan.cycle_id == cycle_id, _counting_kpis())).all()
    by_goal: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for kpi_id, goal_id, weight, metric, baseline, target, actual in kpi_rows:
        progress = measure_progress(metric, baseline, target, actual)
        result.kpis[kpi_id] = progress
        if goal_id is not None:
            by_goal.setdefault(goal_id, []).append((weight, progress))
            result.kpi_counts[goal_id] = result.kpi_counts.get(goal_id, 0) + 1

    goal_rows = db.session.execute(
        select(DepartmentGoal.id, DepartmentGoal.target_id, DepartmentGoal.weight,
               DepartmentGoal.metric_type, DepartmentGoal.baseline,
               DepartmentGoal.target_value, DepartmentGoal.actual_value)
        .where(DepartmentGoal.cycle_id == cycle_id)).all()
    by_target: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for goal_id, target_id, weight, metric, baseline, target, actual in goal_rows:
        progress = weighted(by_goal.get(goal_id, ()))
        if progress is None:
            progress = measure_progress(metric, baseline, target, actual)
        result.goals[goal_id] = progress
        if target_id is not None:
            by_target.setdefault(target_id, []).append((weight, progress))

    for target_id in db.session.scalars(
            select(StrategyTarget.id).where(StrategyTarget.cycle_id == cycle_id)):
        result.targets[target_id] = weighted(by_target.get(target_id, ()))
    return result


# The alignment tree ---------------------------------------------------------------------------

@dataclass
class KpiNode:
    kpi: Kpi
    progress: Decimal


@dataclass
class GoalNode:
    goal: DepartmentGoal
    progress: Decimal
    kpis: list[KpiNode] = field(default_factory=list)
    supporters: list[GoalNode] = field(default_factory=list)


@dataclass
class TargetNode:
    target: StrategyTarget
    progress: Decimal | None
    goals: list[GoalNode] = field(default_factory=list)


@dataclass
class Tree:
    targets: list[TargetNode]
    # Department-only goals, and supporting goals whose supported goal is not shown.
    other_goals: list[GoalNode]
    kpi_count: int = 0


def _visible_department_ids(viewer) -> frozenset[int] | None:
    """Departments whose goals `viewer` sees in the tree; None means all."""
    if can.sees_whole_company(viewer):
        return None
    own = {viewer.department_id} if viewer.department_id else set()
    return can.managed_department_ids(viewer) | own


def alignment_tree(cycle: Cycle, viewer, department_id: int | None = None) -> Tree:
    """Published targets -> department goals -> people's KPIs with weighted progress.

    The viewer sees the goals of departments they belong to, manage or contribute to
    (everything when they see the whole company), and the KPIs of people whose plans
    they may read. `department_id` narrows the goals to one department. A constant
    number of queries, whatever the number of people.
    """
    progress = rollup(cycle.id)
    departments = _visible_department_ids(viewer)

    goal_stmt = (select(DepartmentGoal).where(DepartmentGoal.cycle_id == cycle.id)
                 .options(joinedload(DepartmentGoal.department))
                 .order_by(DepartmentGoal.department_id, DepartmentGoal.title))
    if departments is not None:
        contributed = select(GoalContributor.goal_id).where(
            GoalContributor.department_id.in_(departments))
        goal_stmt = goal_stmt.where(or_(DepartmentGoal.department_id.in_(departments),
                                        DepartmentGoal.id.in_(contributed)))
    if department_id is not None:
        goal_stmt = goal_stmt.where(DepartmentGoal.department_id == department_id)
    goals = list(db.session.scalars(goal_stmt))
    goal_nodes = {g.id: GoalNode(goal=g, progress=progress.goals.get(g.id, ZERO))
                  for g in goals}

    kpi_stmt = (select(Kpi)
                .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
                .join(Person, Person.id == PersonalPlan.person_id)
                .where(PersonalPlan.cycle_id == cycle.id, _counting_kpis(),
                       Kpi.goal_id.in_(list(goal_nodes) or [0]))
                .options(contains_eager(Kpi.plan).contains_eager(PersonalPlan.person))
                .order_by(Person.display_name, Kpi.title))
    if not can.sees_whole_company(viewer):
        kpi_stmt = kpi_stmt.where(or_(
            Person.id == viewer.id, Person.manager_id == viewer.id,
            Person.department_id.in_(can.managed_department_ids(viewer))))
    kpis = list(db.session.scalars(kpi_stmt))
    for kpi in kpis:
        goal_nodes[kpi.goal_id].kpis.append(
            KpiNode(kpi=kpi, progress=progress.kpis.get(kpi.id, ZERO)))

    targets = list(db.session.scalars(
        select(StrategyTarget)
        .where(StrategyTarget.cycle_id == cycle.id,
               StrategyTarget.status != TargetStatus.DRAFT.value)
        .order_by(StrategyTarget.status == TargetStatus.RETIRED.value, StrategyTarget.title)))
    target_nodes = {t.id: TargetNode(target=t, progress=progress.targets.get(t.id))
                    for t in targets}

    other: list[GoalNode] = []
    for node in goal_nodes.values():
        goal = node.goal
        if goal.target_id in target_nodes:
            target_nodes[goal.target_id].goals.append(node)
        elif goal.supports_goal_id in goal_nodes:
            goal_nodes[goal.supports_goal_id].supporters.append(node)
        else:
            other.append(node)
    shown = [n for n in target_nodes.values() if n.goals or department_id is None]
    return Tree(targets=shown, other_goals=other, kpi_count=len(kpis))
