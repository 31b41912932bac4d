"""Each role's dashboard, assembled from the figures (see figures.py for the rules).

- Executive: is strategy landing? Each target's progress and trend, the departments
  contributing, the goals at risk; the ratings beside the guidance; review completion.
- Head: who needs help? The team's KPI statuses and progress, overdue check-ins, open
  obstacles and requests, review completion, the team's ratings after calibration.
- HR: who is late? The cycle's progress by phase and department, the laggards, the audit
  log's latest entries.
- Staff: my KPIs with progress and status, what is due, my results across cycles.

Every function reads a fixed number of queries, whatever the size of the company.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import paging
from ... import permissions as can
from ...audit.readable import describe
from ...audit.services import search_events
from ...extensions import db
from ...models import (
    AuditEvent,
    Cycle,
    Department,
    Outcome,
    ReviewResult,
)
from ...permissions import is_allowed
from ...planning.services import progress
from ...reviews.services import scores
from . import figures, other_areas
from .common import Scope

LAGGARDS_SHOWN = 10


@dataclass
class Executive:
    cycle: Cycle
    months: list
    targets: list[figures.TargetFigure]
    at_risk: list[figures.GoalAtRisk]
    ratings: figures.Ratings
    completion: list
    statuses: dict
    interviews: dict  # department id -> other_areas.InterviewCounts


def executive(cycle: Cycle, scope: Scope, now: datetime) -> Executive:
    months = figures.months_of(cycle, now.date())
    found = figures.targets(cycle, scope)
    trends = figures.target_trends(cycle, [t.target.id for t in found], scope, months)
    for figure in found:
        figure.trend = trends.get(figure.target.id, [])
    kept = figures.department_figures(cycle, now)
    names = department_names(kept)
    return Executive(cycle, months, found, figures.goals_at_risk(cycle, scope, kept=kept),
                     figures.ratings(cycle, scope, str(_l("The departments chosen")),
                                     kept=kept, names=names),
                     figures.review_completion(cycle, scope, kept=kept, names=names),
                     figures.status_by_department(cycle, scope, kept=kept),
                     other_areas.interviews_by_department(cycle, scope))


@dataclass
class Team:
    cycle: Cycle
    statuses: dict  # department id -> Counter of latest statuses
    names: dict  # department id -> name
    overdue: dict  # department id -> overdue check-ins
    people: paging.Window  # a page of the people of the scope (not counted)
    people_figures: dict
    obstacles: figures.OpenItems
    requests: figures.OpenItems
    completion: list
    ratings: figures.Ratings
    feedback: list  # feedback.services.completion's rows for the scope


def team(cycle: Cycle, scope: Scope, now: datetime, page_number: int, per_page: int,
         viewer=None) -> Team:
    kept = figures.department_figures(cycle, now)
    names = department_names(kept)
    page = figures.team_people(cycle, scope, page_number, per_page, kept=kept, names=names)
    statuses = figures.status_by_department(cycle, scope, kept=kept)
    return Team(cycle, statuses, names,
                figures.overdue_check_ins(cycle, scope, now, kept=kept), page,
                figures.people_figures(cycle, [p.id for p in page.items], now),
                figures.obstacles(cycle, scope, now, kept),
                figures.requests(cycle, scope, now, kept),
                figures.review_completion(cycle, scope, kept=kept, names=names),
                figures.ratings(cycle, scope, str(_l("My departments")), kept=kept,
                                names=names),
                other_areas.feedback_by_department(cycle, scope, viewer, kept, names))


@dataclass
class Laggards:
    kind: str  # plans / check_ins / reviews / none
    total: int = 0
    rows: list = field(default_factory=list)


def department_names(kept) -> dict[int, str]:
    """The names of the departments with kept figures, in order of name (one statement)."""
    return dict(db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_(sorted(d for d in kept if d is not None) or [0]))
        .order_by(Department.name, Department.id)).tuples().all())


def laggards(cycle: Cycle, scope: Scope, now: datetime, kept=None) -> Laggards:
    """Who is late in the cycle's current phase: plans not approved in planning, overdue
    check-ins while the cycle takes them (before review), reviews not submitted after."""
    if is_allowed(cycle, "edit_plans"):
        total, plans = figures.plans_not_approved(cycle, scope, LAGGARDS_SHOWN)
        return Laggards("plans", total, plans)
    if any(is_allowed(cycle, action) for action in ("write_reviews", "calibrate",
                                                     "hold_interviews")):
        total, rows = figures.reviews_late(cycle, scope, LAGGARDS_SHOWN)
        return Laggards("reviews", total, rows)
    if is_allowed(cycle, "check_in"):
        total, rows = figures.people_overdue(cycle, scope, now, LAGGARDS_SHOWN, kept=kept)
        return Laggards("check_ins", total, rows)
    return Laggards("none")


@dataclass
class Hr:
    cycle: Cycle
    cycles: list[Cycle]
    progress: list[figures.DepartmentProgress]
    laggards: Laggards
    events: list
    appeals: tuple  # (how many open, the oldest few)


def hr(cycle: Cycle, cycles: list[Cycle], scope: Scope, now: datetime, viewer) -> Hr:
    events = describe(db.session.scalars(search_events(reader=viewer).limit(10)
                                         .options(joinedload(AuditEvent.actor))))
    kept = figures.department_figures(cycle, now)
    return Hr(cycle, cycles, figures.phase_progress(cycle, scope, kept=kept),
              laggards(cycle, scope, now, kept), events, other_areas.open_appeals(cycle, scope))


@dataclass
class KpiLine:
    kpi: object
    progress: object  # 0..1
    latest: object  # CheckIn or None


@dataclass
class Mine:
    cycle: Cycle | None
    kpis: list[KpiLine]
    todos: list
    history: list  # (cycle, ReviewResult) the person may see, oldest first
    outcomes: dict  # cycle id -> Outcome (the interviews area's), when there is one


def mine(cycle: Cycle | None, person, now: datetime) -> Mine:
    from ...coaching.services import kept_todos

    lines = []
    if cycle is not None:
        kpis = scores.counting_kpis(scores.plan_of(cycle, person))
        latest = progress.latest_checkins([k.id for k in kpis])
        lines = [KpiLine(k, progress.of(k), latest.get(k.id)) for k in kpis]
    results = db.session.scalars(
        select(ReviewResult).join(Cycle, Cycle.id == ReviewResult.cycle_id)
        .where(ReviewResult.person_id == person.id, ReviewResult.final_score.is_not(None))
        .options(joinedload(ReviewResult.cycle))
        .order_by(Cycle.start_date, Cycle.id)).all()
    history = [(r.cycle, r) for r in results if can.can_view_results(person, r)]
    outcomes = {o.cycle_id: o for o in db.session.scalars(select(Outcome).where(
        Outcome.person_id == person.id,
        Outcome.cycle_id.in_([c.id for c, _r in history] or [0])))}
    return Mine(cycle, lines, kept_todos.todos_and_keep(person, now), history, outcomes)
