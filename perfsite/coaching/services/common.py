"""What the coaching services share: who owns what a person raises, and "overdue".

Rules:
- An obstacle or request is owned by the head responsible for the person who raised it
  (permissions.responsible_head_id). Nobody to own it: it cannot be raised.
- An open obstacle or request is overdue once it has been open longer than its cycle's
  `overdue_after_days`. "Now" is always passed in, so the rule is tested with a fixed clock.
  `is_overdue` says it of one item, `overdue_clause` of a query; both use `overdue_cutoff`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from ... import permissions as can
from ...extensions import db
from ...models import Cycle, Person


def responsible_head(person: Person) -> Person | None:
    head_id = can.responsible_head_id(person)
    return db.session.get(Person, head_id) if head_id else None


def overdue_cutoff(cycle: Cycle, now: datetime) -> datetime:
    """Items created before this moment are overdue (when still open)."""
    return now - timedelta(days=cycle.overdue_after_days)


def overdue_at(item) -> datetime:
    """The moment an item still open becomes overdue (`is_overdue` is true just after it)."""
    return item.created_at + timedelta(days=item.cycle.overdue_after_days)


def is_overdue(item, now: datetime) -> bool:
    return item.is_open and item.created_at < overdue_cutoff(item.cycle, now)


def overdue_clause(model, now: datetime):
    """SQL: open `model` items (Obstacle or ResourceRequest) past their cycle's cut-off."""
    cycles = db.session.execute(select(Cycle.id, Cycle.overdue_after_days)).all()
    if not cycles:
        return model.id.is_(None)
    return and_(model.is_open, or_(*[
        and_(model.cycle_id == cycle_id, model.created_at < now - timedelta(days=days))
        for cycle_id, days in cycles]))
