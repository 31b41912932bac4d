"""Progress, rolled up by weight: KPI -> department goal -> strategy target.

Rules:
- A KPI's (or goal's) progress is how far its actual has come from baseline to target,
  between 0 and 1, to four places (half up). No actual yet is 0. A milestone is 1 when
  done, else 0. When the target equals the baseline ("hold the line") it is 1 while the
  actual is at or above the target. A decreasing metric (target below baseline) works the
  same way: going down is progress.
- A goal's progress is the progress of the KPIs aligned to it, weighted by KPI weight
  (declined proposals do not count); a goal without weighted KPIs uses its own actual.
- A target's progress is the progress of the goals aligned to it, weighted by goal weight;
  a target without goals has none yet. (Goals that support another department's goal are
  shown beneath it but do not add to it: their weights belong to their own department.)

A page asks only for the goals and targets it shows: `goal_progress(ids)` reads one row
per goal, whatever the number of KPIs, and `target_progress(ids)` weighs those goals. That
row carries its KPIs' sums (count, weights, weight x progress), kept by `_kpis_flushed`:
whenever a KPI is written (added, edited, declined, checked in, moved to another goal,
removed) its goals' sums are recomputed from their KPIs in the same flush, so they are
never out of step with the KPIs. Bulk writers that bypass the ORM (perfsite/scale.py) call
`refresh_goal_sums` afterwards. The formula is written twice, side by side below:
`measure_progress` in Python for one KPI, `progress_sql` for the database's sums; tests
hold them equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, event, func, inspect, or_, select, update
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from ... import permissions as can
from ...extensions import db
from ...models import (
    CheckIn,
    Cycle,
    Department,
    DepartmentGoal,
    GoalContributor,
    Kpi,
    MetricType,
    Person,
    PersonalPlan,
    StrategyTarget,
)

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.0001")


def measure_progress(metric_type: str, baseline, target_value, actual) -> Decimal:
    """From 0 to 1: how far `actual` has come from `baseline` towards `target_value`."""
    if actual is None:
        return ZERO
    actual, baseline, target_value = Decimal(actual), Decimal(baseline), Decimal(target_value)
    if metric_type == MetricType.MILESTONE:
        return ONE if actual >= ONE else ZERO
    if target_value == baseline:
        return ONE if actual >= target_value else ZERO
    share = (actual - baseline) / (target_value - baseline)
    return min(ONE, max(ZERO, share)).quantize(PLACES, rounding=ROUND_HALF_UP)


def progress_sql(model):
    """`measure_progress` of a KPI or goal row, as a SQL expression."""
    span = func.nullif(model.target_value - model.baseline, 0)
    share = (model.actual_value - model.baseline) / span
    return case(
        (model.actual_value.is_(None), 0),
        (model.metric_type == MetricType.MILESTONE.value,
         case((model.actual_value >= 1, 1), else_=0)),
        (model.target_value == model.baseline,
         case((model.actual_value >= model.target_value, 1), else_=0)),
        (share <= 0, 0),
        (share >= 1, 1),
        else_=func.round(share, 4))


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
    return (total / weight_sum).quantize(PLACES, rounding=ROUND_HALF_UP)


def of(obj) -> Decimal:
    """The progress of one KPI or goal from its own values."""
    return measure_progress(obj.metric_type, obj.baseline, obj.target_value, obj.actual_value)


@dataclass
class Rollup:
    """Progress (0..1) by id of the KPIs, goals and targets asked for."""

    kpis: dict[int, Decimal] = field(default_factory=dict)
    goals: dict[int, Decimal] = field(default_factory=dict)
    targets: dict[int, Decimal | None] = field(default_factory=dict)
    # How many (counting) KPIs serve each goal.
    kpi_counts: dict[int, int] = field(default_factory=dict)


def stored_goal_progress(count, weight_sum, weighted_sum, metric, baseline, target_value,
                         actual) -> Decimal:
    """A goal's progress from its stored KPI sums, or from its own actual without them."""
    if weight_sum:
        return (Decimal(str(weighted_sum)) / Decimal(str(weight_sum))
                ).quantize(PLACES, rounding=ROUND_HALF_UP)
    return measure_progress(metric, baseline, target_value, actual)


