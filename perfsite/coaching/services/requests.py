"""Resource requests: people, budget, tools or training a KPI needs, decided by a head.

Rules (the state machine: open -> approved | declined | escalated;
escalated -> approved | declined):
- The KPI's owner raises a request (what, why, by when) while check-ins are open; it is
  owned by the head responsible for them (common.responsible_head).
- The owner, or a head now managing the person, approves, declines (with a comment) or
  escalates it to an executive (with a comment). An escalated request is decided by the
  executive it went to, or any executive. HR sees every request but decides none; the
  raiser sees their own.
- Approved and declined are final. There is no delete: a request ends in a decision or
  stays open (overdue after the cycle's `overdue_after_days`) before its owner and HR.
- Every move is audited and notifies the person who raised it.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import permissions as can
from ...audit.services import record
from ...cycles.services import require_phase
from ...extensions import db
from ...models import (
    CheckIn,
    Kpi,
    Person,
    PersonRole,
    RequestKind,
    RequestStatus,
    ResourceRequest,
    Role,
)
from . import notifications
from .common import CoachingError, NotAllowed, check_version, require_text, responsible_head

DECISIONS = ("approve", "decline", "escalate")


def _link(item: ResourceRequest) -> str:
    return f"request:{item.id}"


def executives():
    """A select() of the active people who may decide escalated requests."""
    return (select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.EXECUTIVE.value, Person.active.is_(True))
            .order_by(Person.display_name))


def raise_request(kpi: Kpi, actor, *, kind: str, what: str, why: str = "",
                  needed_by: date | None = None, check_in: CheckIn | None = None,
                  now: datetime) -> ResourceRequest:
    if not can.can_check_in(actor, kpi):
        raise NotAllowed(_l("Only the owner of a KPI asks for resources for it."))
    require_phase(kpi.plan.cycle, "check_in")
    try:
        kind = RequestKind(kind).value
    except ValueError:
        raise CoachingError(_l("Choose what kind of resource you need."), "kind") from None
    what = require_text(what, "what", _l("Say what you need."), limit=200)
    why = require_text(why, "why", _l("Say why you need it."))
    if needed_by is not None and needed_by < now.date():
        raise CoachingError(_l("The date it is needed by has passed."), "needed_by")
    owner = responsible_head(actor)
    if owner is None:
        raise CoachingError(_l("Nobody is responsible for you in the org chart yet; ask HR."),
                            "what")
    item = ResourceRequest(cycle_id=kpi.plan.cycle_id, kpi=kpi, check_in=check_in,
                           raised_by=actor, owner=owner, kind=kind, what=what, why=why,
                           needed_by=needed_by, status=RequestStatus.OPEN.value,
                           created_at=now)
    db.session.add(item)
    db.session.flush()
    record("resource_request.raised", item, actor=actor, label=what,
           after={"kpi_id": kpi.id, "owner_id": owner.id, "kind": kind, "what": what,
                  "needed_by": needed_by.isoformat() if needed_by else None})
    return item


def may_decide(actor, item: ResourceRequest) -> bool:
    """Whether `actor` may make a decision on `item` now (for showing the form)."""
    if item.status == RequestStatus.OPEN:
        return can.can_handle_item(actor, item)
    if item.status == RequestStatus.ESCALATED:
        return can.can_decide_escalated(actor, item)
    return False


def decide(item: ResourceRequest, actor, *, decision: str, comment: str = "",
           escalate_to_id: int | None = None, expected_version=None,
           now: datetime) -> None:
    """Approve, decline or escalate (see the module's rules)."""
    check_version(item, expected_version)
    if decision not in DECISIONS:
        raise CoachingError(_l("Choose approve, decline or escalate."), "decision")
    if not item.is_open:
        raise CoachingError(_l("This request has been decided already."))
    if not may_decide(actor, item):
        raise NotAllowed(_l("You may not decide this request."))
    require_phase(item.cycle, "handle_items")
    comment = (comment or "").strip()
    before = {"status": item.status}
    if decision == "escalate":
        if item.status == RequestStatus.ESCALATED:
            raise CoachingError(_l("This request is with an executive already."), "decision")
        comment = require_text(comment, "comment", _l("Say why it needs an executive."))
        executive = db.session.get(Person, escalate_to_id) if escalate_to_id else None
        if executive is None or not executive.active or not executive.has_role(Role.EXECUTIVE):
            raise CoachingError(_l("Choose the executive to escalate to."), "escalate_to_id")
        item.status = RequestStatus.ESCALATED.value
        item.escalated_to_id = executive.id
        item.escalated_at = now
        item.decision_comment = comment
        record("resource_request.escalated", item, actor=actor, label=item.what, before=before,
               after={"status": item.status, "escalated_to_id": executive.id,
                      "comment": comment})
        notifications.notify(item.raised_by, "request_escalated", _link(item),
                             actor=actor.display_name, what=item.what,
                             executive=executive.display_name)
        notifications.notify(executive, "request_escalated_to_you", _link(item),
                             actor=actor.display_name, what=item.what)
        return
    if decision == "decline":
        comment = require_text(comment, "comment", _l("Say why the request is declined."))
    item.status = (RequestStatus.APPROVED if decision == "approve"
                   else RequestStatus.DECLINED).value
    item.decision_comment = comment
    item.decided_by_id = actor.id
    item.decided_at = now
    record(f"resource_request.{item.status}", item, actor=actor, label=item.what,
           before=before, after={"status": item.status, "comment": comment})
    notifications.notify(item.raised_by, f"request_{item.status}", _link(item),
                         actor=actor.display_name, what=item.what)
