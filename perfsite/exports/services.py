"""What each export holds, as a header and a generator of rows.

Rules:
- An export shows what the pages show its reader, no more: the departments of
  permissions.dashboard_scope (the whole company for HR and executives, the departments a
  head manages), narrowed by the department asked for. A person's own result appears only
  once the cycle lets them see it (see_own_results).
- Rows are read a partition at a time (PARTITION rows, by id: keyset pagination), each
  partition in its own short session: an export of any size holds one partition in memory,
  never the whole set, and no transaction stays open while the file travels (nor when a
  client never reads it). Columns are read as plain rows, not ORM objects. Rows come in
  the order they were created; a spreadsheet sorts them.
- Labels are translated before the rows are read (the rows are written after the request
  is over), in the reader's language.
- Progress is planning's figure (progress.measure_progress; a goal's from its stored KPI
  sums); scores and ratings are the stored results of reviews, outcomes the interviews
  area's (bonus multiplier, promotion, training, improvement plan, approved or not);
  statuses are translated.
- Peer feedback never appears here as rows: only the 360 report's anonymous summary
  (perfsite.feedback) may ever add to an export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import get_timezone, pgettext
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ..dashboards.services.common import Scope, in_scope
from ..extensions import db
from ..models import (
    CheckIn,
    CheckInStatus,
    Cycle,
    Department,
    DepartmentGoal,
    Interview,
    InterviewStatus,
    Kpi,
    Outcome,
    Person,
    PersonalPlan,
    PlanStatus,
    Review,
    ReviewKind,
    ReviewResult,
    ReviewState,
    StrategyTarget,
)
from ..models.planning import METRIC_LABELS
from ..permissions import is_allowed
from ..planning.services import progress
from . import writers

PARTITION = 1000


@dataclass
class Export:
    name: str  # the file's name, without extension
    title: str  # the sheet's title
    header: list
    rows: Iterator[list]
    # per column, what its values' types do not say (writers.PERCENT: 0-100); None: as typed
    kinds: list = field(default_factory=list)
    # the reader's time zone (a tzinfo): times are written in it, and the header names it
    zone: object = None


def _reader_zone():
    """The reader's zone, asked now: the rows are written after the request is over."""
    return get_timezone()


def partitioned(stmt, key, size: int | None = None):
    """The rows of `stmt` in order of `key` (a unique column, read as the last column), a
    partition at a time, each in its own application context and session."""
    app = current_app._get_current_object()
    size = size or PARTITION
    stmt = stmt.add_columns(key).order_by(key).limit(size)

    def rows():
        last = None
        while True:
            with app.app_context():
                page = db.session.execute(stmt if last is None
                                          else stmt.where(key > last)).all()
            yield from (row[:-1] for row in page)
            if len(page) < size:
                return
            last = page[-1][-1]

    return rows()


def _percent(value):
    return (value * 100).quantize(Decimal("0.01")) if value is not None else None


def _labels() -> dict:
    """Every label a row may carry, translated now, in the reader's language."""
    labels = {f"status:{s.value}": str(s.label) for s in CheckInStatus}
    labels["status:"] = _("No check-in yet")
    labels.update({f"plan:{p.value}": str(p.label) for p in PlanStatus})
    labels.update({f"review:{s.value}": str(s.label) for s in ReviewState})
    labels.update({f"interview:{s.value}": str(s.label) for s in InterviewStatus})
    labels["interview:"] = _("Not scheduled")
    labels.update({f"metric:{m.value}": str(label) for m, label in METRIC_LABELS.items()})
    labels.update({"yes": _("Yes"), "no": _("No"), "goal": _("Department goal"),
                   "kpi": _("KPI")})
    return labels


def _review_state(status) -> str:
    return ReviewState.of_status(status).value


def _latest_statuses(cycle: Cycle):
    newest = (select(func.max(CheckIn.id)).join(Kpi, Kpi.id == CheckIn.kpi_id)
              .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
              .where(PersonalPlan.cycle_id == cycle.id).group_by(CheckIn.kpi_id))
    return select(CheckIn.kpi_id, CheckIn.status).where(CheckIn.id.in_(newest)).subquery()


