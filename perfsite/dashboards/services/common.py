"""Cycles and departments a dashboard may show.

Rules:
- A dashboard shows one cycle: the one asked for if the viewer may use it, else the newest
  cycle that is running or done (planning or later), else the newest one.
- The department filter narrows to a department and the departments beneath it, within
  what the viewer may see (permissions.dashboard_scope): the whole company for HR and
  executives, the departments a head manages for a head. A department outside that scope
  is ignored, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, true

from ... import permissions as can
from ...extensions import db
from ...models import Cycle, Department


def cycles_for(user) -> list[Cycle]:
    """The cycles `user` may open, newest first."""
    return [c for c in db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc(),
                                                                Cycle.id.desc()))
            if can.can_use_cycle(user, c)]


def choose_cycle(cycles: list[Cycle], cycle_id: int | None) -> Cycle | None:
    if cycle_id is not None:
        for cycle in cycles:
            if cycle.id == cycle_id:
                return cycle
    running = [c for c in cycles if can.is_allowed(c, "show_progress")]
    return (running or cycles or [None])[0]


@dataclass
class Scope:
    """The departments a dashboard sums: `ids` None is the whole company."""

    ids: frozenset[int] | None
    chosen: int | None  # the department picked in the filter, if any

    def allows(self, department_id: int | None) -> bool:
        return self.ids is None or department_id in self.ids

    @property
    def id_list(self) -> list[int]:
        return sorted(self.ids) if self.ids is not None else []


def scope_for(user, department_id: int | None) -> Scope:
    """The departments `user` sees on a dashboard, narrowed by `department_id`."""
    allowed = can.dashboard_scope(user)
    if department_id is not None and (allowed is None or department_id in allowed):
        chosen = can.subtree_ids([department_id])
        return Scope(chosen if allowed is None else chosen & allowed, department_id)
    return Scope(allowed, None)


def department_choices(user) -> list[tuple[int, str]]:
    """The departments the filter offers `user` (active ones in their scope), by name."""
    allowed = can.dashboard_scope(user)
    stmt = select(Department.id, Department.name).where(Department.active.is_(True))
    if allowed is not None:
        stmt = stmt.where(Department.id.in_(sorted(allowed) or [0]))
    return [(i, n) for i, n in db.session.execute(stmt.order_by(Department.name))]


def in_scope(column, scope: Scope):
    """SQL: `column` (a department id) within the scope (true for the whole company)."""
    if scope.ids is None:
        return true()
    return column.in_(scope.id_list or [0])
