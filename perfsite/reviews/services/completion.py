"""Completion: who has written which review, per department and per person; a reviewer's
list of the people they review; reminders for the late ones.

Rules:
- The people in a cycle's reviews are its active people with a plan in it. Each writes a
  self-review; their reviewer (permissions.reviewer_id, who approves their plan) writes
  their manager review.
- A review is not started, a draft, or submitted.
- HR nudges the late ones while the cycle is in review (permissions.can_nudge_reviewers):
  everyone whose self-review is not submitted, and every reviewer with manager reviews not
  submitted, gets one notification per nudge; the nudge is audited. Their to-do lists, and
  so the `send-reminders` e-mails, list the same work.
- Every list here is read in a fixed number of queries, however many people it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, joinedload

from ... import permissions as can
from ...audit.services import record
from ...coaching.services import notifications
from ...extensions import db
from ...models import (
    Cycle,
    Department,
    Person,
    PersonalPlan,
    Review,
    ReviewKind,
    ReviewResult,
    ReviewState,
)


def state_of(review: Review | None) -> ReviewState:
    return ReviewState.of(review)


@dataclass
class PersonRow:
    """One person in a cycle's reviews: their reviews (saved ones) and their reviewer."""

    person: Person
    self_review: Review | None
    manager_review: Review | None
    reviewer: Person | None = None

    @property
    def self_state(self) -> ReviewState:
        return state_of(self.self_review)

    @property
    def manager_state(self) -> ReviewState:
        return state_of(self.manager_review)

    @property
    def self_submitted(self) -> bool:
        return self.self_state.is_submitted

    @property
    def manager_submitted(self) -> bool:
        return self.manager_state.is_submitted

    @property
    def is_late(self) -> bool:
        return (self.self_state is not ReviewState.SUBMITTED
                or self.manager_state is not ReviewState.SUBMITTED)


@dataclass
class DepartmentRow:
    department_id: int | None
    name: str
    people: int
    self_done: int
    manager_done: int

    @property
    def complete(self) -> bool:
        return self.self_done == self.people and self.manager_done == self.people


def _participants(cycle: Cycle):
    """A select() of the people in the cycle's reviews."""
    return (select(Person).join(PersonalPlan, PersonalPlan.person_id == Person.id)
            .where(PersonalPlan.cycle_id == cycle.id, Person.active.is_(True)))


def _submitted(alias):
    return func.sum(case((alias.is_submitted, 1), else_=0))


def _review_join(alias, cycle: Cycle, kind: ReviewKind):
    return and_(alias.cycle_id == cycle.id, alias.person_id == Person.id,
                alias.kind == kind.value)


def by_department(cycle: Cycle) -> list[DepartmentRow]:
    """Per department: how many people, how many self and manager reviews submitted."""
    own, manager = aliased(Review), aliased(Review)
    rows = db.session.execute(
        select(Person.department_id, Department.name, func.count(Person.id),
               _submitted(own), _submitted(manager))
        .join(PersonalPlan, PersonalPlan.person_id == Person.id)
        .outerjoin(Department, Department.id == Person.department_id)
        .outerjoin(own, _review_join(own, cycle, ReviewKind.SELF))
        .outerjoin(manager, _review_join(manager, cycle, ReviewKind.MANAGER))
        .where(PersonalPlan.cycle_id == cycle.id, Person.active.is_(True))
        .group_by(Person.department_id, Department.name)
        .order_by(Department.name)).all()
    return [DepartmentRow(dept_id, name or str(_l("No department")), people, int(own or 0),
                          int(done or 0))
            for dept_id, name, people, own, done in rows]


def _rows_for(cycle: Cycle, people: list[Person], with_reviewers: bool = True
              ) -> list[PersonRow]:
    """Rows for these people: their reviews in one query, their reviewers in one more."""
    ids = [p.id for p in people]
    reviews: dict[tuple[int, str], Review] = {}
    if ids:
        for review in db.session.scalars(select(Review).where(
                Review.cycle_id == cycle.id, Review.person_id.in_(ids))):
            reviews[(review.person_id, review.kind)] = review
    rows = [PersonRow(p, reviews.get((p.id, ReviewKind.SELF.value)),
                      reviews.get((p.id, ReviewKind.MANAGER.value))) for p in people]
    if with_reviewers:
        reviewer_ids = {row.person.id: can.reviewer_id(row.person) for row in rows}
        wanted = {i for i in reviewer_ids.values() if i is not None}
        found = {p.id: p for p in db.session.scalars(
            select(Person).where(Person.id.in_(wanted or [0])))}
        for row in rows:
            row.reviewer = found.get(reviewer_ids[row.person.id])
    return rows


