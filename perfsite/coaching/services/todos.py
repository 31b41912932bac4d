"""Everyone's to-do list, computed from the data (never stored by hand).

Each kind of task asks the predicate of perfsite/permissions.py that governs it, so the
list offers exactly what the pages allow. A person has to:
- submit their plan: permissions.can_submit_plan (a draft or returned plan, in a phase
  where plans change: planning, or a plan reopened for revision later);
- approve plans: submitted plans whose approver they are (permissions.approver_id) and
  can_approve_plan;
- check in: a KPI they may check in on (can_check_in) has had no check-in for the cycle's
  `checkin_interval_days` (or none at all);
- act on obstacles and requests they own that are still open (overdue ones first), and
  on requests escalated to them (any executive may decide an escalated request, but it
  is on the to-do list of the executive it went to);
- read coaching comments on their check-ins, and unread notifications;
- reviews: write their self-review (can_write_self_review) in a cycle where they have a
  plan, and review the people whose reviewer they are (permissions.reviewer_id,
  can_write_manager_review): one to-do per cycle, "review N reports".

`todos_for_people(ids, now)` computes the lists of many people with a fixed number of
queries (what `send-reminders` uses); `todos_for(person, now)` is one person's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Lazy: a to-do's text is put into words when shown, in the reader's language (the
# reminder e-mails compute everyone's lists at once and word each in its recipient's).
from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ... import plugins
from ...extensions import db
from ...models import (
    CheckIn,
    CoachingComment,
    Cycle,
    Kpi,
    Notification,
    Obstacle,
    Person,
    PersonalPlan,
    ResourceRequest,
    Review,
    ReviewKind,
)
from .common import is_overdue, overdue_at

# The order the list is shown in.
KINDS = ("request_decide", "obstacle_act", "plan_approve", "plan_submit", "reviews_write",
         "self_review_write", "check_in_due", "comment_read", "notifications",
         # feedback interviews and outcomes (perfsite/interviews/services/todos.py)
         "appeal_resolve", "interview_schedule", "interview_reschedule",
         "interview_acknowledge", "interview_attend", "outcomes_approve",
         # 360 feedback (perfsite/feedback/services/todos.py)
         "feedback_approve", "pick_replacement", "feedback_give")


class DaysSince(int):
    """How many whole days have passed since `since` at `now`: an int (what ngettext chooses
    the plural by) that remembers its moment, so a kept to-do is worded with the days
    counted when it is read (kept_todos), not when it was kept."""

    since: datetime

    def __new__(cls, since: datetime, now: datetime):
        days = super().__new__(cls, (now - since).days)
        days.since = since
        return days


@dataclass(frozen=True)
class Todo:
    """One thing to do: `key` identifies it for reminders (it changes when the thing does),
    `endpoint` and `values` say where it is done. `message` is worded when read, in the
    reader's language; `text` is that wording as plain text (never markup: it holds
    people's names and titles, so templates escape it)."""

    kind: str
    key: str
    message: object
    endpoint: str
    values: dict = field(default_factory=dict)
    overdue: bool = False
    since: datetime | None = None
    # When an open item that is not overdue yet becomes so (time alone changes the list then).
    overdue_at: datetime | None = None

    @property
    def text(self) -> str:
        return str(self.message)


def todos_for(person: Person, now: datetime) -> list[Todo]:
    """Everything `person` has to do now, overdue first within each kind."""
    return todos_for_people({person.id: person}, now)[person.id]


def todos_for_people(people: dict[int, Person], now: datetime) -> dict[int, list[Todo]]:
    """The to-do lists of `people` (by id), in a fixed number of queries for any number."""
    found: dict[int, list[Todo]] = defaultdict(list)
    for collect in (_plans_to_submit, _plans_to_approve, _check_ins_due, _obstacles_to_act_on,
                    _requests_to_decide, _comments_to_read, _notifications,
                    _self_reviews_to_write, _reviews_to_write,
                    # later areas' to-dos (360 feedback, interviews), worded there:
                    # plugins.TODO_COLLECTORS, listed in perfsite/areas.py
                    *plugins.registered(plugins.TODO_COLLECTORS)):
        for person_id, todo in collect(people, now):
            found[person_id].append(todo)
    return {pid: sorted(found.get(pid, []), key=lambda t: (KINDS.index(t.kind), not t.overdue))
            for pid in people}


