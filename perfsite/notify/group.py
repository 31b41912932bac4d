"""Messages to group chats: only what the whole group may see.

Rules:
- A group message is one of GROUP_KINDS, built here and nowhere else, from counts, dates,
  the cycle's and departments' names and the phase: a phase opened, a deadline in N
  days, a department's completion ("12 of 15 self-reviews submitted"), a test message.
  Never a score, a rating, a comment, 360 content, or a person's name: no function here
  reads them.
- Completion is said only of groups of at least NOTIFY_MIN_GROUP people (5): in a smaller
  one, "3 of 4" tells everyone who has not done it yet. A department's channel hears of
  its department with the departments below it; the company's channel of the company and
  of each department.
- Each message is worded in its channel's language, and written to the outbox with the
  change that caused it (a phase moved), or by the daily job (deadlines, completion),
  which writes each notice once per channel and day however often it runs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from .. import permissions as can
from ..extensions import db
from ..models import (
    Cycle,
    Department,
    NotifyChannel,
    Person,
    PersonalPlan,
    Phase,
)
from . import outbox
from .links import site_link, site_name
from .vendors import GroupMessage

GROUP_KINDS = ("phase_opened", "deadline", "completion", "test")

# What people do in the phase that just opened, said to the whole group.
PHASE_INVITATIONS = {
    Phase.PLANNING: _l("Agree your goals and KPIs: propose, weigh them to 100% and submit "
                       "your plan to your head."),
    Phase.IN_PROGRESS: _l("Check in on your KPIs, raise obstacles and resource requests, "
                          "and talk with your head as the cycle goes."),
    Phase.REVIEW: _l("Write your self-review, give the feedback you were asked for; heads "
                     "review their people."),
    Phase.CALIBRATION: _l("HR and executives calibrate the ratings across departments."),
    Phase.INTERVIEWS: _l("Heads hold the feedback interviews with their people."),
    Phase.CLOSED: _l("The cycle is closed: results are final and visible to the people they "
                     "concern."),
}


def _todo_link() -> tuple[str | None, str]:
    return site_link("coaching.todo_list"), _("See what is waiting for you")


def phase_opened(cycle: Cycle, phase: Phase) -> GroupMessage:
    link, link_text = _todo_link()
    return GroupMessage(
        _("%(cycle)s: %(phase)s has begun", cycle=cycle.name, phase=phase.label),
        [str(PHASE_INVITATIONS.get(phase, ""))], link, link_text)


def deadline(cycle: Cycle, days: int) -> GroupMessage:
    link, link_text = _todo_link()
    return GroupMessage(
        ngettext("%(cycle)s ends in %(num)d day", "%(cycle)s ends in %(num)d days", days,
                 cycle=cycle.name),
        [_("The cycle ends on %(date)s.", date=cycle.end_date.isoformat())], link, link_text)


def completion(cycle: Cycle, what: str, rows: list[tuple[str | None, int, int]]
               ) -> GroupMessage:
    """`rows`: (department name, or None for the company; done; people). `what`: plans,
    self_reviews or manager_reviews."""
    lines = []
    for name, done, people in rows:
        name = _("The company") if name is None else name
        if what == "plans":
            line = ngettext("%(group)s: %(done)d of %(num)d plan approved",
                            "%(group)s: %(done)d of %(num)d plans approved", people,
                            group=name, done=done)
        elif what == "self_reviews":
            line = ngettext("%(group)s: %(done)d of %(num)d self-review submitted",
                            "%(group)s: %(done)d of %(num)d self-reviews submitted", people,
                            group=name, done=done)
        else:
            line = ngettext("%(group)s: %(done)d of %(num)d manager review submitted",
                            "%(group)s: %(done)d of %(num)d manager reviews submitted", people,
                            group=name, done=done)
        lines.append(line)
    link, link_text = _todo_link()
    return GroupMessage(_("%(cycle)s: where we stand", cycle=cycle.name), lines, link,
                        link_text)


def test_message() -> GroupMessage:
    return GroupMessage(_("Test message from %(site)s", site=site_name()),
                        [_("If you can read this, %(site)s can post to this group.",
                           site=site_name())],
                        site_link("main.home"), site_name())


# Writing them --------------------------------------------------------------------------------

def active_channels() -> list[NotifyChannel]:
    return list(db.session.scalars(
        select(NotifyChannel).where(NotifyChannel.active.is_(True)).order_by(NotifyChannel.id)))


def write(channel: NotifyChannel, kind: str, build, now: datetime,
          dedupe_key: str | None = None):
    """Word the message in the channel's language and put it in the outbox."""
    if kind not in GROUP_KINDS:
        raise ValueError(kind)
    if dedupe_key and outbox.already_written(dedupe_key):
        return None
    with force_locale(channel.locale):
        message = build()
    return outbox.add(now, transport=channel.kind, channel_id=channel.id,
                      address=channel.name[:254], kind=kind, title=message.title[:200],
                      content={"lines": message.lines, "link": message.link,
                               "link_text": message.link_text},
                      dedupe_key=dedupe_key)