GOAL_PROGRESS_COLUMNS = (DepartmentGoal.kpi_count, DepartmentGoal.kpi_weight_sum,
                         DepartmentGoal.kpi_progress_sum, DepartmentGoal.metric_type,
                         DepartmentGoal.baseline, DepartmentGoal.target_value,
                         DepartmentGoal.actual_value)


def _goal_rollup(goal_filter) -> Rollup:
    """Progress of the goals matching `goal_filter`: one row per goal (its stored sums)."""
    result = Rollup()
    for goal_id, *values in db.session.execute(
            select(DepartmentGoal.id, *GOAL_PROGRESS_COLUMNS).where(goal_filter)):
        result.kpi_counts[goal_id] = values[0]
        result.goals[goal_id] = stored_goal_progress(*values)
    return result


# The stored sums ----------------------------------------------------------------------------

def _goal_sums(goals, kpis) -> dict:
    """Correlated subqueries: each goal's counting KPIs, summed (see DepartmentGoal)."""
    counting = and_(kpis.c.goal_id == goals.c.id, Kpi.counts)  # kpis is Kpi's table
    return {
        "kpi_count": select(func.count(kpis.c.id)).where(counting).scalar_subquery(),
        "kpi_weight_sum": select(func.coalesce(func.sum(kpis.c.weight), 0))
        .where(counting).scalar_subquery(),
        "kpi_progress_sum": select(func.coalesce(func.sum(kpis.c.weight * progress_sql(kpis.c)),
                                                 0)).where(counting).scalar_subquery(),
    }


def refresh_goal_sums(connection, goal_filter=None) -> None:
    """Recompute the stored KPI sums of the goals matching `goal_filter` (all without)."""
    goals, kpis = DepartmentGoal.__table__, Kpi.__table__
    stmt = update(goals).values(**_goal_sums(goals, kpis))
    if goal_filter is not None:
        stmt = stmt.where(goal_filter)
    connection.execute(stmt)


SUM_ATTRIBUTES = ["kpi_count", "kpi_weight_sum", "kpi_progress_sum"]


@event.listens_for(Session, "after_flush")
def _kpis_flushed(session, flush_context):
    """The goals of every KPI written in this flush (before and after a move) get their
    sums recomputed, in the same transaction."""
    goal_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Kpi):
            history = inspect(obj).attrs.goal_id.history
            goal_ids.update(i for i in (*history.added, *history.deleted,
                                        *history.unchanged, obj.goal_id) if i)
    if goal_ids:
        refresh_goal_sums(session.connection(),
                          DepartmentGoal.__table__.c.id.in_(sorted(goal_ids)))
        session.info.setdefault("_stale_goal_sums", set()).update(goal_ids)


@event.listens_for(Session, "after_flush_postexec")
def _forget_stale_sums(session, flush_context):
    stale = session.info.pop("_stale_goal_sums", None)
    if stale:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, DepartmentGoal) and obj.id in stale:
                session.expire(obj, SUM_ATTRIBUTES)


def goal_progress(goal_ids) -> Rollup:
    """The progress of these goals (and how many KPIs serve each)."""
    goal_ids = list(goal_ids)
    if not goal_ids:
        return Rollup()
    return _goal_rollup(DepartmentGoal.id.in_(goal_ids))


def target_progress(target_ids) -> dict[int, Decimal | None]:
    """The progress of these targets, from the goals aligned to them."""
    target_ids = list(target_ids)
    if not target_ids:
        return {}
    by_target: dict[int, list] = {}
    for target_id, weight, *values in db.session.execute(
            select(DepartmentGoal.target_id, DepartmentGoal.weight, *GOAL_PROGRESS_COLUMNS)
            .where(DepartmentGoal.target_id.in_(target_ids))):
        by_target.setdefault(target_id, []).append((weight, stored_goal_progress(*values)))
    return {target_id: weighted(by_target.get(target_id, ())) for target_id in target_ids}


def rollup_for_target(target: StrategyTarget) -> Rollup:
    """A target's progress and that of the goals aligned to it."""
    result = _goal_rollup(DepartmentGoal.target_id == target.id)
    result.targets = target_progress([target.id])
    return result