def _plans_to_submit(people, now):
    plans = db.session.scalars(
        select(PersonalPlan).join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .where(PersonalPlan.person_id.in_(people), PersonalPlan.is_open,
               can.phase_clause("edit_plans", "revise_plans"))
        .options(joinedload(PersonalPlan.cycle))).all()
    for plan in plans:
        person = people[plan.person_id]
        if not can.can_submit_plan(person, plan):
            continue
        text = (_("Submit your plan for %(cycle)s", cycle=plan.cycle.name)
                if not plan.is_returned else
                _("Your plan for %(cycle)s was returned: revise and resubmit it",
                  cycle=plan.cycle.name))
        yield person.id, Todo("plan_submit", f"plan_submit:{plan.id}:{plan.version}", text,
                              "planning.person_plan",
                              {"cycle_id": plan.cycle_id, "person_id": person.id})


def _plans_to_approve(people, now):
    rows = db.session.scalars(
        select(PersonalPlan).join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .join(Person, Person.id == PersonalPlan.person_id)
        .where(PersonalPlan.awaiting_approval,
               # approver_id: the manager, or (without one) the responsible head
               or_(Person.manager_id.in_(people), Person.manager_id.is_(None)),
               can.phase_clause("edit_plans", "revise_plans"))
        .options(joinedload(PersonalPlan.cycle), joinedload(PersonalPlan.person))).all()
    for plan in rows:
        approver = people.get(can.approver_id(plan.person))
        if approver is None or not can.can_approve_plan(approver, plan):
            continue
        yield approver.id, Todo(
            "plan_approve", f"plan_approve:{plan.id}:{plan.version}",
            _("Approve or return %(name)s's plan", name=plan.person.display_name),
            "planning.person_plan", {"cycle_id": plan.cycle_id, "person_id": plan.person_id},
            since=plan.submitted_at)


def _check_ins_due(people, now):
    last = (select(CheckIn.kpi_id, func.max(CheckIn.created_at).label("latest"),
                   func.count(CheckIn.id).label("count"))
            .join(Kpi, Kpi.id == CheckIn.kpi_id)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .where(PersonalPlan.person_id.in_(people))
            .group_by(CheckIn.kpi_id).subquery())
    rows = db.session.execute(
        select(Kpi, last.c.latest, last.c.count)
        .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .outerjoin(last, last.c.kpi_id == Kpi.id)
        .where(PersonalPlan.person_id.in_(people),
               PersonalPlan.is_approved, Kpi.counts,
               can.phase_clause("check_in"))
        .options(joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))
        .order_by(Kpi.title)).all()
    for kpi, latest, count in rows:
        person = people[kpi.plan.person_id]
        if not can.can_check_in(person, kpi):
            continue
        interval = kpi.plan.cycle.checkin_interval_days
        if latest is not None and latest > now - timedelta(days=interval):
            continue
        text = (_("Check in on “%(title)s”: no update yet", title=kpi.title) if latest is None
                else ngettext("Check in on “%(title)s”: last update %(num)d day ago",
                              "Check in on “%(title)s”: last update %(num)d days ago",
                              DaysSince(latest, now), title=kpi.title))
        yield person.id, Todo("check_in_due", f"check_in_due:{kpi.id}:{count or 0}", text,
                              "coaching.kpi", {"kpi_id": kpi.id}, since=latest)


def _obstacles_to_act_on(people, now):
    items = db.session.scalars(
        select(Obstacle).join(Cycle, Cycle.id == Obstacle.cycle_id)
        .where(Obstacle.owner_id.in_(people), Obstacle.is_open,
               can.phase_clause("handle_items"))
        .options(joinedload(Obstacle.cycle), joinedload(Obstacle.raised_by),
                 joinedload(Obstacle.kpi), joinedload(Obstacle.owner))
        .order_by(Obstacle.created_at)).all()
    for item in items:
        owner = people[item.owner_id]
        if not (can.can_resolve_obstacle(owner, item)):
            continue
        yield owner.id, Todo(
            "obstacle_act", f"obstacle:{item.id}:{item.status}",
            _("Obstacle from %(name)s on “%(title)s”", name=item.raised_by.display_name,
              title=item.kpi.title),
            "coaching.obstacle", {"obstacle_id": item.id}, overdue=is_overdue(item, now),
            since=item.created_at, overdue_at=overdue_at(item))


def _requests_to_decide(people, now):
    items = db.session.scalars(
        select(ResourceRequest).join(Cycle, Cycle.id == ResourceRequest.cycle_id)
        .where(or_(
            ResourceRequest.owner_id.in_(people)
            & ResourceRequest.is_with_owner,
            ResourceRequest.escalated_to_id.in_(people)
            & ResourceRequest.is_escalated),
            can.phase_clause("handle_items"))
        .options(joinedload(ResourceRequest.cycle), joinedload(ResourceRequest.raised_by),
                 joinedload(ResourceRequest.owner))
        .order_by(ResourceRequest.created_at)).all()
    for item in items:
        person = people[item.escalated_to_id if item.is_escalated
                        else item.owner_id]
        if not can.can_decide_request(person, item):
            continue
        yield person.id, Todo(
            "request_decide", f"request:{item.id}:{item.status}",
            _("Decide %(name)s's request: %(what)s", name=item.raised_by.display_name,
              what=item.what),
            "coaching.request_detail", {"request_id": item.id}, overdue=is_overdue(item, now),
            since=item.created_at, overdue_at=overdue_at(item))