def goals(cycle: Cycle, scope: Scope) -> Export:
    """The cycle's department goals, then its KPIs, with weights and progress."""
    header = [_("Level"), _("Department"), _("Person"), _("Employee number"), _("Title"),
              _("Aligned to"), _("Weight"), _("Metric"), _("Baseline"),
              pgettext("target value", "Target"), _("Actual"), _("Unit"), _("Progress (%)"),
              _("Plan status"),
              _("Latest status")]
    labels = _labels()
    goal_rows = partitioned(
        select(DepartmentGoal.title, Department.name, StrategyTarget.title,
               DepartmentGoal.weight, DepartmentGoal.metric_type, DepartmentGoal.baseline,
               DepartmentGoal.target_value, DepartmentGoal.actual_value, DepartmentGoal.unit,
               *progress.GOAL_PROGRESS_COLUMNS)
        .join(Department, Department.id == DepartmentGoal.department_id)
        .outerjoin(StrategyTarget, StrategyTarget.id == DepartmentGoal.target_id)
        .where(DepartmentGoal.cycle_id == cycle.id,
               in_scope(DepartmentGoal.department_id, scope)), DepartmentGoal.id)
    latest = _latest_statuses(cycle)
    kpi_rows = partitioned(
        select(Kpi.title, Person.display_name, Person.employee_number, Department.name,
               DepartmentGoal.title, Kpi.weight, Kpi.metric_type, Kpi.baseline,
               Kpi.target_value, Kpi.actual_value, Kpi.unit, PersonalPlan.status,
               latest.c.status)
        .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .join(Person, Person.id == PersonalPlan.person_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .outerjoin(DepartmentGoal, DepartmentGoal.id == Kpi.goal_id)
        .outerjoin(latest, latest.c.kpi_id == Kpi.id)
        .where(PersonalPlan.cycle_id == cycle.id, Kpi.counts,
               in_scope(Person.department_id, scope)), Kpi.id)

    def rows():
        for (title, department, target, weight, metric, baseline, target_value, actual, unit,
             *sums) in goal_rows:
            yield [labels["goal"], department, "", "", title, target or "", weight,
                   labels[f"metric:{metric}"],
                   baseline, target_value, actual, unit,
                   _percent(progress.stored_goal_progress(*sums)), "", ""]
        for (title, person, number, department, goal, weight, metric, baseline, target_value,
             actual, unit, plan_status, status) in kpi_rows:
            yield [labels["kpi"], department or "", person, number or "", title, goal or "",
                   weight, labels[f"metric:{metric}"], baseline, target_value, actual, unit,
                   _percent(progress.measure_progress(metric, baseline, target_value, actual)),
                   labels.get(f"plan:{plan_status}", ""), labels[f"status:{status or ''}"]]

    kinds = [None] * len(header)
    kinds[6] = kinds[12] = writers.PERCENT  # the weight and the progress
    return Export(f"goals-{cycle.id}", _("Goals and KPIs"), header, rows(), kinds)


def check_ins(cycle: Cycle, scope: Scope) -> Export:
    """Every check-in of the cycle, in the order they were posted."""
    zone = _reader_zone()
    header = [_("When (%(zone)s)", zone=zone.zone), _("Person"), _("Employee number"),
              _("Department"), _("KPI"), _("Actual"), _("Unit"), _("Status"), _("Confidence"),
              _("Late"), _("Note")]
    labels = _labels()
    found = partitioned(
        select(CheckIn.created_at, Person.display_name, Person.employee_number,
               Department.name, Kpi.title, CheckIn.actual_value, Kpi.unit, CheckIn.status,
               CheckIn.confidence, CheckIn.late, CheckIn.note)
        .join(Kpi, Kpi.id == CheckIn.kpi_id)
        .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .join(Person, Person.id == PersonalPlan.person_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(PersonalPlan.cycle_id == cycle.id, in_scope(Person.department_id, scope)),
        CheckIn.id)

    def rows():
        for (moment, person, number, department, kpi, actual, unit, status, confidence, late,
             note) in found:
            yield [moment, person, number or "", department or "", kpi, actual, unit,
                   labels[f"status:{status}"], confidence, labels["yes" if late else "no"],
                   note]

    return Export(f"check-ins-{cycle.id}", _("Check-ins"), header, rows(), zone=zone)


def review_completion(cycle: Cycle, scope: Scope) -> Export:
    """Per person in the cycle's reviews: where their self and manager reviews stand."""
    header = [_("Person"), _("Employee number"), _("Department"), _("Self-review"),
              _("Manager review"), _("Feedback interview")]
    labels = _labels()
    own, manager = aliased(Review), aliased(Review)
    found = partitioned(
        select(Person.display_name, Person.employee_number, Department.name, own.status,
               manager.status, Interview.status)
        .join(PersonalPlan, and_(PersonalPlan.person_id == Person.id,
                                 PersonalPlan.cycle_id == cycle.id))
        .outerjoin(Department, Department.id == Person.department_id)
        .outerjoin(own, and_(own.cycle_id == cycle.id, own.person_id == Person.id,
                             own.kind == ReviewKind.SELF.value))
        .outerjoin(manager, and_(manager.cycle_id == cycle.id, manager.person_id == Person.id,
                                 manager.kind == ReviewKind.MANAGER.value))
        .outerjoin(Interview, and_(Interview.cycle_id == cycle.id,
                                   Interview.person_id == Person.id))
        .where(Person.active.is_(True), in_scope(Person.department_id, scope)), Person.id)

    def rows():
        for person, number, department, own_status, manager_status, interview in found:
            yield [person, number or "", department or "",
                   labels[f"review:{_review_state(own_status)}"],
                   labels[f"review:{_review_state(manager_status)}"],
                   labels.get(f"interview:{interview}", labels["interview:"])]

    return Export(f"completion-{cycle.id}", _("Completion"), header, rows())


def results(cycle: Cycle, scope: Scope, viewer) -> Export:
    """The cycle's final results: scores, the computed and the final rating."""
    header = [_("Person"), _("Employee number"), _("Department"), _("Goal score"),
              _("Competency score"), _("Self score"), _("Final score"), _("Computed rating"),
              _("Final rating"), _("Calibrated"), _("Bonus multiplier"),
              _("Promotion nomination"), _("Training"), _("Improvement plan"),
              _("Outcome approved")]
    labels = _labels()
    where = [ReviewResult.cycle_id == cycle.id, ReviewResult.final_score.is_not(None),
             in_scope(Person.department_id, scope)]
    if not is_allowed(cycle, "see_own_results"):
        where.append(Person.id != viewer.id)  # one's own result waits for the interviews
    found = partitioned(
        select(Person.display_name, Person.employee_number, Department.name,
               ReviewResult.goal_score, ReviewResult.competency_score, ReviewResult.self_score,
               ReviewResult.final_score, ReviewResult.band, ReviewResult.calibrated_band,
               Outcome.bonus_multiplier, Outcome.promotion, Outcome.training,
               Outcome.improvement_plan, Outcome.approved_at)
        .join(Person, Person.id == ReviewResult.person_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .outerjoin(Outcome, and_(Outcome.cycle_id == ReviewResult.cycle_id,
                                 Outcome.person_id == ReviewResult.person_id))
        .where(*where), ReviewResult.id)

    def flag(value) -> str:
        return "" if value is None else labels["yes" if value else "no"]

    def rows():
        for (person, number, department, goal, competency, own, final, band, calibrated,
             multiplier, promotion, training, plan, approved) in found:
            yield [person, number or "", department or "", goal, competency, own, final,
                   band or "", calibrated or band or "", labels["yes" if calibrated else "no"],
                   multiplier, flag(promotion), flag(training), flag(plan),
                   "" if multiplier is None else flag(approved is not None)]

    return Export(f"results-{cycle.id}", _("Final results"), header, rows())