def people_query(cycle: Cycle, department_id: int | None = None, late_only: bool = False):
    """A select() of the people in the cycle's reviews, by department and name; `late_only`
    keeps those with a review not submitted."""
    stmt = (_participants(cycle).outerjoin(Department, Department.id == Person.department_id)
            .options(joinedload(Person.department))
            .order_by(Department.name, Person.display_name, Person.id))
    if department_id is not None:
        stmt = stmt.where(Person.department_id == department_id)
    if late_only:
        submitted_both = (select(func.count(Review.id))
                          .where(Review.cycle_id == cycle.id, Review.person_id == Person.id,
                                 Review.is_submitted)
                          .scalar_subquery())
        stmt = stmt.where(submitted_both < 2)
    return stmt


def rows_of(cycle: Cycle, people: list[Person]) -> list[PersonRow]:
    return _rows_for(cycle, people)


# A reviewer's people -------------------------------------------------------------------------

def _state_order(alias):
    """ReviewState.order in SQL: not started, draft, submitted."""
    return case((alias.id.is_(None), ReviewState.NOT_STARTED.order),
                (alias.is_submitted, ReviewState.SUBMITTED.order),
                else_=ReviewState.DRAFT.order)


SORTS = ("name", "self", "manager")


def _reports(cycle: Cycle, reviewer):
    """The people in the cycle's reviews whose manager review `reviewer` writes."""
    return _participants(cycle).where(can.reviewed_by_clause(reviewer))


def reports_query(cycle: Cycle, reviewer, sort: str = "manager", descending: bool = False):
    """A select() of the people whose manager review `reviewer` writes (those whose plan
    they approve), sorted by name or by the state of either review, for paging."""
    own, manager = aliased(Review), aliased(Review)
    name = (func.lower(Person.display_name), Person.id)
    keys = {"name": name, "self": (_state_order(own), *name),
            "manager": (_state_order(manager), *name)}[sort if sort in SORTS else "manager"]
    return (_reports(cycle, reviewer)
            .outerjoin(own, _review_join(own, cycle, ReviewKind.SELF))
            .outerjoin(manager, _review_join(manager, cycle, ReviewKind.MANAGER))
            .order_by(*(key.desc() if descending else key for key in keys)))


@dataclass(frozen=True)
class ReportCounts:
    people: int
    submitted: int


def report_counts(cycle: Cycle, reviewer) -> ReportCounts:
    """How many people `reviewer` reviews in the cycle, and how many of those manager
    reviews are submitted: one query."""
    manager = aliased(Review)
    people, submitted = db.session.execute(
        _reports(cycle, reviewer).with_only_columns(func.count(Person.id), _submitted(manager))
        .outerjoin(manager, _review_join(manager, cycle, ReviewKind.MANAGER))).one()
    return ReportCounts(people or 0, int(submitted or 0))


@dataclass
class MyCycle:
    """One cycle on a person's reviews page: their self-review, result and reports."""

    cycle: Cycle
    in_it: bool  # the person has a plan in it
    self_state: ReviewState
    may_write_self: bool
    result: ReviewResult | None
    sees_results: bool
    reports: ReportCounts