def announce_phase(cycle: Cycle, actor, now: datetime | None = None) -> None:
    """Registered for every phase (perfsite/notify/__init__.py): as a cycle enters a
    phase, every channel hears it, in the same transaction."""
    from ..models import utcnow

    now = now or utcnow()
    phase = Phase(cycle.phase)
    for channel in active_channels():
        write(channel, "phase_opened", lambda: phase_opened(cycle, phase), now)


def _min_group() -> int:
    return int(current_app.config.get("NOTIFY_MIN_GROUP") or 5)


def _counts(cycle: Cycle) -> dict[str, dict[int | None, tuple[int, int]]]:
    """Per department (its own people): what: {department id: (done, people)}."""
    from ..reviews.services.completion import by_department

    found: dict[str, dict[int | None, tuple[int, int]]] = {}
    if can.is_allowed(cycle, "edit_plans"):  # plans are agreed: how many are approved
        rows = db.session.execute(
            select(Person.department_id, func.count(PersonalPlan.id),
                   func.sum(case((PersonalPlan.is_approved, 1), else_=0)))
            .join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle.id, Person.active.is_(True))
            .group_by(Person.department_id)).all()
        found["plans"] = {dept: (int(done or 0), people) for dept, people, done in rows}
    elif can.is_allowed(cycle, "write_reviews"):  # reviews are written: how many are in
        rows = by_department(cycle)
        found["self_reviews"] = {r.department_id: (r.self_done, r.people) for r in rows}
        found["manager_reviews"] = {r.department_id: (r.manager_done, r.people) for r in rows}
    return found


def _rows_for(channel: NotifyChannel, per_department, names
              ) -> list[tuple[str | None, int, int]]:
    """The lines a channel may hear: its department with those below it, or (the
    company's channel) the company and each department; groups too small left out."""
    least = _min_group()

    def total(department_ids) -> tuple[int, int]:
        done = sum(per_department.get(d, (0, 0))[0] for d in department_ids)
        return done, sum(per_department.get(d, (0, 0))[1] for d in department_ids)

    rows = []
    if channel.department_id is None:
        done, people = total(per_department.keys())
        rows.append((None, done, people))  # worded in the channel's language
        for dept_id in sorted((d for d in per_department if d is not None),
                              key=lambda d: names.get(d, "")):
            done, people = per_department[dept_id]
            rows.append((names.get(dept_id, ""), done, people))
    else:
        done, people = total(can.subtree_ids([channel.department_id]))
        rows.append((names.get(channel.department_id, ""), done, people))
    return [row for row in rows if row[2] >= least]


def daily_notices(now: datetime) -> int:
    """Deadlines (NOTIFY_DEADLINE_DAYS before a cycle's end) and, on the weekday
    NOTIFY_COMPLETION_WEEKDAY, completion, for every channel; each once a day."""
    channels = active_channels()
    if not channels:
        return 0
    today = now.date()
    days_before = {int(d) for d in str(current_app.config.get("NOTIFY_DEADLINE_DAYS") or "")
                   .split(",") if d.strip().isdigit()}
    cycles = db.session.scalars(
        select(Cycle).where(can.phase_clause("work_in_cycle"))
        .order_by(Cycle.id)).all()
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    written = 0
    for cycle in cycles:
        days = (cycle.end_date - today).days
        if days in days_before:
            for channel in channels:
                written += write(channel, "deadline", lambda c=cycle, d=days: deadline(c, d),
                                 now, f"deadline:{cycle.id}:{days}:{channel.id}") is not None
        if today.weekday() != int(current_app.config.get("NOTIFY_COMPLETION_WEEKDAY") or 0):
            continue
        by_what: dict = defaultdict(dict)
        for what, per_department in _counts(cycle).items():
            for channel in channels:
                rows = _rows_for(channel, per_department, names)
                if rows:
                    by_what[channel.id][what] = rows
        for channel in channels:
            for what, rows in by_what.get(channel.id, {}).items():
                written += write(
                    channel, "completion",
                    lambda c=cycle, w=what, r=rows: completion(c, w, r), now,
                    f"completion:{cycle.id}:{what}:{today.isoformat()}:{channel.id}",
                ) is not None
    return written
