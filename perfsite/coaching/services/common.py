"""What the coaching services share: errors, the responsible head, the overdue rule.

Rules:
- An obstacle or request is owned by the head responsible for the person who raised it:
  the head of the nearest department above them (their own first) that someone other
  than themselves heads, or else their manager. Nobody to own it: it cannot be raised.
- An open obstacle or request is overdue once it has been open longer than its cycle's
  `overdue_after_days`. "Now" is always passed in, so the rule is tested with a fixed clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from ... import permissions as can
from ...cycles.services import PhaseError
from ...extensions import db
from ...models import Cycle, Person
from ...org.services import ConflictError, check_version

__all__ = ["CoachingError", "ConflictError", "NotAllowed", "PhaseError", "check_version"]


class CoachingError(ValueError):
    """A rule was broken; `field` names the form field to blame (or None)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class NotAllowed(CoachingError):
    """The actor may not do this (the view answers 403)."""


def require_text(value: str | None, field: str, message, limit: int = 5000) -> str:
    text = (value or "").strip()
    if not text:
        raise CoachingError(message, field)
    if len(text) > limit:
        raise CoachingError(_l("Keep this under %(limit)d characters.", limit=limit), field)
    return text


def responsible_head(person: Person) -> Person | None:
    """Who owns what `person` raises (see the module's rules)."""
    parents = {d: (p, h) for d, p, h in can._department_links()}
    department_id, seen = person.department_id, set()
    while department_id is not None and department_id not in seen:
        seen.add(department_id)
        parent_id, head_id = parents.get(department_id, (None, None))
        if head_id is not None and head_id != person.id:
            return db.session.get(Person, head_id)
        department_id = parent_id
    return person.manager


def overdue_cutoff(cycle: Cycle, now: datetime) -> datetime:
    """Items created before this moment are overdue (when still open)."""
    return now - timedelta(days=cycle.overdue_after_days)


def is_overdue(item, now: datetime) -> bool:
    return item.is_open and item.created_at < overdue_cutoff(item.cycle, now)
