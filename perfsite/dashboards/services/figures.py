"""The sums the dashboards draw: each read with GROUP BY in the database, in a fixed number of
queries whatever the number of people, departments or KPIs.

Rules (the figures are the services' own, so a dashboard never disagrees with a page):
- A target's progress is planning's (progress.target_progress: goals weighted by weight,
  from each goal's stored KPI sums); a department's contribution to it is the same weighting
  over that department's goals aligned to it.
- A target's trend is, month by month, the weighted progress its KPIs' check-ins reported
  in that month: Σ(KPI weight × progress of the check-in's value) / Σ KPI weights, over the
  check-ins of that month (a month without check-ins has no point), read from the points
  kept per target, department and month (dashboards.services.trends).
- A KPI's status is that of its latest check-in; "no check-in" when it has none. Each KPI
  keeps its latest check-in's status and time (Kpi.last_check_in_status and
  last_check_in_at, written by the check-in), so no figure here looks for them among the
  check-ins.
- A check-in is overdue, while the cycle takes check-ins, on a KPI of an approved plan whose
  latest check-in is older than the cycle's check-in interval (or that has none): the rule
  of the to-do list (coaching.services.todos).
- Review completion and the rating distribution are the reviews services' figures
  (completion.by_department, calibration.distributions), narrowed to the scope.
- The head's dashboard stays flat with the size of the company (issue 21): its grid pages
  by department name, person name and id, placed by the kept per-department counts and
  read a page at a time (team_people, no COUNT); the open obstacles and requests (counts,
  overdue, the oldest few) and the 360 requests are summed from the kept rows
  (kept_figures), never counted over the scope on a request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import contains_eager, joinedload

from ...extensions import db
from ...models import (
    CheckInStatus,
    Cycle,
    Department,
    DepartmentGoal,
    Kpi,
    Obstacle,
    Person,
    PersonalPlan,
    ResourceRequest,
    StrategyTarget,
    TargetTrendPoint,
    utcnow,
)
from ...permissions import is_allowed
from ...planning.services import progress
from ...reviews.services import calibration, completion
from ...reviews.services import settings as settings_service
from . import kept_figures
from .common import Scope, in_scope

NO_CHECK_IN = kept_figures.NO_CHECK_IN
STATUSES = [s.value for s in CheckInStatus] + [NO_CHECK_IN]
ONE_PLACE = Decimal("0.1")


def percent(value) -> Decimal | None:
    """A progress (0..1) as a percentage with one decimal, half up; None stays None."""
    if value is None:
        return None
    return (Decimal(str(value)) * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# Targets: progress, the departments contributing, the trend ---------------------------------

@dataclass
class Contribution:
    department_id: int
    name: str
    goals: int
    progress: Decimal | None


@dataclass
class TargetFigure:
    target: StrategyTarget
    progress: Decimal | None  # 0..1, the whole company's (planning's figure)
    contributions: list[Contribution] = field(default_factory=list)
    trend: list[Decimal | None] = field(default_factory=list)  # percent per month


def shown_targets(cycle: Cycle) -> list[StrategyTarget]:
    return list(db.session.scalars(
        select(StrategyTarget)
        .where(StrategyTarget.cycle_id == cycle.id,
               ~StrategyTarget.is_draft)
        .order_by(StrategyTarget.is_retired, StrategyTarget.title)))


def targets(cycle: Cycle, scope: Scope) -> list[TargetFigure]:
    """The cycle's published targets with their progress and, per department in the scope,
    its goals aligned to each and their weighted progress (one row per goal)."""
    found = shown_targets(cycle)
    values = progress.target_progress([t.id for t in found])
    figures = {t.id: TargetFigure(t, values.get(t.id)) for t in found}
    pairs: dict[tuple[int, int], list] = {}
    names: dict[int, str] = {}
    for target_id, department_id, name, weight, *goal_values in db.session.execute(
            select(DepartmentGoal.target_id, DepartmentGoal.department_id, Department.name,
                   DepartmentGoal.weight, *progress.GOAL_PROGRESS_COLUMNS)
            .join(Department, Department.id == DepartmentGoal.department_id)
            .where(DepartmentGoal.cycle_id == cycle.id,
                   DepartmentGoal.target_id.in_(list(figures) or [0]),
                   in_scope(DepartmentGoal.department_id, scope))):
        names[department_id] = name
        pairs.setdefault((target_id, department_id), []).append(
            (weight, progress.stored_goal_progress(*goal_values)))
    for (target_id, department_id), items in pairs.items():
        figures[target_id].contributions.append(Contribution(
            department_id, names[department_id], len(items), progress.weighted(items)))
    for figure in figures.values():
        figure.contributions.sort(key=lambda c: c.name)
    return list(figures.values())


def months_of(cycle: Cycle, today: date) -> list[date]:
    """The first day of each month from the cycle's start to its end (or today, if sooner)."""
    last = min(cycle.end_date, max(today, cycle.start_date))
    months, current = [], date(cycle.start_date.year, cycle.start_date.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def target_trends(cycle: Cycle, target_ids, scope: Scope, months: list[date]
                  ) -> dict[int, list[Decimal | None]]:
    """Per target, per month: the weighted progress its KPIs' check-ins reported (percent),
    from the kept trend points (dashboards.services.trends), never the check-ins."""
    target_ids = list(target_ids)
    if not target_ids or not months:
        return {}
    index = {month: i for i, month in enumerate(months)}
    rows = db.session.execute(
        select(TargetTrendPoint.target_id, TargetTrendPoint.month,
               func.sum(TargetTrendPoint.weighted_sum), func.sum(TargetTrendPoint.weight_sum))
        .where(TargetTrendPoint.target_id.in_(target_ids),
               TargetTrendPoint.month.between(months[0], months[-1]),
               in_scope(TargetTrendPoint.department_id, scope))
        .group_by(TargetTrendPoint.target_id, TargetTrendPoint.month)).all()
    trends = {t: [None] * len(months) for t in target_ids}
    for target_id, month, weighted_sum, weight_sum in rows:
        if month not in index or not weight_sum:
            continue
        trends[target_id][index[month]] = percent(Decimal(str(weighted_sum))
                                                  / Decimal(str(weight_sum)))
    return trends


# Statuses: the latest check-in of each KPI (kept on the KPI) ---------------------------------

LATEST_STATUS = func.coalesce(Kpi.last_check_in_status, NO_CHECK_IN)


def department_figures(cycle: Cycle, now: datetime | None = None, kept=None
                       ) -> dict[int | None, kept_figures.Figures]:
    """Every department's kept figures in the cycle (one statement when they are fresh):
    what the dashboards below sum, narrowed to a scope in Python."""
    if kept is not None:
        return kept
    return kept_figures.read(cycle, Scope(None, None), now or utcnow())


def status_by_department(cycle: Cycle, scope: Scope, now: datetime | None = None, kept=None
                         ) -> dict[int | None, Counter]:
    """Per department: how many (counting) KPIs stand at each latest status (kept)."""
    return {d: f.statuses for d, f in department_figures(cycle, now, kept).items()
            if scope.allows(d) and f.kpis}


@dataclass
class GoalAtRisk:
    goal: DepartmentGoal
    department: str
    at_risk: int
    off_track: int
    progress: Decimal


def goals_at_risk(cycle: Cycle, scope: Scope, limit: int = 8, now: datetime | None = None,
                  kept=None) -> list[GoalAtRisk]:
    """The goals with the most KPIs off track or at risk (by their latest check-in), from
    the kept rows: each department keeps its first few, so the scope's first `limit` are
    among them."""
    ranked = sorted((tuple(g) for d, f in department_figures(cycle, now, kept).items()
                     if scope.allows(d) for g in f.goals_at_risk),
                    key=lambda g: (-g[2], -g[1], g[0]))[:limit]
    goals = {g.id: g for g in db.session.scalars(
        select(DepartmentGoal).where(DepartmentGoal.id.in_([g for g, _a, _o in ranked] or [0])))}
    names = dict(db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_({g.department_id for g in goals.values()} or {0}))).tuples().all())
    return [GoalAtRisk(goals[g], names.get(goals[g].department_id, ""), at_risk, off_track,
                       progress.goal_of(goals[g]))
            for g, at_risk, off_track in ranked if g in goals]