def rollup(cycle_id: int) -> Rollup:
    """A whole cycle's progress: every KPI, goal and target (for reports and tests; pages
    ask for what they show)."""
    result = _goal_rollup(DepartmentGoal.cycle_id == cycle_id)
    for kpi_id, metric, baseline, target_value, actual in db.session.execute(
            select(Kpi.id, Kpi.metric_type, Kpi.baseline, Kpi.target_value, Kpi.actual_value)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .where(PersonalPlan.cycle_id == cycle_id, Kpi.counts)):
        result.kpis[kpi_id] = measure_progress(metric, baseline, target_value, actual)
    result.targets = target_progress(db.session.scalars(
        select(StrategyTarget.id).where(StrategyTarget.cycle_id == cycle_id)))
    return result


def latest_checkins(kpi_ids) -> dict[int, CheckIn]:
    """The newest check-in of each of these KPIs (those a page shows), in one query."""
    kpi_ids = list(kpi_ids)
    if not kpi_ids:
        return {}
    newest = (select(func.max(CheckIn.id)).where(CheckIn.kpi_id.in_(kpi_ids))
              .group_by(CheckIn.kpi_id))
    return {c.kpi_id: c for c in db.session.scalars(
        select(CheckIn).where(CheckIn.id.in_(newest)))}


# The alignment tree ---------------------------------------------------------------------------

KPIS_PER_GOAL = 20

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
    kpi_total: int = 0  # KPIs the viewer may see; `kpis` holds the first KPIS_PER_GOAL

    @property
    def kpis_not_shown(self) -> int:
        return self.kpi_total - len(self.kpis)


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

    def all_goal_nodes(self):
        """Every goal node shown, supporters included."""
        stack = [g for t in self.targets for g in t.goals] + list(self.other_goals)
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.supporters)


def _visible_department_ids(viewer) -> frozenset[int] | None:
    """Departments whose goals `viewer` sees in the tree; None means all."""
    if can.sees_whole_company(viewer):
        return None
    own = {viewer.department_id} if viewer.department_id else set()
    return can.managed_department_ids(viewer) | own


def goal_of(goal: DepartmentGoal) -> Decimal:
    """The progress of a loaded goal, from its stored KPI sums."""
    return stored_goal_progress(goal.kpi_count, goal.kpi_weight_sum, goal.kpi_progress_sum,
                                goal.metric_type, goal.baseline, goal.target_value,
                                goal.actual_value)


def _goal_nodes(cycle: Cycle, viewer, *filters) -> tuple[dict[int, GoalNode], int]:
    """The goals of the cycle `viewer` sees (narrowed by `filters`) with the KPIs serving
    them that the viewer may read: two queries. Returns the nodes and the KPI count."""
    departments = _visible_department_ids(viewer)
    goal_stmt = (select(DepartmentGoal).where(DepartmentGoal.cycle_id == cycle.id, *filters)
                 .options(joinedload(DepartmentGoal.department),
                          joinedload(DepartmentGoal.target))
                 .order_by(DepartmentGoal.department_id, DepartmentGoal.title))
    if departments is not None:
        contributed = select(GoalContributor.goal_id).where(
            GoalContributor.department_id.in_(departments))
        goal_stmt = goal_stmt.where(or_(DepartmentGoal.department_id.in_(departments),
                                        DepartmentGoal.id.in_(contributed)))
    goal_nodes = {g.id: GoalNode(goal=g, progress=goal_of(g))
                  for g in db.session.scalars(goal_stmt)}

    # At most KPIS_PER_GOAL leaves under a goal (by name): the tree stays readable and
    # small however many people serve a goal; the rest are counted and linked.
    visible = [PersonalPlan.cycle_id == cycle.id, Kpi.counts,
               Kpi.goal_id.in_(list(goal_nodes) or [0])]
    if not can.sees_whole_company(viewer):
        visible.append(or_(Person.id == viewer.id, can.managed_people_clause(viewer)))
    # The ranked rows carry the KPI's own columns: joined back to `kpi` by id, PostgreSQL
    # hashed the whole table (66,000 KPIs at 10,000 people) for the hundred shown.
    ranked = (select(Kpi,
                     func.row_number().over(partition_by=Kpi.goal_id,
                                            order_by=(Person.display_name, Kpi.title, Kpi.id))
                     .label("rank"),
                     func.count().over(partition_by=Kpi.goal_id).label("total"))
              .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
              .join(Person, Person.id == PersonalPlan.person_id)
              .where(*visible).subquery())
    shown = aliased(Kpi, ranked)
    kpi_stmt = (select(shown, ranked.c.total)
                .join(PersonalPlan, PersonalPlan.id == shown.plan_id)
                .join(Person, Person.id == PersonalPlan.person_id)
                .where(ranked.c.rank <= KPIS_PER_GOAL)
                .options(contains_eager(shown.plan).contains_eager(PersonalPlan.person))
                .order_by(Person.display_name, shown.title, shown.id))
    kpis = 0
    for kpi, total in db.session.execute(kpi_stmt):
        node = goal_nodes[kpi.goal_id]
        node.kpis.append(KpiNode(kpi=kpi, progress=of(kpi)))
        node.kpi_total = total
        kpis += 1
    return goal_nodes, kpis


