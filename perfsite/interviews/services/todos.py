"""The interviews' part of everyone's to-do list (collected by coaching.services.todos, and so
e-mailed by `flask send-reminders`). Each to-do asks the predicate that governs it:
- the person: attend a scheduled interview, acknowledge a completed record
  (can_acknowledge_interview);
- the head holding interviews: schedule the reports who have none yet
  (can_schedule_interview; one to-do per cycle), answer a proposed time;
- HR: resolve open appeals (can_resolve_appeal);
- executives: approve outcomes waiting (can_approve_outcomes; one to-do per cycle).
A fixed number of queries for any number of people.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import LazyString
from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...coaching.services.todos import Todo
from ...extensions import db
from ...models import Cycle, Interview, Outcome, Person, PersonalPlan
from ...timezones import local_time, zone_of

KINDS = ("appeal_resolve", "interview_schedule", "interview_reschedule",
         "interview_acknowledge", "interview_attend", "outcomes_approve")


def _todo(*args, **kwargs):
    return Todo(*args, **kwargs)


def _when(moment, reader: Person) -> LazyString:
    """The interview's time as `reader` reads it: their zone, named, in their language when
    the to-do is worded (lazily, as its message: a kept to-do is worded when read)."""
    return LazyString(local_time, moment, zone=True, tz=zone_of(reader))


def collect(people: dict, now):
    """(person id, Todo) for the interviews of `people` (a to-do collector,
    perfsite/areas.py)."""
    interviews = db.session.scalars(
        select(Interview).join(Cycle, Cycle.id == Interview.cycle_id)
        .where(can.phase_clause("hold_interviews"),
               or_(Interview.person_id.in_(people), Interview.head_id.in_(people),
                   Interview.is_appealed))
        .options(joinedload(Interview.cycle), joinedload(Interview.person),
                 joinedload(Interview.head))).all()
    for interview in interviews:
        person = people.get(interview.person_id)
        head = people.get(interview.head_id)
        values = {"interview_id": interview.id}
        if person is not None and interview.is_booked:
            yield person.id, _todo(
                "interview_attend", f"interview_attend:{interview.id}:{interview.version}",
                _("Feedback interview with %(name)s on %(when)s", name=interview.head.display_name,
                  when=_when(interview.starts_at, person)), "interviews.interview", values)
        if person is not None and can.can_acknowledge_interview(person, interview):
            yield person.id, _todo(
                "interview_acknowledge", f"interview_acknowledge:{interview.id}",
                _("Read and acknowledge your feedback interview record for %(cycle)s",
                  cycle=interview.cycle.name), "interviews.interview", values,
                since=interview.completed_at)
        if (head is not None and interview.proposed_starts_at is not None
                and can.can_schedule_interview(head, interview)):
            yield head.id, _todo(
                "interview_reschedule", f"interview_reschedule:{interview.id}:"
                f"{interview.version}",
                _("%(name)s proposes another time for their interview: %(when)s",
                  name=interview.person.display_name,
                  when=_when(interview.proposed_starts_at, head)),
                "interviews.interview", values)
        if (head is not None and interview.is_cancelled
                and can.can_schedule_interview(head, interview)):
            yield head.id, _todo(
                "interview_reschedule", f"interview_reschedule:{interview.id}:"
                f"{interview.version}",
                _("Schedule the cancelled interview with %(name)s again (%(cycle)s)",
                  name=interview.person.display_name, cycle=interview.cycle.name),
                "interviews.schedule", {"cycle_id": interview.cycle_id,
                                        "person_id": interview.person_id})
        if interview.is_appealed:
            for hr in people.values():
                if can.can_resolve_appeal(hr, interview):
                    yield hr.id, _todo(
                        "appeal_resolve", f"appeal_resolve:{interview.id}",
                        _("Resolve the appeal of %(name)s (%(cycle)s)",
                          name=interview.person.display_name, cycle=interview.cycle.name),
                        "interviews.resolve_appeal", values, since=interview.acknowledged_at)
    yield from _to_schedule(people)
    yield from _outcomes_to_approve(people)


def _to_schedule(people):
    rows = db.session.execute(
        select(PersonalPlan).join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .join(Person, Person.id == PersonalPlan.person_id)
        .outerjoin(Interview, and_(Interview.cycle_id == PersonalPlan.cycle_id,
                                   Interview.person_id == PersonalPlan.person_id))
        .where(can.phase_clause("hold_interviews"), Interview.id.is_(None), Person.active.is_(True),
               or_(Person.manager_id.in_(people), Person.manager_id.is_(None)))
        .options(joinedload(PersonalPlan.cycle), joinedload(PersonalPlan.person))).scalars()
    waiting: dict[tuple[int, int], int] = defaultdict(int)
    cycles = {}
    for plan in rows:
        holder = people.get(can.reviewer_id(plan.person))
        if holder is None or not can.can_schedule_interview(
                holder, Interview.blank(plan.cycle, plan.person, holder.id)):
            continue
        waiting[(holder.id, plan.cycle_id)] += 1
        cycles[plan.cycle_id] = plan.cycle
    for (holder_id, cycle_id), count in waiting.items():
        yield holder_id, _todo(
            "interview_schedule", f"interview_schedule:{cycle_id}",
            ngettext("Schedule %(num)d feedback interview for %(cycle)s",
                     "Schedule %(num)d feedback interviews for %(cycle)s", count,
                     cycle=cycles[cycle_id].name),
            "interviews.cycle_page", {"cycle_id": cycle_id})


def _outcomes_to_approve(people):
    executives = [p for p in people.values() if can.is_executive(p)]
    if not executives:
        return
    rows = db.session.execute(
        select(Cycle, func.count(Outcome.id)).join(Outcome, Outcome.cycle_id == Cycle.id)
        .where(can.phase_clause("hold_interviews"), Outcome.approved_at.is_(None))
        .group_by(Cycle.id)).all()
    for cycle, count in rows:
        for executive in executives:
            if can.can_approve_outcomes(executive, cycle):
                yield executive.id, _todo(
                    "outcomes_approve", f"outcomes_approve:{cycle.id}",
                    ngettext("Approve %(num)d outcome for %(cycle)s",
                             "Approve %(num)d outcomes for %(cycle)s", count, cycle=cycle.name),
                    "interviews.outcomes_page", {"cycle_id": cycle.id})
