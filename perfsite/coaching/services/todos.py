"""Everyone's to-do list, computed from the data (never stored by hand).

Rules — a person has to:
- submit their plan: their plan in a cycle in planning is a draft or was returned;
- approve plans: plans submitted by people they manage;
- check in: a KPI of theirs in a cycle open for check-ins has had no check-in for the
  cycle's `checkin_interval_days` (or none at all);
- act on obstacles and requests they own that are still open (overdue ones first), and
  on requests escalated to them (any executive may decide an escalated request, but it
  is on the to-do list of the executive it went to);
- read coaching comments on their check-ins, and unread notifications.

`todos_for(person, now)` runs a fixed number of queries, whatever the size of the team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ...cycles.services import ALLOWED_PHASES
from ...extensions import db
from ...models import (
    CheckIn,
    CoachingComment,
    Cycle,
    Kpi,
    Obstacle,
    ObstacleStatus,
    Person,
    PersonalPlan,
    Phase,
    PlanStatus,
    ProposalStatus,
    RequestStatus,
    ResourceRequest,
)
from ...planning.services import plans as plan_services
from . import notifications

# The order the list is shown in.
KINDS = ("request_decide", "obstacle_act", "plan_approve", "plan_submit", "check_in_due",
         "comment_read", "notifications")


@dataclass(frozen=True)
class Todo:
    """One thing to do: `key` identifies it for reminders (it changes when the thing does),
    `endpoint` and `values` say where it is done."""

    kind: str
    key: str
    text: str
    endpoint: str
    values: dict = field(default_factory=dict)
    overdue: bool = False
    since: datetime | None = None


def _phases(action: str) -> list[str]:
    return [p.value for p in ALLOWED_PHASES[action]]


def todos_for(person: Person, now: datetime) -> list[Todo]:
    """Everything `person` has to do now, overdue first within each kind (7 queries)."""
    items: list[Todo] = []
    items += _plans_to_submit(person)
    items += _plans_to_approve(person)
    items += _check_ins_due(person, now)
    items += _obstacles_to_act_on(person, now)
    items += _requests_to_decide(person, now)
    items += _comments_to_read(person)
    items += _notifications(person)
    return sorted(items, key=lambda t: (KINDS.index(t.kind), not t.overdue))


def todo_count(person: Person, now: datetime) -> int:
    return len(todos_for(person, now))


def _plans_to_submit(person: Person) -> list[Todo]:
    rows = db.session.execute(
        select(PersonalPlan.id, PersonalPlan.status, PersonalPlan.version, Cycle.id, Cycle.name)
        .join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .where(PersonalPlan.person_id == person.id,
               PersonalPlan.status.in_([PlanStatus.DRAFT.value, PlanStatus.RETURNED.value]),
               Cycle.phase == Phase.PLANNING.value)).all()
    return [Todo("plan_submit", f"plan_submit:{plan_id}:{version}",
                 _("Submit your plan for %(cycle)s", cycle=cycle_name)
                 if status == PlanStatus.DRAFT else
                 _("Your plan for %(cycle)s was returned: revise and resubmit it",
                   cycle=cycle_name),
                 "planning.person_plan", {"cycle_id": cycle_id, "person_id": person.id})
            for plan_id, status, version, cycle_id, cycle_name in rows]


def _plans_to_approve(person: Person) -> list[Todo]:
    return [Todo("plan_approve", f"plan_approve:{plan.id}:{plan.version}",
                 _("Approve or return %(name)s's plan", name=plan.person.display_name),
                 "planning.person_plan", {"cycle_id": plan.cycle_id, "person_id": plan.person_id},
                 since=plan.submitted_at)
            for plan in plan_services.plans_waiting_for(person)]


def _check_ins_due(person: Person, now: datetime) -> list[Todo]:
    last = func.max(CheckIn.created_at)
    rows = db.session.execute(
        select(Kpi.id, Kpi.title, Cycle.checkin_interval_days, last, func.count(CheckIn.id))
        .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .outerjoin(CheckIn, CheckIn.kpi_id == Kpi.id)
        .where(PersonalPlan.person_id == person.id,
               PersonalPlan.status == PlanStatus.APPROVED.value,
               Cycle.phase.in_(_phases("check_in")),
               or_(Kpi.proposal_status.is_(None),
                   Kpi.proposal_status != ProposalStatus.DECLINED.value))
        .group_by(Kpi.id, Kpi.title, Cycle.checkin_interval_days)
        .order_by(Kpi.title)).all()
    items = []
    for kpi_id, title, interval, latest, count in rows:
        if latest is not None and latest > now - timedelta(days=interval):
            continue
        text = (_("Check in on “%(title)s”: no update yet", title=title) if latest is None
                else ngettext("Check in on “%(title)s”: last update %(num)d day ago",
                              "Check in on “%(title)s”: last update %(num)d days ago",
                              (now - latest).days, title=title))
        items.append(Todo("check_in_due", f"check_in_due:{kpi_id}:{count}", text,
                          "coaching.kpi", {"kpi_id": kpi_id}, since=latest))
    return items


def _obstacles_to_act_on(person: Person, now: datetime) -> list[Todo]:
    raiser = aliased(Person)
    rows = db.session.execute(
        select(Obstacle.id, Obstacle.status, Obstacle.created_at, Cycle.overdue_after_days,
               raiser.display_name, Kpi.title)
        .join(Cycle, Cycle.id == Obstacle.cycle_id)
        .join(raiser, raiser.id == Obstacle.raised_by_id)
        .join(Kpi, Kpi.id == Obstacle.kpi_id)
        .where(Obstacle.owner_id == person.id,
               Obstacle.status != ObstacleStatus.RESOLVED.value,
               Cycle.phase.in_(_phases("handle_items")))
        .order_by(Obstacle.created_at)).all()
    return [Todo("obstacle_act", f"obstacle:{obstacle_id}:{status}",
                 _("Obstacle from %(name)s on “%(title)s”", name=name, title=title),
                 "coaching.obstacle", {"obstacle_id": obstacle_id},
                 overdue=created < now - timedelta(days=days), since=created)
            for obstacle_id, status, created, days, name, title in rows]


def _requests_to_decide(person: Person, now: datetime) -> list[Todo]:
    raiser = aliased(Person)
    rows = db.session.execute(
        select(ResourceRequest.id, ResourceRequest.status, ResourceRequest.created_at,
               Cycle.overdue_after_days, raiser.display_name, ResourceRequest.what)
        .join(Cycle, Cycle.id == ResourceRequest.cycle_id)
        .join(raiser, raiser.id == ResourceRequest.raised_by_id)
        .where(or_(
            (ResourceRequest.owner_id == person.id)
            & (ResourceRequest.status == RequestStatus.OPEN.value),
            (ResourceRequest.escalated_to_id == person.id)
            & (ResourceRequest.status == RequestStatus.ESCALATED.value)),
            Cycle.phase.in_(_phases("handle_items")))
        .order_by(ResourceRequest.created_at)).all()
    return [Todo("request_decide", f"request:{request_id}:{status}",
                 _("Decide %(name)s's request: %(what)s", name=name, what=what),
                 "coaching.request_detail", {"request_id": request_id},
                 overdue=created < now - timedelta(days=days), since=created)
            for request_id, status, created, days, name, what in rows]


def _comments_to_read(person: Person) -> list[Todo]:
    author = aliased(Person)
    rows = db.session.execute(
        select(CoachingComment.id, CoachingComment.created_at, author.display_name, Kpi.id,
               Kpi.title)
        .join(author, author.id == CoachingComment.author_id)
        .join(CheckIn, CheckIn.id == CoachingComment.check_in_id)
        .join(Kpi, Kpi.id == CheckIn.kpi_id)
        .where(CoachingComment.person_id == person.id, CoachingComment.read_at.is_(None))
        .order_by(CoachingComment.created_at)).all()
    return [Todo("comment_read", f"comment:{comment_id}",
                 _("Read %(name)s's comment on “%(title)s”", name=name, title=title),
                 "coaching.kpi", {"kpi_id": kpi_id}, since=created)
            for comment_id, created, name, kpi_id, title in rows]


def _notifications(person: Person) -> list[Todo]:
    count = notifications.unread_count(person)
    if not count:
        return []
    return [Todo("notifications", "notifications",
                 ngettext("%(num)d unread notification", "%(num)d unread notifications", count),
                 "coaching.notification_list")]