def _supporters_beneath(goal_nodes: dict[int, GoalNode], top) -> list[GoalNode]:
    """Hang each supporting goal beneath the goal it supports, when that one is shown;
    the rest, for which `top(node)` is false, are returned."""
    other = []
    for node in goal_nodes.values():
        if top(node):
            continue
        if node.goal.supports_goal_id in goal_nodes:
            goal_nodes[node.goal.supports_goal_id].supporters.append(node)
        else:
            other.append(node)
    return other


def alignment_tree(cycle: Cycle, viewer, department_id: int | None = None) -> Tree:
    """Published targets -> department goals -> people's KPIs with weighted progress.

    The viewer sees the goals of departments they belong to, manage or contribute to
    (everything when they see the whole company), and the KPIs of people whose plans
    they may read. `department_id` narrows the goals to one department. A constant
    number of queries, whatever the number of people.
    """
    filters = [DepartmentGoal.department_id == department_id] if department_id else []
    goal_nodes, kpi_count = _goal_nodes(cycle, viewer, *filters)

    targets = list(db.session.scalars(
        select(StrategyTarget)
        .where(StrategyTarget.cycle_id == cycle.id,
               ~StrategyTarget.is_draft)
        .order_by(StrategyTarget.is_retired, StrategyTarget.title)))
    target_values = target_progress([t.id for t in targets])
    target_nodes = {t.id: TargetNode(target=t, progress=target_values.get(t.id))
                    for t in targets}
    for node in goal_nodes.values():
        if node.goal.target_id in target_nodes:
            target_nodes[node.goal.target_id].goals.append(node)
    other = _supporters_beneath(goal_nodes, lambda n: n.goal.target_id in target_nodes)
    shown = [n for n in target_nodes.values() if n.goals or department_id is None]
    return Tree(targets=shown, other_goals=other, kpi_count=kpi_count)


def tree_branch(cycle: Cycle, viewer, department_id: int) -> tuple[list[GoalNode], int]:
    """One department's goals with their KPIs: what opening a department of the
    collapsed tree shows (a goal supporting another of its goals beneath that one)."""
    goal_nodes, kpi_count = _goal_nodes(cycle, viewer,
                                        DepartmentGoal.department_id == department_id)
    return _supporters_beneath(goal_nodes, lambda n: False), kpi_count


# The collapsed tree: targets, then the departments serving each, opened one at a time --------

def tree_is_collapsed(viewer, department_id: int | None) -> bool:
    """A tree over several departments opens collapsed at the department level (each
    department's goals and KPIs load when it is opened); one department's opens whole."""
    if department_id is not None:
        return False
    departments = _visible_department_ids(viewer)
    return departments is None or len(departments) > 1


@dataclass
class DepartmentBranch:
    """A department of the collapsed tree: how many goals and their weighted progress;
    the goals themselves load when it is opened. `children`: departments beneath it."""

    department_id: int
    name: str
    goals: int = 0
    progress: Decimal | None = None
    children: list[DepartmentBranch] = field(default_factory=list)


@dataclass
class CollapsedTree:
    targets: list[TargetNode]  # with their progress; goals under each department
    departments: list[DepartmentBranch]  # the top of the department tree shown


