"""Closing a cycle from the feedback interviews.

Rules:
- HR closes a cycle in the interviews phase (permissions.can_close_cycle). Everyone with a
  plan in the cycle should have a finished interview (completed, acknowledged, or appealed
  and resolved); the closing page lists who is missing, and HR may close anyway, with a
  reason kept in the audit log beside the names of those missing.
- Closing moves the cycle to "closed" (cycles.services.move_phase): every interview,
  note, plan item, outcome and review of the cycle is then read-only, because every
  predicate asks for a phase the closed cycle does not allow. The cycles page sends HR
  here to close a cycle, so the rule has one door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...cycles import services as cycles
from ...errors import Invalid
from ...extensions import db
from ...models import Interview, InterviewStatus, Person, PersonalPlan, Phase
from ...rules import clean_text

DONE = (InterviewStatus.COMPLETED.value, InterviewStatus.ACKNOWLEDGED.value,
        InterviewStatus.RESOLVED.value)


@dataclass
class Missing:
    person: Person
    interview: Interview | None

    @property
    def why(self):
        if self.interview is None:
            return _l("Not scheduled")
        if self.interview.is_appealed:
            return _l("Appeal open")
        return self.interview.state.label


def missing(cycle) -> list[Missing]:
    """The people with a plan in the cycle whose interview is not finished."""
    rows = db.session.execute(
        select(Person, Interview).join(PersonalPlan, PersonalPlan.person_id == Person.id)
        .outerjoin(Interview, and_(Interview.cycle_id == cycle.id,
                                   Interview.person_id == Person.id))
        .where(PersonalPlan.cycle_id == cycle.id, Person.active.is_(True),
               (Interview.id.is_(None)) | (Interview.status.not_in(DONE)))
        .options(joinedload(Person.department))
        .order_by(Person.display_name)).all()
    return [Missing(person, interview) for person, interview in rows]


def close(cycle, actor, *, reason: str, now: datetime) -> None:
    can.enforce(can.can_close_cycle(actor, cycle))
    absent = missing(cycle)
    reason = clean_text(reason, field="reason", limit=2000,
                        required=lazy_ngettext(
                            "%(num)d interview is not finished: give a reason to close anyway.",
                            "%(num)d interviews are not finished: give a reason to "
                            "close anyway.", len(absent)) if absent else None)
    cycles.move_phase(cycle, actor, Phase.CLOSED)
    record("cycle.closed", cycle, actor=actor,
           after={"reason": reason, "people": [m.person.display_name for m in absent]})


def refuse_without_page(cycle) -> None:
    """For other doors to the closed phase: send HR to the closing page."""
    raise Invalid(_l("Close the cycle from its closing page, which lists missing "
                     "interviews."), "to")