def takes_check_ins(cycle: Cycle) -> bool:
    return is_allowed(cycle, "check_in")


def _overdue_query(cycle: Cycle, scope: Scope, now: datetime, by, person_ids=None):
    """(by, KPIs whose check-in is overdue) grouped by `by`; see overdue_check_ins."""
    narrow = [] if person_ids is None else [PersonalPlan.person_id.in_(list(person_ids) or [0])]
    cutoff = now - timedelta(days=cycle.checkin_interval_days)
    overdue = func.count(Kpi.id).label("overdue")
    return (select(by, overdue)
            .select_from(Kpi)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle.id, Kpi.counts, Person.active.is_(True),
                   PersonalPlan.is_approved,
                   or_(Kpi.last_check_in_at.is_(None), Kpi.last_check_in_at <= cutoff),
                   in_scope(Person.department_id, scope), *narrow)
            .group_by(by)), overdue


def overdue_check_ins(cycle: Cycle, scope: Scope, now: datetime, by=Person.department_id,
                      person_ids=None, kept=None) -> dict[int | None, int]:
    """Per department (kept), or per `by` for `person_ids` (a page of people, counted): KPIs
    whose check-in is overdue (see the rules), of everyone in the scope."""
    if not takes_check_ins(cycle):
        return {}
    if person_ids is None and by is Person.department_id:
        return {d: f.overdue for d, f in department_figures(cycle, now, kept).items()
                if scope.allows(d) and f.overdue}
    query, _overdue = _overdue_query(cycle, scope, now, by, person_ids)
    return dict(db.session.execute(query).tuples().all())


