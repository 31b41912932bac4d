"""How far 360 feedback has got: counts only, per department of the person the feedback is
on. Never who wrote what: HR reads who has answered on the admin page (answers are never
shown there), dashboards read these counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import Cycle, Department, FeedbackRequest, FeedbackStatus, Person, utcnow


@dataclass(frozen=True)
class DepartmentCounts:
    department_id: int | None
    name: str
    requested: int  # asked (approved), whether answered, declined or not yet
    submitted: int
    declined: int

    @property
    def waiting(self) -> int:
        return self.requested - self.submitted - self.declined


def completion(cycle: Cycle, department_ids=None) -> list[DepartmentCounts]:
    """Requested / submitted / declined feedback per department (of the person the feedback
    is on), by department name; one query. `department_ids` narrows to those departments."""
    status = FeedbackRequest.status

    def count_of(*statuses):
        return func.coalesce(func.sum(case((status.in_([s.value for s in statuses]), 1),
                                           else_=0)), 0)

    stmt = (select(Person.department_id, Department.name,
                   count_of(FeedbackStatus.REQUESTED, FeedbackStatus.SUBMITTED,
                            FeedbackStatus.DECLINED),
                   count_of(FeedbackStatus.SUBMITTED), count_of(FeedbackStatus.DECLINED))
            .select_from(FeedbackRequest)
            .join(Person, Person.id == FeedbackRequest.subject_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(FeedbackRequest.cycle_id == cycle.id)
            .group_by(Person.department_id, Department.name)
            .order_by(Department.name))
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids) or [0]))
    return [DepartmentCounts(dept_id, name or "—", int(asked), int(done), int(declined))
            for dept_id, name, asked, done, declined in db.session.execute(stmt)]


def totals(rows: list[DepartmentCounts]) -> DepartmentCounts:
    return DepartmentCounts(None, "", sum(r.requested for r in rows),
                            sum(r.submitted for r in rows), sum(r.declined for r in rows))


def recompute_scores(cycle: Cycle, actor, now) -> int:
    """HR stores everyone's scores again (reviews/services/scores.refresh_result), now with
    the 360 groups that pass the threshold: one batch, audited as HR's, so that no change of
    a stored score follows one rater's answer. Returns how many results were refreshed."""
    from ... import permissions as can
    from ...models import Review, ReviewKind
    from ...reviews.services import scores

    can.enforce(can.can_recompute_scores(actor, cycle))
    people = list(db.session.scalars(
        select(Person).join(Review, Review.person_id == Person.id)
        .where(Review.cycle_id == cycle.id, Review.kind == ReviewKind.MANAGER.value,
               Review.is_submitted)
        .order_by(Person.id)))
    for person in people:
        scores.refresh_result(cycle, person, actor, now)
    db.session.flush()
    return len(people)


def fold_in_late_answers(cycle: Cycle, actor) -> int:
    """As calibration opens (feedback is closed then; a phase hook, perfsite/areas.py),
    the stored scores take in every 360 answer that came after a manager review was
    submitted: one batch, like HR's button."""
    return recompute_scores(cycle, actor, utcnow())
