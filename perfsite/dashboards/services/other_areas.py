"""Figures from the 360 feedback and interview areas, for the dashboards and the printable
review.

Rules:
- 360 completion is the feedback area's own count (feedback.services.completion): requests,
  answers and declines per department of the person the feedback is on; never who wrote
  what. Nothing here reads a feedback answer.
- Interview completion, per department of the person interviewed: how many of the people in
  the cycle's reviews have an interview, and how many are finished (completed, acknowledged,
  appealed or resolved). One grouped query.
- Appeals: the interviews whose record the person disagreed with, not yet resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...feedback.services import completion as feedback_completion
from ...models import Cycle, Interview, Person
from .common import Scope, in_scope


def feedback_by_department(cycle: Cycle, scope: Scope, viewer=None, kept=None,
                           names=None) -> list:
    """feedback.services.completion for the departments of the scope, as `viewer` may see
    the counts (below the threshold: "fewer than N", unless HR); with the kept figures
    (department id -> kept_figures.Figures) and their departments' names in order of name,
    from the requests kept per department instead of counting them."""
    if kept is None:
        return feedback_completion.completion(cycle, scope.ids, viewer)
    return feedback_completion.completion_of(
        cycle, {d: f.feedback for d, f in kept.items() if scope.allows(d) and f.feedback},
        names, viewer)


@dataclass
class InterviewCounts:
    department_id: int | None
    scheduled: int  # interviews of any state
    finished: int
    acknowledged: int


def interviews_by_department(cycle: Cycle, scope: Scope) -> dict[int | None, InterviewCounts]:
    finished = func.sum(case((Interview.is_finished, 1), else_=0))
    acknowledged = func.sum(case((Interview.is_acknowledged, 1),
                                 else_=0))
    return {dept: InterviewCounts(dept, count, int(done or 0), int(agreed or 0))
            for dept, count, done, agreed in db.session.execute(
                select(Person.department_id, func.count(Interview.id), finished, acknowledged)
                .join(Person, Person.id == Interview.person_id)
                .where(Interview.cycle_id == cycle.id, in_scope(Person.department_id, scope))
                .group_by(Person.department_id))}


def open_appeals(cycle: Cycle, scope: Scope, limit: int = 10) -> tuple[int, list[Interview]]:
    """How many appeals are open in the cycle, and the oldest few (person, head loaded)."""
    where = [Interview.cycle_id == cycle.id,
             Interview.is_appealed,
             in_scope(Person.department_id, scope)]
    total = db.session.scalar(select(func.count(Interview.id))
                              .join(Person, Person.id == Interview.person_id).where(*where))
    found = list(db.session.scalars(
        select(Interview).join(Person, Person.id == Interview.person_id).where(*where)
        .options(joinedload(Interview.person).joinedload(Person.department),
                 joinedload(Interview.head))
        .order_by(Interview.acknowledged_at, Interview.id).limit(limit)))
    return total or 0, found
