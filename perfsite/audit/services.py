"""Writing and reading the audit log.

Rule: every change to people, departments, roles, cycles (and later goals, scores,
ratings and outcomes) records one AuditEvent with actor, UTC time, action, object and
the before/after values of what changed. Services call `record`; they never commit.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Person, PrivateNote


def _json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(_json_value(v) for v in value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def snapshot(obj, fields) -> dict:
    """The JSON-safe values of `fields` on `obj`, for an event's before/after."""
    return {f: _json_value(getattr(obj, f)) for f in fields}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, so an event shows exactly what moved."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class _Source:
    """The actor of a change nobody made in the site, recorded as where it came from
    (AuditEvent.source) instead of as a person."""

    id = None

    def __init__(self, source: str):
        self.source = source

    def __repr__(self) -> str:
        return f"<source {self.source}>"


# A command run on the server, where nobody is logged in (`flask create-admin`).
COMMAND_LINE = _Source("cli")
# The directory sync (`flask sync-directory`, HR's "sync now") and directory logins
# bringing a person's group roles in step.
DIRECTORY_SYNC = _Source("directory")
# A sign-in refused before anyone is logged in (single sign-on matching nobody).
SIGN_IN = _Source("signin")


def record(action: str, obj=None, *, actor: Person | _Source, before=None, after=None,
           object_type: str | None = None, label: str | None = None) -> AuditEvent:
    """Log one change. The actor is always given by the service that acts: a request,
    an import or a CLI run is recorded with the person it acts for, never with none; a
    command that acts for nobody says so with COMMAND_LINE, the directory sync with
    DIRECTORY_SYNC."""
    if actor is None:
        raise ValueError(f"audit event {action} without an actor")
    if hasattr(actor, "_get_current_object"):  # flask_login's current_user proxy
        actor = actor._get_current_object()
    source = None
    if isinstance(actor, _Source):
        actor, source = None, actor.source
    event = AuditEvent(
        action=action,
        actor=actor,
        source=source,
        object_type=object_type or (obj.__tablename__ if obj is not None else ""),
        object_id=getattr(obj, "id", None),
        object_label=(label if label is not None else _label(obj))[:200],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def _label(obj) -> str:
    if obj is None:
        return ""
    for attr in ("display_name", "name", "title", "username"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    return str(obj)


def search_events(*, action: str | None = None, object_type: str | None = None,
                  actor_id: int | None = None, since: date | None = None,
                  until: date | None = None, reader=None):
    """A select() of events, newest first, narrowed by the given filters. With a `reader`,
    events about private notes on that reader are left out: a note about someone is never
    theirs to see, not even as a line in the log."""
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if reader is not None:
        notes_on_reader = select(PrivateNote.id).where(PrivateNote.person_id == reader.id)
        stmt = stmt.where(~((AuditEvent.object_type == "private_note")
                            & AuditEvent.object_id.in_(notes_on_reader)))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if actor_id:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(since, time.min, UTC))
    if until:
        next_day = datetime.combine(until + timedelta(days=1), time.min, UTC)
        stmt = stmt.where(AuditEvent.occurred_at < next_day)
    return stmt
