"""During the cycle: check-ins, obstacles, resource requests, coaching.

A person checks in on their own KPIs (their head may record a check-in for them). Their
check-ins are read by whoever may view the person. Obstacles and requests are read by the
raiser, the owner, the raiser's heads, HR and executives; the owner (or a head now
managing the raiser) moves them, an escalated request is decided by an executive. HR sees
everything but decides nothing. Private notes are read by the heads managing the person
and HR, and NEVER by the person themselves.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import Person, PlanStatus, RequestStatus
from .answers import phase, state, who
from .org import is_executive, is_hr, manages, sees_whole_company
from .planning import can_view_plan


def can_view_kpi(user, kpi) -> bool:
    return can_view_plan(user, kpi.plan)


def can_check_in(user, kpi):
    """Report where a KPI stands: its owner, or a head recording it for them; only on an
    approved plan's counting KPIs, while the phase allows check-ins."""
    plan = kpi.plan
    return (who(user.is_authenticated and (plan.person_id == user.id
                                           or manages(user, plan.person)),
                _l("Only the owner of a KPI and their head check in on it."))
            and phase(plan.cycle, "check_in")
            and state(plan.status == PlanStatus.APPROVED,
                      _l("Check-ins start once the plan is approved."))
            and state(kpi.counts, _l("This proposal was declined; there is nothing to check "
                                     "in on.")))


def can_raise_item(user, kpi):
    """Raise an obstacle or a resource request on a KPI: its owner, as they check in."""
    return (who(user.is_authenticated and kpi.plan.person_id == user.id,
                _l("Only the owner of a KPI raises obstacles and requests on it."))
            and can_check_in(user, kpi))


def can_coach(user, person: Person):
    """Reply to check-ins and write private notes: whoever manages the person."""
    return who(manages(user, person), _l("Only %(name)s's heads coach them.",
                                         name=person.display_name))


def can_comment_on(user, check_in):
    return (can_coach(user, check_in.author)
            and phase(check_in.kpi.plan.cycle, "handle_items"))


def can_mark_comment_read(user, comment):
    return who(user.is_authenticated and comment.person_id == user.id,
               _l("Only the person coached marks a comment read."))


def can_view_coaching_page(user, person: Person) -> bool:
    return user.is_authenticated and person.id != user.id and (
        is_hr(user) or bool(can_coach(user, person)))


def can_write_private_note(user, person: Person):
    return can_coach(user, person)


def can_read_private_notes(user, person: Person) -> bool:
    if not user.is_authenticated or person.id == user.id:
        return False  # never the person the notes are about, whatever else they are
    return is_hr(user) or bool(can_coach(user, person))


def can_view_item(user, item) -> bool:
    """An obstacle or resource request."""
    if not user.is_authenticated:
        return False
    return (user.id in (item.raised_by_id, item.owner_id,
                        getattr(item, "escalated_to_id", None))
            or sees_whole_company(user) or manages(user, item.raised_by))


def _handles(user, item):
    """The item's owner, or a head now managing the person who raised it; never the raiser."""
    return who(user.is_authenticated and user.id != item.raised_by_id
               and (user.id == item.owner_id or manages(user, item.raised_by)),
               _l("Only %(name)s, who owns this, moves it.", name=item.owner.display_name))


def can_take_obstacle(user, obstacle):
    return (_handles(user, obstacle) and phase(obstacle.cycle, "handle_items")
            and state(obstacle.status == "open", _l("This obstacle is in hand already.")
                      if obstacle.status == "in_hand" else
                      _l("This obstacle is resolved already.")))


def can_resolve_obstacle(user, obstacle):
    return (_handles(user, obstacle) and phase(obstacle.cycle, "handle_items")
            and state(obstacle.is_open, _l("This obstacle is resolved already.")))


def can_decide_request(user, item):
    """Approve or decline: the owner while it is open; an executive once escalated."""
    if item.status == RequestStatus.ESCALATED:
        answer = who(is_executive(user) and user.id != item.raised_by_id,
                     _l("An executive decides an escalated request."))
    else:
        answer = _handles(user, item)
    return (answer and phase(item.cycle, "handle_items")
            and state(item.is_open, _l("This request has been decided already.")))


def can_escalate_request(user, item):
    return (_handles(user, item) and phase(item.cycle, "handle_items")
            and state(item.status == RequestStatus.OPEN,
                      _l("This request is with an executive already.")
                      if item.status == RequestStatus.ESCALATED else
                      _l("This request has been decided already.")))


def can_view_overview(user) -> bool:
    """Every open and overdue obstacle and request, company-wide."""
    return is_hr(user)


def can_read_notification(user, notification):
    return who(user.is_authenticated and notification.recipient_id == user.id,
               _l("This notification is not yours."))

