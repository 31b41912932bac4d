"""How far 360 feedback has got: counts only, per department of the person the feedback is
on. Never who wrote what: HR reads who has answered on the admin page (answers are never
shown there), dashboards read these counts."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ... import permissions as can
from ...extensions import db
from ...models import Cycle, Department, FeedbackRequest, FeedbackStatus, Person, utcnow
from .settings import threshold_of


@dataclass(frozen=True)
class DepartmentCounts:
    department_id: int | None
    name: str
    requested: int  # asked (approved), whether answered, declined or not yet
    submitted: int
    declined: int
    # Counts below this are shown as "fewer than N" (0: exact, for HR).
    floor: int = 0

    @property
    def waiting(self) -> int:
        return self.requested - self.submitted - self.declined

    @property
    def exact(self) -> bool:
        """Are the answered, declined and waiting counts shown as they are? Only when each
        reaches the floor: otherwise one would follow from the others."""
        return not self.floor or min(self.submitted, self.declined, self.waiting) >= self.floor

    def shown(self, name: str) -> str:
        """A count as this reader sees it: exact, or "fewer than N" / "N or more"."""
        value = getattr(self, name)
        if self.exact or name == "requested":
            return str(value)
        if value < self.floor:
            return _("fewer than %(n)d", n=self.floor)
        return _("%(n)d or more", n=self.floor)


def completion(cycle: Cycle, department_ids=None, viewer=None) -> list[DepartmentCounts]:
    """Requested / submitted / declined feedback per department (of the person the feedback
    is on), by department name; one query. `department_ids` narrows to those departments.

    For a `viewer` other than HR (permissions.can_see_exact_feedback_counts) the counts
    leave out the feedback on the viewer themselves, and answered and declined counts below
    the cycle's threshold read "fewer than N": nobody but HR watches a count of answers
    about themselves or their team move one by one."""
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
    floor = 0
    if viewer is not None and not can.can_see_exact_feedback_counts(viewer):
        stmt = stmt.where(FeedbackRequest.subject_id != viewer.id)
        floor = threshold_of(cycle)
    return [DepartmentCounts(dept_id, name or "—", int(asked), int(done), int(declined),
                             floor)
            for dept_id, name, asked, done, declined in db.session.execute(stmt)]


ASKED = (FeedbackStatus.REQUESTED.value, FeedbackStatus.SUBMITTED.value,
         FeedbackStatus.DECLINED.value)


def completion_of(cycle: Cycle, by_department: dict, names: dict, viewer=None
                  ) -> list[DepartmentCounts]:
    """`completion`'s rows from counts already made: `by_department` maps a department id
    (None: no department) to its requests by status (the dashboards keep them per
    department: dashboards.services.kept_figures), `names` the departments' names in the
    order of name. The same rules: for a viewer other than HR the requests on the viewer
    are left out (one small query, by subject) and counts below the threshold read "fewer
    than N". A department appears when it has requests in any status."""
    counts = {d: dict(c) for d, c in by_department.items() if c}
    floor = 0
    if viewer is not None and not can.can_see_exact_feedback_counts(viewer):
        floor = threshold_of(cycle)
        own = counts.get(viewer.department_id)
        if own is not None:
            for status, n in db.session.execute(
                    select(FeedbackRequest.status, func.count(FeedbackRequest.id))
                    .where(FeedbackRequest.cycle_id == cycle.id,
                           FeedbackRequest.subject_id == viewer.id)
                    .group_by(FeedbackRequest.status)):
                own[status] = own.get(status, 0) - n
            if not any(own.values()):
                del counts[viewer.department_id]
    order = [*(d for d in names if d in counts), *(d for d in counts if d not in names)]
    return [DepartmentCounts(d, names.get(d) or "—",
                             sum(counts[d].get(s, 0) for s in ASKED),
                             counts[d].get(FeedbackStatus.SUBMITTED.value, 0),
                             counts[d].get(FeedbackStatus.DECLINED.value, 0), floor)
            for d in order]


def totals(rows: list[DepartmentCounts]) -> DepartmentCounts:
    return DepartmentCounts(None, "", sum(r.requested for r in rows),
                            sum(r.submitted for r in rows), sum(r.declined for r in rows))


def recompute_scores(cycle: Cycle, actor, now) -> int:
    """HR stores everyone's scores again (reviews/services/scores.refresh_result), with the
    360 groups as released (releases.py): one batch, audited as HR's, so that no change of
    a stored score follows one rater's answer. Returns how many results were refreshed."""
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
    """As calibration opens (review has closed, feedback with it; a phase hook,
    perfsite/areas.py), the anonymous groups that are due are released (releases.py) and
    everyone's stored scores take them in: one batch, like HR's button."""
    from .releases import publish

    now = utcnow()
    publish(cycle, actor, now)
    return recompute_scores(cycle, actor, now)
