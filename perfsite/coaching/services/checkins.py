"""Check-ins: a person reports where one of their KPIs stands.

Rules:
- Only the KPI's owner checks in, on a KPI that counts (not a declined proposal).
- Check-ins are open while the cycle is in progress, and in review as late updates
  (marked `late`); refused in planning and read-only once the cycle is past review.
- A check-in's actual value becomes the KPI's actual value through the planning service,
  so progress rolls up by weight to the department goal and the strategy target.
- Status is on track, at risk or off track; confidence, when given, is 1 to 5.
- Obstacles and resource requests posted with it are raised as tracked items.
- Every check-in is audited.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ... import permissions as can
from ...audit.services import record
from ...cycles.services import require_phase
from ...extensions import db
from ...models import CheckIn, CheckInStatus, CoachingComment, Kpi, PersonalPlan, Phase
from ...planning.services import PlanningError
from ...planning.services import plans as plan_services
from . import obstacles, requests
from .common import CoachingError, NotAllowed


def post_check_in(kpi: Kpi, actor, *, actual_value, status: str, confidence=None,
                  note: str = "", obstacle: str = "", request: dict | None = None,
                  now: datetime) -> CheckIn:
    """Record a check-in (and the obstacle and request that come with it, if any)."""
    if not can.can_check_in(actor, kpi):
        raise NotAllowed(_l("Only the owner of a KPI checks in on it."))
    cycle = kpi.plan.cycle
    require_phase(cycle, "check_in")
    if kpi.is_declined:
        raise CoachingError(_l("This proposal was declined; there is nothing to check in on."))
    try:
        state = CheckInStatus(status)
    except ValueError:
        raise CoachingError(_l("Choose on track, at risk or off track."), "status") from None
    if confidence in ("", None):
        confidence = None
    else:
        try:
            confidence = int(confidence)
        except (TypeError, ValueError):
            confidence = 0
        if not 1 <= confidence <= 5:
            raise CoachingError(_l("Confidence is from 1 to 5."), "confidence")
    if actual_value in (None, ""):
        raise CoachingError(_l("Give the value reached so far."), "actual_value")
    note = (note or "").strip()
    if len(note) > 5000:
        raise CoachingError(_l("Keep this under %(limit)d characters.", limit=5000), "note")
    try:
        plan_services.set_kpi_actual(kpi, actor, actual_value)
    except PlanningError as error:
        raise CoachingError(str(error), "actual_value") from None
    check_in = CheckIn(kpi=kpi, author=actor, actual_value=kpi.actual_value,
                       status=state.value, confidence=confidence, note=note,
                       late=cycle.current_phase is Phase.REVIEW, created_at=now)
    db.session.add(check_in)
    db.session.flush()
    record("check_in.posted", check_in, actor=actor, label=kpi.title,
           after={"kpi_id": kpi.id, "actual_value": str(check_in.actual_value),
                  "status": check_in.status, "confidence": confidence,
                  "late": check_in.late})
    if (obstacle or "").strip():
        obstacles.raise_obstacle(kpi, actor, description=obstacle, check_in=check_in, now=now)
    if request and any((request.get(k) or "") for k in ("what", "why")):
        requests.raise_request(kpi, actor, check_in=check_in, now=now, **request)
    return check_in


def timeline(kpi: Kpi, limit: int = 100) -> list[CheckIn]:
    """A KPI's check-ins, newest first, with their authors and comments (two queries)."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.kpi_id == kpi.id)
        .options(selectinload(CheckIn.author),
                 selectinload(CheckIn.comments).selectinload(CoachingComment.author))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)))


def latest_in_cycle(cycle_id: int) -> dict[int, tuple[str, bool]]:
    """(status, late) of the newest check-in of every KPI of a cycle, in one query: what
    plans and the alignment tree show next to each KPI."""
    newest = (select(func.max(CheckIn.id)).join(Kpi, Kpi.id == CheckIn.kpi_id)
              .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
              .where(PersonalPlan.cycle_id == cycle_id).group_by(CheckIn.kpi_id))
    return {kpi_id: (status, late) for kpi_id, status, late in db.session.execute(
        select(CheckIn.kpi_id, CheckIn.status, CheckIn.late).where(CheckIn.id.in_(newest)))}


def latest_by_kpi(kpi_ids) -> dict[int, CheckIn]:
    """The newest check-in of each KPI, in one query (for plans and the alignment tree)."""
    kpi_ids = list(kpi_ids)
    if not kpi_ids:
        return {}
    newest = (select(func.max(CheckIn.id)).where(CheckIn.kpi_id.in_(kpi_ids))
              .group_by(CheckIn.kpi_id))
    return {c.kpi_id: c for c in db.session.scalars(
        select(CheckIn).where(CheckIn.id.in_(newest)))}