def _comments_to_read(people, now):
    comments = db.session.scalars(
        select(CoachingComment)
        .where(CoachingComment.person_id.in_(people), CoachingComment.read_at.is_(None))
        .options(joinedload(CoachingComment.author),
                 joinedload(CoachingComment.check_in).joinedload(CheckIn.kpi))
        .order_by(CoachingComment.created_at)).all()
    for comment in comments:
        kpi = comment.check_in.kpi
        yield comment.person_id, Todo(
            "comment_read", f"comment:{comment.id}",
            _("Read %(name)s's comment on “%(title)s”", name=comment.author.display_name,
              title=kpi.title),
            "coaching.kpi", {"kpi_id": kpi.id}, since=comment.created_at)


def _notifications(people, now):
    rows = db.session.execute(
        select(Notification.recipient_id, func.count(Notification.id))
        .where(Notification.recipient_id.in_(people), Notification.read_at.is_(None))
        .group_by(Notification.recipient_id)).all()
    for person_id, count in rows:
        yield person_id, Todo(
            "notifications", "notifications",
            ngettext("%(num)d unread notification", "%(num)d unread notifications", count),
            "coaching.notification_list")


# Reviews ------------------------------------------------------------------------------------

def _unsubmitted_reviews(kind: ReviewKind, where):
    """(plan, review or None) for plans in cycles open for reviews whose review of `kind`
    is not submitted, narrowed by `where`."""
    return db.session.execute(
        select(PersonalPlan, Review).join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .join(Person, Person.id == PersonalPlan.person_id)
        .outerjoin(Review, and_(Review.cycle_id == PersonalPlan.cycle_id,
                                Review.person_id == PersonalPlan.person_id,
                                Review.kind == kind.value))
        .where(where, Person.active.is_(True), can.phase_clause("write_reviews"),
               or_(Review.id.is_(None), ~Review.is_submitted))
        .options(joinedload(PersonalPlan.cycle), joinedload(PersonalPlan.person))
        .order_by(Cycle.start_date, PersonalPlan.id)).all()


def _self_reviews_to_write(people, now):
    for plan, review in _unsubmitted_reviews(ReviewKind.SELF,
                                             PersonalPlan.person_id.in_(people)):
        person = people[plan.person_id]
        review = review or Review.blank(plan.cycle, plan.person, ReviewKind.SELF)
        if not can.can_write_self_review(person, review):
            continue
        text = (_("Write your self-review for %(cycle)s", cycle=plan.cycle.name)
                if review.id is None else
                _("Finish and submit your self-review for %(cycle)s", cycle=plan.cycle.name))
        yield person.id, Todo("self_review_write",
                              f"self_review:{plan.cycle_id}:{review.reopened_count or 0}", text,
                              "reviews.self_review",
                              {"cycle_id": plan.cycle_id, "person_id": person.id})


def _reviews_to_write(people, now):
    # In SQL, the people whose reviewer someone of `people` may be; reviewer_id decides.
    rows = _unsubmitted_reviews(ReviewKind.MANAGER, or_(Person.manager_id.in_(people),
                                                        Person.manager_id.is_(None)))
    waiting: dict[tuple[int, int], int] = defaultdict(int)
    cycles = {}
    for plan, review in rows:
        reviewer = people.get(can.reviewer_id(plan.person))
        review = review or Review.blank(plan.cycle, plan.person, ReviewKind.MANAGER)
        if reviewer is None or not can.can_write_manager_review(reviewer, review):
            continue
        waiting[(reviewer.id, plan.cycle_id)] += 1
        cycles[plan.cycle_id] = plan.cycle
    for (reviewer_id, cycle_id), count in waiting.items():
        yield reviewer_id, Todo(
            "reviews_write", f"reviews_write:{cycle_id}",
            ngettext("Review %(num)d report for %(cycle)s",
                     "Review %(num)d reports for %(cycle)s", count, cycle=cycles[cycle_id].name),
            "reviews.team", {"cycle_id": cycle_id})


def todo_count(person: Person, now: datetime) -> int:
    """What the navigation badge shows."""
    return len(todos_for(person, now))

