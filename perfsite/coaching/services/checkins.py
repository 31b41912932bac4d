"""Check-ins: where one KPI stands, reported by its owner (or recorded by their head).

Rules:
- Who, when and on what: permissions.can_check_in (the owner or a head managing them; an
  approved plan's counting KPI; in progress, and in review as late updates marked `late`).
- A check-in is the one write path of a KPI's actual value (through the planning
  service), so progress rolls up by weight to the department goal and the strategy
  target, and the timeline and the rollup never disagree.
- Status is on track, at risk or off track; confidence, when given, is 1 to 5. A milestone
  is done or not done.
- The owner may raise an obstacle and a resource request with it; they become tracked
  items. A request that is started (any of its fields given) must be complete.
- Every check-in is audited.
- The KPI keeps its latest check-in's status and time (`Kpi.last_check_in_status`,
  `last_check_in_at`: the newest by time, then by id), written here in the same
  transaction; `refresh_latest` recomputes them from the check-ins (the migration's
  backfill, `flask seed-scale`, and the tests' oracle).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, selectinload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import CheckIn, CheckInStatus, CoachingComment, Kpi, MetricType
from ...planning.services import plans as plan_services
from ...rules import clean_text
from . import obstacles, requests


def post_check_in(kpi: Kpi, actor, *, actual_value, status: str, confidence=None,
                  note: str = "", obstacle: str = "", request: dict | None = None,
                  now: datetime) -> CheckIn:
    """Record a check-in (and the obstacle and request that come with it, if any)."""
    can.enforce(can.can_check_in(actor, kpi))
    cycle = kpi.plan.cycle
    errors = {}
    try:
        state = CheckInStatus(status)
    except ValueError:
        errors["status"] = _l("Choose on track, at risk or off track.")
    if confidence in ("", None):
        confidence = None
    else:
        try:
            confidence = int(confidence)
        except (TypeError, ValueError):
            confidence = 0
        if not 1 <= confidence <= 5:
            errors["confidence"] = _l("Confidence is from 1 to 5.")
    if kpi.metric_type == MetricType.MILESTONE:
        actual_value = 1 if actual_value in (True, 1, "1", "done") else 0
    elif actual_value in (None, ""):
        errors["actual_value"] = _l("Give the value reached so far.")
    note = clean_text(note, field="note")
    obstacle = clean_text(obstacle, field="obstacle")
    wants_request = bool(request) and any(
        (value or "") if isinstance(value, str) else value is not None
        for value in request.values())
    if (obstacle or wants_request) and not can.can_raise_item(actor, kpi):
        errors["obstacle" if obstacle else "request_what"] = _l(
            "Only the owner of a KPI raises obstacles and requests on it.")
    elif wants_request:
        try:  # checked before anything is written
            requests.clean_request(now=now, **request)
        except Invalid as error:
            errors.update({f"request_{field}": message
                           for field, message in error.errors.items()})
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    try:
        plan_services.set_kpi_actual(kpi, actor, actual_value)
    except Invalid as error:
        raise Invalid(error.message, "actual_value") from None
    check_in = CheckIn(kpi=kpi, author=actor, actual_value=kpi.actual_value,
                       status=state.value, confidence=confidence, note=note,
                       late=can.is_allowed(cycle, "check_in_late"), created_at=now)
    if kpi.last_check_in_at is None or now >= kpi.last_check_in_at:
        kpi.last_check_in_status, kpi.last_check_in_at = state.value, now
    db.session.add(check_in)
    db.session.flush()
    record("check_in.posted", check_in, actor=actor, label=kpi.title,
           after={"kpi_id": kpi.id, "actual_value": str(check_in.actual_value),
                  "status": check_in.status, "confidence": confidence,
                  "late": check_in.late})
    if obstacle:
        obstacles.raise_obstacle(kpi, actor, description=obstacle, check_in=check_in, now=now)
    if wants_request:
        requests.raise_request(kpi, actor, check_in=check_in, now=now, **request)
    return check_in


def _latest_of(column):
    """SQL: `column` of the KPI's newest check-in (by time, then id)."""
    return (select(column).where(CheckIn.kpi_id == Kpi.id)
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1)
            .scalar_subquery())


def refresh_latest(connection, kpi_filter=None) -> None:
    """Recompute every KPI's (or those matching `kpi_filter`) latest check-in status and
    time from its check-ins."""
    stmt = update(Kpi.__table__).values(last_check_in_status=_latest_of(CheckIn.status),
                                        last_check_in_at=_latest_of(CheckIn.created_at))
    if kpi_filter is not None:
        stmt = stmt.where(kpi_filter)
    connection.execute(stmt)


def _removed_flushed(session, flush_context) -> None:
    # Check-ins are history and not removed but with their KPI; should one go all the same,
    # its KPI's latest is read again in the same transaction.
    removed = {obj.kpi_id for obj in session.deleted if isinstance(obj, CheckIn)}
    if removed:
        refresh_latest(session.connection(), Kpi.__table__.c.id.in_(sorted(removed)))


def listen() -> None:
    """Keep each KPI's latest when a check-in is removed (create_app calls this)."""
    if not event.contains(Session, "after_flush", _removed_flushed):
        event.listen(Session, "after_flush", _removed_flushed)


def timeline(kpi: Kpi, limit: int = 100) -> list[CheckIn]:
    """A KPI's check-ins, newest first, with their authors and comments (two queries)."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.kpi_id == kpi.id)
        .options(selectinload(CheckIn.author),
                 selectinload(CheckIn.comments).selectinload(CoachingComment.author))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)))