def collapsed_tree(cycle: Cycle, viewer) -> CollapsedTree:
    """The targets with their progress, and the departments whose goals the viewer sees
    (in the department tree's shape), each with how many goals and their weighted
    progress: one row per goal and per department, no KPI read."""
    departments = _visible_department_ids(viewer)
    stmt = (select(DepartmentGoal.department_id, DepartmentGoal.target_id,
                   DepartmentGoal.weight, *GOAL_PROGRESS_COLUMNS)
            .where(DepartmentGoal.cycle_id == cycle.id))
    if departments is not None:
        contributed = select(GoalContributor.goal_id).where(
            GoalContributor.department_id.in_(departments))
        stmt = stmt.where(or_(DepartmentGoal.department_id.in_(departments),
                              DepartmentGoal.id.in_(contributed)))
    targets = list(db.session.scalars(
        select(StrategyTarget)
        .where(StrategyTarget.cycle_id == cycle.id,
               ~StrategyTarget.is_draft)
        .order_by(StrategyTarget.is_retired, StrategyTarget.title)))
    by_department: dict[int, list] = {}
    by_target: dict[int, list] = {}
    for department_id, target_id, weight, *values in db.session.execute(stmt):
        pair = (weight, stored_goal_progress(*values))
        by_department.setdefault(department_id, []).append(pair)
        if target_id is not None:
            by_target.setdefault(target_id, []).append(pair)
    shown = set(by_department) | (set(departments) if departments is not None else set())
    rows = db.session.execute(
        select(Department.id, Department.name, Department.parent_id)
        .where(Department.id.in_(shown) if departments is not None
               else Department.active.is_(True) | Department.id.in_(shown))
        .order_by(Department.name)).all()
    nodes = {dept_id: DepartmentBranch(department_id=dept_id, name=name,
                                       goals=len(by_department.get(dept_id, ())),
                                       progress=weighted(by_department.get(dept_id, ())))
             for dept_id, name, _parent in rows}
    top = []
    for dept_id, _name, parent_id in rows:
        if parent_id in nodes:
            nodes[parent_id].children.append(nodes[dept_id])
        else:
            top.append(nodes[dept_id])
    return CollapsedTree(
        targets=[TargetNode(target=t, progress=weighted(by_target.get(t.id, ())))
                 for t in targets],
        departments=top)


# A search answers a few matches of each kind, not a list to page through: the answer stays
# a small part of the tree page it is shown in, and a longer list means a vaguer search.
SEARCH_LIMIT = 10


def search_tree(cycle: Cycle, viewer, query: str, limit: int = SEARCH_LIMIT) -> dict:
    """Goals (by title) and KPIs (by title or the person's name) of the tree `viewer`
    sees that match `query`: at most `limit` of each, and whether there were more."""
    like = f"%{query.strip().lower()}%"
    departments = _visible_department_ids(viewer)
    goal_stmt = (select(DepartmentGoal)
                 .where(DepartmentGoal.cycle_id == cycle.id,
                        func.lower(DepartmentGoal.title).like(like))
                 .options(joinedload(DepartmentGoal.department), joinedload(DepartmentGoal.target))
                 .order_by(DepartmentGoal.title, DepartmentGoal.id).limit(limit + 1))
    if departments is not None:
        contributed = select(GoalContributor.goal_id).where(
            GoalContributor.department_id.in_(departments))
        goal_stmt = goal_stmt.where(or_(DepartmentGoal.department_id.in_(departments),
                                        DepartmentGoal.id.in_(contributed)))
    goals = list(db.session.scalars(goal_stmt))
    kpi_stmt = (select(Kpi)
                .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
                .join(Person, Person.id == PersonalPlan.person_id)
                .where(PersonalPlan.cycle_id == cycle.id, Kpi.counts,
                       or_(func.lower(Kpi.title).like(like),
                           func.lower(Person.display_name).like(like)))
                .options(contains_eager(Kpi.plan).contains_eager(PersonalPlan.person),
                         joinedload(Kpi.goal))
                .order_by(Person.display_name, Kpi.title, Kpi.id).limit(limit + 1))
    if not can.sees_whole_company(viewer):
        kpi_stmt = kpi_stmt.where(or_(Person.id == viewer.id,
                                      can.managed_people_clause(viewer)))
    kpis = list(db.session.scalars(kpi_stmt))
    return {"goals": goals[:limit], "kpis": kpis[:limit],
            "more": len(goals) > limit or len(kpis) > limit}