# People: a team's grid ----------------------------------------------------------------------

@dataclass
class PersonFigure:
    kpis: int = 0
    progress: Decimal | None = None  # 0..1, their KPIs weighted by weight
    statuses: Counter = field(default_factory=Counter)
    overdue: int = 0

    @property
    def worst(self) -> str:
        for status in (CheckInStatus.OFF_TRACK.value, CheckInStatus.AT_RISK.value,
                       CheckInStatus.ON_TRACK.value):
            if self.statuses[status]:
                return status
        return NO_CHECK_IN


def team_people(cycle: Cycle, scope: Scope, page: int, per_page: int, now: datetime | None = None,
                kept=None, names=None):
    """A page of the people with a plan in the scope (active), by department name, name and
    id (the people without a department last), previous / next only (paging.Window).

    The kept figures say how many people with a plan each department has (`people`, the
    same rows), so the page's place is found department by department in Python and the
    database reads only the page's rows: per department the page reaches, its slice
    (OFFSET / LIMIT within the department, by the index on department, name and id), in one
    statement; never a sort or count of everyone in the scope (issue 21)."""
    from ... import paging

    found = {d: f.people for d, f in department_figures(cycle, now, kept).items()
             if scope.allows(d) and f.people}
    names = _names(found) if names is None else names
    # `names` comes ordered by name as the database collates (department_names, _names);
    # departments of one name page as one, by person.
    groups: list[tuple[str | None, list, int]] = []
    for department_id in [*(d for d in names if d in found), *([None] if None in found else [])]:
        name = names.get(department_id) if department_id is not None else None
        if groups and department_id is not None and groups[-1][0] == name:
            groups[-1][1].append(department_id)
            groups[-1] = (name, groups[-1][1], groups[-1][2] + found[department_id])
        else:
            groups.append((name, [department_id], found[department_id]))
    page = min(max(page, 1), paging.MAX_PAGE)
    start, end = (page - 1) * per_page, page * per_page
    parts, before = [], 0
    for rank, (_name, ids, count) in enumerate(groups):
        first, last = max(start, before), min(end, before + count)
        if first < last:
            present = [i for i in ids if i is not None]
            where = [_narrow_ids(Person.department_id, present, None in ids)]
            inner = (select(Person.id, literal(rank).label("rank"))
                     .join(PersonalPlan, PersonalPlan.person_id == Person.id)
                     .where(PersonalPlan.cycle_id == cycle.id, Person.active.is_(True), *where)
                     .order_by(Person.display_name, Person.id)
                     .offset(first - before).limit(last - first)).subquery()
            parts.append(select(inner.c.id, inner.c.rank))
        before += count
    people = []
    if parts:
        window = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        people = list(db.session.scalars(
            select(Person).join(window, window.c.id == Person.id)
            .options(joinedload(Person.department))
            .order_by(window.c.rank, Person.display_name, Person.id)))
    return paging.Window(items=people, page=page, per_page=per_page, has_next=end < before)


def _narrow_ids(column, ids, none: bool):
    """SQL: `column` among `ids`, or NULL when `none`."""
    clauses = ([column == ids[0]] if len(ids) == 1 else [column.in_(ids)]) if ids else []
    if none:
        clauses.append(column.is_(None))
    return or_(*clauses)


