"""Resource requests: people, budget, tools or training a KPI needs, decided by a head.

Rules (the state machine: open -> approved | declined | escalated;
escalated -> approved | declined):
- The KPI's owner raises a request (what, why, by when) while check-ins are open; it is
  owned by the head responsible for them (common.responsible_head).
- The owner, or a head now managing the person, approves, declines (with a comment) or
  escalates it to an executive (with a comment) (permissions.can_decide_request,
  can_escalate_request). An escalated request is decided by the
  executive it went to, or any executive. HR sees every request but decides none; the
  raiser sees their own.
- Approved and declined are final. There is no delete: a request ends in a decision or
  stays open (overdue after the cycle's `overdue_after_days`) before its owner and HR.
- An approval may draw on a resource allocation (an amount, a headcount, or both): the
  allocation's rules (talent.services.allocations.draw) decide whether it fits what is
  left, or needs an executive with a reason.
- Every move is audited and notifies the person who raised it.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
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
from ...rules import check_version, clean_text
from ...talent.services import allocations
from . import notifications
from .common import responsible_head

DECISIONS = ("approve", "decline", "escalate")


def _link(item: ResourceRequest) -> str:
    return f"request:{item.id}"


def executives():
    """A select() of the active people who may decide escalated requests."""
    return (select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.EXECUTIVE.value, Person.active.is_(True))
            .order_by(Person.display_name))


def clean_request(*, kind=None, what="", why="", needed_by=None, now: datetime):
    """A request's fields, checked together: (kind, what, why, needed_by), or Invalid
    naming every field that is wrong."""
    errors = {}
    try:
        kind = RequestKind(kind).value
    except ValueError:
        errors["kind"] = _l("Choose what kind of resource you need.")
    try:
        what = clean_text(what, field="what", limit=200, multiline=False,
                          required=_l("Say what you need."))
    except Invalid as error:
        errors["what"] = error.message
    try:
        why = clean_text(why, field="why", required=_l("Say why you need it."))
    except Invalid as error:
        errors["why"] = error.message
    if needed_by is not None and needed_by < now.date():
        errors["needed_by"] = _l("The date it is needed by has passed.")
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    return kind, what, why, needed_by


def raise_request(kpi: Kpi, actor, *, kind: str, what: str, why: str = "",
                  needed_by: date | None = None, check_in: CheckIn | None = None,
                  now: datetime) -> ResourceRequest:
    can.enforce(can.can_raise_item(actor, kpi))
    kind, what, why, needed_by = clean_request(kind=kind, what=what, why=why,
                                               needed_by=needed_by, now=now)
    owner = responsible_head(actor)
    if owner is None:
        raise Invalid(_l("Nobody is responsible for you in the org chart yet; ask HR."),
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


def decide(item: ResourceRequest, actor, *, decision: str, comment: str = "",
           escalate_to_id: int | None = None, expected_version, now: datetime,
           allocation_id: int | None = None, amount=None, headcount=None,
           over_reason: str = "") -> None:
    """Approve, decline or escalate (see the module's rules)."""
    if decision not in DECISIONS:
        raise Invalid(_l("Choose approve, decline or escalate."), "decision")
    can.enforce(can.can_escalate_request(actor, item) if decision == "escalate"
                else can.can_decide_request(actor, item))
    check_version(item, expected_version)
    comment = clean_text(comment, field="comment", limit=2000)
    before = {"status": item.status}
    if decision == "escalate":
        if not comment:
            raise Invalid(_l("Say why it needs an executive."), "comment")
        executive = db.session.get(Person, escalate_to_id) if escalate_to_id else None
        if executive is None or not executive.active or not executive.has_role(Role.EXECUTIVE):
            raise Invalid(_l("Choose the executive to escalate to."), "escalate_to_id")
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
    if decision == "decline" and not comment:
        raise Invalid(_l("Say why the request is declined."), "comment")
    drawn = (allocations.draw(item, actor, allocation_id=allocation_id, amount=amount,
                              headcount=headcount, over_reason=over_reason)
             if decision == "approve" else {})
    item.status = (RequestStatus.APPROVED if decision == "approve"
                   else RequestStatus.DECLINED).value
    item.decision_comment = comment
    item.decided_by_id = actor.id
    item.decided_at = now
    record(f"resource_request.{item.status}", item, actor=actor, label=item.what,
           before=before, after={"status": item.status, "comment": comment, **drawn})
    notifications.notify(item.raised_by, f"request_{item.status}", _link(item),
                         actor=actor.display_name, what=item.what)