def my_cycles(person: Person) -> tuple[list[MyCycle], list[Cycle]]:
    """The cycles `person` may open whose reviews have opened (their self-review, result
    and the reviews they write, in four queries for any number of cycles beside the counts),
    and the cycles whose reviews are still to come, newest first."""
    cycles = [c for c in db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc(),
                                                                    Cycle.id.desc()))
              if can.can_use_cycle(person, c)]
    opened = [c for c in cycles if can.reviews_have_opened(c)]
    ids = [c.id for c in opened] or [0]
    planned = set(db.session.scalars(select(PersonalPlan.cycle_id).where(
        PersonalPlan.person_id == person.id, PersonalPlan.cycle_id.in_(ids))))
    own = {r.cycle_id: r for r in db.session.scalars(select(Review).where(
        Review.person_id == person.id, Review.kind == ReviewKind.SELF.value,
        Review.cycle_id.in_(ids)))}
    results = {r.cycle_id: r for r in db.session.scalars(select(ReviewResult).where(
        ReviewResult.person_id == person.id, ReviewResult.cycle_id.in_(ids)))}
    rows = []
    for cycle in opened:
        self_review, result = own.get(cycle.id), results.get(cycle.id)
        rows.append(MyCycle(
            cycle=cycle, in_it=cycle.id in planned, self_state=ReviewState.of(self_review),
            may_write_self=bool(can.can_write_self_review(
                person, self_review or Review.blank(cycle, person, ReviewKind.SELF))),
            result=result,
            sees_results=bool(can.can_view_results(
                person, result or ReviewResult.blank(cycle, person))),
            reports=report_counts(cycle, person)))
    return rows, [c for c in cycles if not can.reviews_have_opened(c)]


def report_rows(cycle: Cycle, reviewer, people: list[Person]) -> list[PersonRow]:
    """Rows for a page of `reviewer`'s people (their reviews in one query)."""
    rows = _rows_for(cycle, people, with_reviewers=False)
    for row in rows:
        row.reviewer = reviewer
    return rows


# Reminders -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Nudged:
    people: int
    reviewers: int


def nudge(cycle: Cycle, actor, *, department_id: int | None = None, now: datetime) -> Nudged:
    """Remind everyone late in the cycle's reviews (in one department, if given)."""
    can.enforce(can.can_nudge_reviewers(actor, cycle))
    people = db.session.scalars(people_query(cycle, department_id, late_only=True)).all()
    rows = _rows_for(cycle, list(people))
    late_self = [row.person for row in rows if row.self_state is not ReviewState.SUBMITTED]
    reviewers = {row.reviewer.id: row.reviewer for row in rows
                 if row.manager_state is not ReviewState.SUBMITTED
                 and row.reviewer is not None and row.reviewer.active}
    for person in late_self:
        notifications.notify(person, "self_review_nudge", f"reviews:{cycle.id}",
                             actor=actor.display_name, cycle=cycle.name)
    for reviewer in reviewers.values():
        notifications.notify(reviewer, "manager_review_nudge", f"review_team:{cycle.id}",
                             actor=actor.display_name, cycle=cycle.name)
    result = Nudged(len(late_self), len(reviewers))
    record("review.nudged", cycle, actor=actor, label=cycle.name,
           after={"department_id": department_id, "people": result.people,
                  "reviewers": result.reviewers})
    return result


# Before calibration ------------------------------------------------------------------------

@dataclass
class MissingRow:
    """What one department still owes before calibration: reviews not submitted and 360
    requests not answered (counts for HR; never who wrote what)."""

    department_id: int | None
    name: str
    self_missing: int
    manager_missing: int
    feedback_waiting: int

    @property
    def total(self) -> int:
        return self.self_missing + self.manager_missing + self.feedback_waiting


def missing_before_calibration(cycle: Cycle) -> list[MissingRow]:
    """Per department, the self and manager reviews not submitted and the 360 requests
    waiting for an answer, for the confirmation of the move to calibration (people missing
    a review have no final score there). Departments owing nothing are left out; two
    queries."""
    from ...feedback.services import completion as feedback_completion

    rows: dict[int | None, MissingRow] = {}
    for row in by_department(cycle):
        rows[row.department_id] = MissingRow(row.department_id, row.name,
                                             row.people - row.self_done,
                                             row.people - row.manager_done, 0)
    for counts in feedback_completion.completion(cycle):
        found = rows.setdefault(counts.department_id, MissingRow(
            counts.department_id, counts.name, 0, 0, 0))
        found.feedback_waiting = counts.waiting
    return sorted((r for r in rows.values() if r.total),
                  key=lambda r: (r.name.lower(), r.department_id or 0))