def people_figures(cycle: Cycle, person_ids, now: datetime) -> dict[int, PersonFigure]:
    """For these people (a page of a team): their KPIs' weighted progress, the latest
    statuses and the overdue check-ins, summed per person (three queries)."""
    person_ids = list(person_ids)
    figures = {pid: PersonFigure() for pid in person_ids}
    if not person_ids:
        return figures
    for person_id, count, weight_sum, weighted_sum in db.session.execute(
            select(PersonalPlan.person_id, func.count(Kpi.id), func.sum(Kpi.weight),
                   func.sum(Kpi.weight * progress.progress_sql(Kpi)))
            .join(Kpi, Kpi.plan_id == PersonalPlan.id)
            .where(PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id.in_(person_ids),
                   Kpi.counts)
            .group_by(PersonalPlan.person_id)):
        figure = figures[person_id]
        figure.kpis = count
        if weight_sum:
            figure.progress = (Decimal(str(weighted_sum)) / Decimal(str(weight_sum))).quantize(
                progress.PLACES, rounding=ROUND_HALF_UP)
    for person_id, value, count in db.session.execute(
            select(PersonalPlan.person_id, LATEST_STATUS, func.count(Kpi.id))
            .join(Kpi, Kpi.plan_id == PersonalPlan.id)
            .where(PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id.in_(person_ids),
                   Kpi.counts)
            .group_by(PersonalPlan.person_id, LATEST_STATUS)):
        figures[person_id].statuses[value] = count
    for person_id, count in overdue_check_ins(cycle, Scope(None, None), now,
                                              by=PersonalPlan.person_id,
                                              person_ids=person_ids).items():
        figures[person_id].overdue = count
    return figures


# Obstacles and resource requests -------------------------------------------------------------

@dataclass
class OpenItems:
    counts: Counter  # status -> how many
    overdue: int
    oldest: list

    @property
    def open(self) -> int:
        return sum(self.counts.values())


def open_items(model, cycle: Cycle, scope: Scope, now: datetime, limit: int = 5,
               kept=None) -> OpenItems:
    """Open obstacles or requests raised by people in the scope: counts by status, how many
    are overdue, and the oldest few, from the kept rows (kept_figures: each department
    keeps its oldest few, so the scope's oldest `limit` are among them); one statement
    reads those few."""
    name = {Obstacle: "open_obstacles", ResourceRequest: "open_requests"}[model]
    counts: Counter = Counter()
    overdue, oldest = 0, []
    for department_id, found in department_figures(cycle, now, kept).items():
        items = getattr(found, name)
        if not items or not scope.allows(department_id):
            continue
        counts.update(items["counts"])
        overdue += items["overdue"]
        oldest.extend(tuple(item) for item in items["oldest"])
    ids = [item_id for _at, item_id in sorted(oldest)[:limit]]
    shown = list(db.session.scalars(
        select(model).where(model.id.in_(ids or [0]))
        .options(joinedload(model.raised_by), joinedload(model.kpi))
        .order_by(model.created_at, model.id))) if ids else []
    return OpenItems(+counts, overdue, shown)


def obstacles(cycle, scope, now, kept=None) -> OpenItems:
    return open_items(Obstacle, cycle, scope, now, kept=kept)


def requests(cycle, scope, now, kept=None) -> OpenItems:
    return open_items(ResourceRequest, cycle, scope, now, kept=kept)


# Reviews: completion and ratings ---------------------------------------------------------------

def _names(department_ids) -> dict[int, str]:
    """The departments' names, in order of name (then id)."""
    return dict(db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_(sorted(d for d in department_ids if d is not None) or [0]))
        .order_by(Department.name, Department.id)).tuples().all())


def _by_name(rows, name=lambda r: r.name):
    """Rows by department name, the people without a department last."""
    return sorted(rows, key=lambda r: (r.department_id is None, name(r)))


def review_completion(cycle: Cycle, scope: Scope, now: datetime | None = None, kept=None,
                      names=None) -> list[completion.DepartmentRow]:
    """completion.by_department's figures (people with a plan, self and manager reviews
    submitted), from the kept rows, narrowed to the scope."""
    found = {d: f for d, f in department_figures(cycle, now, kept).items()
             if scope.allows(d) and f.people}
    names = _names(found) if names is None else names
    return _by_name([completion.DepartmentRow(
        d, names.get(d) or str(_l("No department")), f.people, f.self_done, f.manager_done)
        for d, f in found.items()])


def completion_totals(rows) -> tuple[int, int, int]:
    """(people, self-reviews submitted, manager reviews submitted) over the rows."""
    return (sum(r.people for r in rows), sum(r.self_done for r in rows),
            sum(r.manager_done for r in rows))


@dataclass
class Ratings:
    bands: list
    company: calibration.Distribution
    scope: calibration.Distribution | None  # the scope's, summed (None: the company)
    departments: list[calibration.Distribution]


