"""The kept trend points behind the dashboards' target trends (models.TargetTrendPoint).

Rule: a target's trend, month by month, is the weighted progress its KPIs' check-ins
reported in that month: Σ(KPI weight × progress of the check-in's value) / Σ KPI weight, over
the check-ins of that (UTC) month on the counting KPIs aligned to the target's goals; a
department's share of it is the same over its own goals. The sums are kept per target,
department and month, in the same transaction as every write that moves them:

- a check-in posted (or removed);
- a KPI's weight, goal, baseline, target value, metric or proposal status changed, or a
  KPI removed (the progress of its past check-ins is measured against its values now);
- a goal's target or department changed, or a goal removed.

After each flush the points of every (target, department) such a write touches are
recomputed from their check-ins (a department's KPIs aligned to one target: a few hundred
check-ins at most), so the kept figures always equal a full recompute (`refresh`, which
the tests hold them to and `flask seed-scale` uses). The dashboards read these rows only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date
from decimal import Decimal

from sqlalchemy import and_, delete, event, inspect, or_, select
from sqlalchemy.orm import Session

from ...models import CheckIn, DepartmentGoal, Kpi, PersonalPlan, TargetTrendPoint
from ...planning.services.progress import measure_progress

KPI_ATTRIBUTES = ("weight", "goal_id", "baseline", "target_value", "metric_type",
                  "proposal_status")
GOAL_ATTRIBUTES = ("target_id", "department_id")


def month_of(moment) -> date:
    """The first day of the UTC month `moment` falls in."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return date(moment.year, moment.month, 1)


def compute(connection, pairs=None) -> dict[tuple[int, int, date], tuple[Decimal, Decimal]]:
    """(target_id, department_id, month) -> (Σ weight × progress, Σ weight), from the
    check-ins, for the (target_id, department_id) `pairs` (every pair without)."""
    stmt = (select(DepartmentGoal.target_id, DepartmentGoal.department_id,
                   CheckIn.created_at, CheckIn.actual_value, Kpi.weight, Kpi.metric_type,
                   Kpi.baseline, Kpi.target_value)
            .select_from(CheckIn)
            .join(Kpi, Kpi.id == CheckIn.kpi_id)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .join(DepartmentGoal, DepartmentGoal.id == Kpi.goal_id)
            .where(Kpi.counts, DepartmentGoal.target_id.is_not(None),
                   PersonalPlan.cycle_id == DepartmentGoal.cycle_id))
    if pairs is not None:
        pairs = set(pairs)
        if not pairs:
            return {}
        stmt = stmt.where(DepartmentGoal.target_id.in_({t for t, _d in pairs}),
                          DepartmentGoal.department_id.in_({d for _t, d in pairs}))
    sums: dict = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for target_id, department_id, moment, value, weight, metric, baseline, target_value in (
            connection.execute(stmt)):
        if pairs is not None and (target_id, department_id) not in pairs:
            continue
        entry = sums[(target_id, department_id, month_of(moment))]
        weight = Decimal(weight)
        entry[0] += weight * measure_progress(metric, baseline, target_value, value)
        entry[1] += weight
    return {key: (weighted, total) for key, (weighted, total) in sums.items()}


def refresh(connection, pairs=None) -> None:
    """Write the kept points of `pairs` (every pair without) afresh from the check-ins."""
    points = TargetTrendPoint.__table__
    if pairs is None:
        connection.execute(delete(points))
    else:
        pairs = set(pairs)
        if not pairs:
            return
        connection.execute(delete(points).where(or_(*[
            and_(points.c.target_id == target_id, points.c.department_id == department_id)
            for target_id, department_id in sorted(pairs)])))
    rows = [{"target_id": target_id, "department_id": department_id, "month": month,
             "weighted_sum": weighted, "weight_sum": total}
            for (target_id, department_id, month), (weighted, total)
            in compute(connection, pairs).items()]
    if rows:
        connection.execute(points.insert(), rows)


def _changed(obj, attributes) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _values(obj, name) -> set:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.added, *history.deleted, *history.unchanged,
                        getattr(obj, name, None)) if v is not None}


def _touched_pairs(session) -> set[tuple[int, int]]:
    """The (target, department) pairs whose points this flush may have moved."""
    kpi_ids: set[int] = set()
    goal_ids: set[int] = set()
    pairs: set[tuple[int, int]] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CheckIn):
            kpi_ids.add(obj.kpi_id)
        elif isinstance(obj, Kpi) and obj not in session.new and (
                obj in session.deleted or _changed(obj, KPI_ATTRIBUTES)):
            goal_ids.update(_values(obj, "goal_id"))
        elif isinstance(obj, DepartmentGoal) and obj not in session.new and (
                obj in session.deleted or _changed(obj, GOAL_ATTRIBUTES)):
            pairs.update((t, d) for t in _values(obj, "target_id")
                         for d in _values(obj, "department_id"))
    connection = session.connection()
    if kpi_ids:
        goal_ids.update(connection.execute(
            select(Kpi.goal_id).where(Kpi.id.in_(kpi_ids), Kpi.goal_id.is_not(None)))
            .scalars())
    if goal_ids:
        pairs.update(connection.execute(
            select(DepartmentGoal.target_id, DepartmentGoal.department_id)
            .where(DepartmentGoal.id.in_(goal_ids), DepartmentGoal.target_id.is_not(None)))
            .tuples())
    return pairs


def _flushed(session, flush_context) -> None:
    if not any(isinstance(obj, CheckIn | Kpi | DepartmentGoal)
               for obj in (*session.new, *session.dirty, *session.deleted)):
        return
    pairs = _touched_pairs(session)
    if pairs:
        refresh(session.connection(), pairs)


def listen() -> None:
    """Keep the points after every flush (create_app calls this; once is enough)."""
    if not event.contains(Session, "after_flush", _flushed):
        event.listen(Session, "after_flush", _flushed)