def ratings(cycle: Cycle, scope: Scope, scope_name: str, now: datetime | None = None,
            kept=None, names=None) -> Ratings:
    """The company's distribution of final ratings and the scope's (calibration's figures,
    from the kept rows)."""
    found = {d: f.ratings for d, f in department_figures(cycle, now, kept).items()
             if f.ratings}
    bands = settings_service.bands_of(settings_service.settings_for(cycle))
    company: Counter = Counter()
    for counts in found.values():
        company.update(counts)
    names = _names(found) if names is None else names
    departments = _by_name([calibration.Distribution(
        names.get(d) or str(_l("No department")), dict(counts), d)
        for d, counts in found.items() if scope.allows(d)],
        name=lambda r: r.name)
    summed = None
    if scope.ids is not None:
        counts: Counter = Counter()
        for distribution in departments:
            counts.update(distribution.counts)
        summed = calibration.Distribution(scope_name, dict(counts))
    return Ratings(bands, calibration.Distribution(str(_l("Company")), dict(company)),
                   summed, departments)


# HR: the cycle's progress by phase and department --------------------------------------------

@dataclass
class DepartmentProgress:
    department_id: int | None
    name: str
    people: int = 0
    plans_approved: int = 0
    kpis: int = 0
    kpis_checked_in: int = 0
    self_done: int = 0
    manager_done: int = 0


def phase_progress(cycle: Cycle, scope: Scope, now: datetime | None = None, kept=None,
                   names=None) -> list[DepartmentProgress]:
    """Per department: people with a plan, plans approved, KPIs with a check-in, self and
    manager reviews submitted (the kept rows)."""
    found = {d: f for d, f in department_figures(cycle, now, kept).items()
             if scope.allows(d) and (f.people or f.kpis)}
    names = _names(found) if names is None else names
    return sorted((DepartmentProgress(d, names.get(d) or "—", f.people, f.plans_approved,
                                      f.kpis, f.kpis_checked_in, f.self_done, f.manager_done)
                   for d, f in found.items()), key=lambda r: r.name)


SHOWN_DEPARTMENTS = 8  # departments a chart shows before "show all" (issue 21: bytes)


def least_first(rows, value, limit: int | None = SHOWN_DEPARTMENTS) -> list:
    """The `limit` rows whose `value` is smallest (None first: nothing to show yet), in
    their own order; every row when `limit` is None or there are no more."""
    rows = list(rows)
    if limit is None or len(rows) <= limit:
        return rows

    def rank(i):
        found = value(rows[i])
        return (found is not None, found if found is not None else 0, i)

    kept = set(sorted(range(len(rows)), key=rank)[:limit])
    return [row for i, row in enumerate(rows) if i in kept]


def done_share(row) -> Decimal | None:
    """Self and manager reviews submitted, of the two each person has (a completion row)."""
    return share(row.self_done + row.manager_done, 2 * row.people)


def share(done: int, total: int) -> Decimal | None:
    """`done` of `total` as a percentage (one decimal); None when there is nothing to do."""
    return calibration.share(done, total) if total else None


@dataclass
class Laggard:
    person: Person
    what: str


def plans_not_approved(cycle: Cycle, scope: Scope, limit: int):
    """People whose plan in the cycle is not approved yet (and how many)."""
    where = [PersonalPlan.cycle_id == cycle.id, Person.active.is_(True),
             ~PersonalPlan.is_approved,
             in_scope(Person.department_id, scope)]
    total = db.session.scalar(select(func.count(PersonalPlan.id))
                              .join(Person, Person.id == PersonalPlan.person_id).where(*where))
    plans = db.session.scalars(
        select(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id).where(*where)
        .options(contains_eager(PersonalPlan.person).joinedload(Person.department))
        .order_by(PersonalPlan.status, Person.display_name).limit(limit)).all()
    return total or 0, plans


def people_overdue(cycle: Cycle, scope: Scope, now: datetime, limit: int, kept=None):
    """People with the most overdue check-ins (and how many people have any), from the kept
    rows: each department keeps its people with the most, so the company's first `limit`
    are among them, and a page reads `limit` people, not everyone late."""
    if not takes_check_ins(cycle):
        return 0, []
    found = [f for d, f in department_figures(cycle, now, kept).items() if scope.allows(d)]
    total = sum(f.people_overdue for f in found)
    top = sorted(((count, pid) for f in found for count, pid in f.late_people),
                 key=lambda p: (-p[0], p[1]))[:limit]
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_([pid for _n, pid in top] or [0]))
        .options(joinedload(Person.department)))}
    return total, [(people[pid], count) for count, pid in top if pid in people]


def reviews_late(cycle: Cycle, scope: Scope, limit: int):
    """People in the cycle's reviews with a review not submitted (and how many)."""
    stmt = completion.people_query(cycle, late_only=True).where(
        in_scope(Person.department_id, scope))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    people = list(db.session.scalars(stmt.limit(limit)).unique())
    return total or 0, completion.rows_of(cycle, people)
