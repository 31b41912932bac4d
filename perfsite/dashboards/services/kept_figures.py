"""Each department's summary figures per cycle, kept (models.DepartmentFigure), so that the
company, head and HR dashboards read one row per department instead of counting the cycle's
KPIs, plans and reviews on every request (issue 21).

Rule: a kept row equals what `compute` (the full count, grouped by department: the oracle
the tests hold the rows to, and `flask rebuild-figures`) finds for its department now,
whenever the row is read as fresh. The figures and their rules are the dashboards' (see
figures.py): people with a plan, plans approved, counting KPIs, KPIs with a check-in and at
each latest status, overdue check-ins (and the people with the most), submitted self and
manager reviews, final ratings by band, and the open obstacles and resource requests raised
by the department's people (how many at each status, how many overdue, the oldest few),
and the 360 feedback requests on the department's people by status (counts only, never
who wrote what: feedback.services.completion draws its rows from them).

How the rows stay equal to the count:

- Written in the same transaction as the change that moves them. After each flush the
  records that change a figure (a plan, a KPI, a check-in, a review, a result, a person's
  department or activity) note which (cycle, department) they reach; before the commit
  just those departments are counted afresh (the cost of one department, whatever the size
  of the company) and their rows written. A person who moves reaches both departments.
- A change whose reach is the whole company (a cycle changed: its phase or its check-in
  interval; the org chart imported in bulk; more than `MANY` departments at once) marks
  the cycle's rows stale (`touch_everything`, one UPDATE): the next read counts the cycle
  afresh and keeps the answer.
- Which departments a cycle has is itself kept: the row of department -1 says "every
  department of this cycle was counted". A cycle without it (never read, or stale) is
  counted whole by the next read; a cycle nobody has read costs its writers nothing.
- Time alone moves two figures: an open obstacle or request becomes overdue once the
  cycle's `overdue_after_days` have passed since it was raised, which expires the row in
  the same way (its created_at + the days, the smallest still in the future).
- Time alone moves one more: a check-in falls due when the cycle's interval has passed
  since the KPI's latest one. So the overdue count is kept as of `counted_at`, with
  `expires_at`, the first moment after it when one more KPI of the department falls due
  (its latest check-in + the interval, the smallest still in the future, found in the same
  grouped count). A read at `now` uses the kept count while counted_at <= now < expires_at
  and counts the department afresh otherwise: between two due moments nothing can change
  it, and every write that could is noted above.
- Keeping is only a saving: when a read cannot write (SQLite allows one writer), the
  fresh count is still shown and kept by a later read.

The dashboards then read a fixed number of statements and one row per department in their
scope, whatever the number of people or KPIs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, event, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import (
    CheckIn,
    CheckInStatus,
    Cycle,
    DepartmentFigure,
    DepartmentGoal,
    FeedbackRequest,
    Kpi,
    Obstacle,
    Person,
    PersonalPlan,
    ResourceRequest,
    Review,
    ReviewKind,
    ReviewResult,
    utcnow,
)
from .common import Scope

NO_CHECK_IN = "none"  # a KPI's status before its first check-in
NO_DEPARTMENT = 0  # the key of the people without a department
WHOLE_CYCLE = -1  # the key of the row saying every department of the cycle was counted
LATE_KEPT = 10  # the people with the most overdue check-ins kept per department
GOALS_KEPT = 8  # the goals with the most KPIs off track or at risk kept per department
MANY = 20  # more departments than this in one transaction: the cycle is counted when read
OLDEST_KEPT = 5  # the oldest open obstacles / requests kept per department
OPEN_ITEMS = {"open_obstacles": Obstacle, "open_requests": ResourceRequest}

STATUS_FIELDS = {CheckInStatus.ON_TRACK.value: "on_track",
                 CheckInStatus.AT_RISK.value: "at_risk",
                 CheckInStatus.OFF_TRACK.value: "off_track"}
RISK_PLACES = {CheckInStatus.AT_RISK.value: 1, CheckInStatus.OFF_TRACK.value: 2}

FIGURES = ("people", "plans_approved", "kpis", "kpis_checked_in", "on_track", "at_risk",
           "off_track", "overdue", "people_overdue", "late_people", "self_done",
           "manager_done", "ratings", "goals_at_risk", "open_obstacles", "open_requests",
           "feedback")


@dataclass
class Figures:
    """One department's figures in a cycle (a kept row, or counted afresh)."""

    department_id: int | None
    people: int = 0
    plans_approved: int = 0
    kpis: int = 0
    kpis_checked_in: int = 0
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    overdue: int = 0
    people_overdue: int = 0
    late_people: list = field(default_factory=list)  # [[overdue, person id], ...]
    self_done: int = 0
    manager_done: int = 0
    ratings: dict = field(default_factory=dict)
    goals_at_risk: list = field(default_factory=list)  # [[goal id, at risk, off track]]
    # open obstacles / requests raised by the department's people: {"counts": {status: n},
    # "overdue": n, "oldest": [[raised at (ISO), id], ...]} ({} when there are none)
    open_obstacles: dict = field(default_factory=dict)
    open_requests: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)  # 360 requests on its people: status -> n
    expires_at: datetime | None = None

    @property
    def statuses(self) -> Counter:
        """How many counting KPIs stand at each latest status ("none": no check-in)."""
        found = Counter({CheckInStatus.ON_TRACK.value: self.on_track,
                         CheckInStatus.AT_RISK.value: self.at_risk,
                         CheckInStatus.OFF_TRACK.value: self.off_track,
                         NO_CHECK_IN: self.kpis - self.kpis_checked_in})
        return +found

    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIGURES}

    @property
    def empty(self) -> bool:
        return not (self.people or self.kpis or self.ratings or self.self_done
                    or self.manager_done or self.goals_at_risk or self.open_obstacles
                    or self.open_requests or self.feedback)

    def expire_at(self, moment: datetime) -> None:
        """The row is counted afresh from `moment` on (when it is sooner than the last)."""
        if self.expires_at is None or moment < self.expires_at:
            self.expires_at = moment


def key_of(department_id: int | None) -> int:
    return NO_DEPARTMENT if department_id is None else department_id


def _department_of(key: int) -> int | None:
    return None if key == NO_DEPARTMENT else key


def _narrow(column, keys):
    """SQL: a person's department among `keys` (0: no department)."""
    ids = sorted(k for k in keys if k != NO_DEPARTMENT)
    clauses = [column.in_(ids)] if ids else []
    if NO_DEPARTMENT in keys:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else column.in_([0])


# The count (the oracle) ------------------------------------------------------------------------

def compute(cycle: Cycle, now: datetime, keys=None) -> dict[int, Figures]:
    """Count the figures of the cycle's departments (of `keys` only, if given) from the
    plans, KPIs, reviews and results: five grouped statements."""
    from ...reviews.services.calibration import _final_band

    found: dict[int, Figures] = {}

    def row(department_id) -> Figures:
        key = key_of(department_id)
        return found.setdefault(key, Figures(_department_of(key)))

    where_people = [Person.active.is_(True)]
    if keys is not None:
        keys = set(keys)
        if not keys:
            return {}
        where_people.append(_narrow(Person.department_id, keys))
    approved = PersonalPlan.is_approved

    for department_id, people, done in db.session.execute(
            select(Person.department_id, func.count(PersonalPlan.id),
                   func.sum(case((approved, 1), else_=0)))
            .join(PersonalPlan, PersonalPlan.person_id == Person.id)
            .where(PersonalPlan.cycle_id == cycle.id, *where_people)
            .group_by(Person.department_id)):
        entry = row(department_id)
        entry.people, entry.plans_approved = people, int(done or 0)

    cutoff = now - timedelta(days=cycle.checkin_interval_days)
    due = and_(approved, or_(Kpi.last_check_in_at.is_(None), Kpi.last_check_in_at <= cutoff))

    for (department_id, value, kpis, checked_in, overdue, next_due) in db.session.execute(
            select(Person.department_id, Kpi.last_check_in_status, func.count(Kpi.id),
                   func.count(Kpi.last_check_in_at), func.sum(case((due, 1), else_=0)),
                   func.min(case((and_(approved, Kpi.last_check_in_at > cutoff),
                                  Kpi.last_check_in_at))))
            .select_from(Kpi)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle.id, Kpi.counts, *where_people)
            .group_by(Person.department_id, Kpi.last_check_in_status)):
        entry = row(department_id)
        entry.kpis += kpis
        entry.kpis_checked_in += checked_in
        if value in STATUS_FIELDS:
            setattr(entry, STATUS_FIELDS[value],
                    getattr(entry, STATUS_FIELDS[value]) + kpis)
        entry.overdue += int(overdue or 0)
        if next_due is not None:
            entry.expire_at(_as_moment(next_due) + timedelta(days=cycle.checkin_interval_days))

    late: dict[int, list] = defaultdict(list)
    for department_id, person_id, overdue in db.session.execute(
            select(Person.department_id, PersonalPlan.person_id, func.count(Kpi.id))
            .select_from(Kpi)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle.id, Kpi.counts, due, *where_people)
            .group_by(Person.department_id, PersonalPlan.person_id)):
        late[key_of(department_id)].append([overdue, person_id])
    for key, people in late.items():
        entry = row(_department_of(key))
        entry.people_overdue = len(people)
        people.sort(key=lambda p: (-p[0], p[1]))
        entry.late_people = people[:LATE_KEPT]

    kinds = {ReviewKind.SELF.value: "self_done", ReviewKind.MANAGER.value: "manager_done"}
    for department_id, kind, submitted in db.session.execute(
            select(Person.department_id, Review.kind, func.count(Review.id))
            .join(PersonalPlan, PersonalPlan.person_id == Person.id)
            .join(Review, and_(Review.person_id == Person.id, Review.cycle_id == cycle.id))
            .where(PersonalPlan.cycle_id == cycle.id, Review.is_submitted, *where_people)
            .group_by(Person.department_id, Review.kind)):
        if kind in kinds:
            setattr(row(department_id), kinds[kind], submitted)

    # Ratings are calibration's: every result with a final band, active or not.
    narrow = [] if keys is None else [_narrow(Person.department_id, keys)]
    for department_id, band, count in db.session.execute(
            select(Person.department_id, _final_band(), func.count(ReviewResult.id))
            .join(Person, Person.id == ReviewResult.person_id)
            .where(ReviewResult.cycle_id == cycle.id, ReviewResult.final_score.is_not(None),
                   _final_band().is_not(None), *narrow)
            .group_by(Person.department_id, _final_band())):
        row(department_id).ratings[band] = count

    for name, model in OPEN_ITEMS.items():
        _count_open_items(cycle, now, keys, model, name, row)

    # 360 requests by the department of the person the feedback is on, active or not.
    narrow = [] if keys is None else [_narrow(Person.department_id, keys)]
    for department_id, status, count in db.session.execute(
            select(Person.department_id, FeedbackRequest.status, func.count(FeedbackRequest.id))
            .join(Person, Person.id == FeedbackRequest.subject_id)
            .where(FeedbackRequest.cycle_id == cycle.id, *narrow)
            .group_by(Person.department_id, FeedbackRequest.status)):
        row(department_id).feedback[status] = count

    # Goals at risk are counted by the goal's department (whoever's plan the KPI is in).
    narrow = [] if keys is None else [_narrow(DepartmentGoal.department_id, keys)]
    goals: dict[int, dict[int, list]] = defaultdict(dict)
    for department_id, goal_id, value, count in db.session.execute(
            select(DepartmentGoal.department_id, Kpi.goal_id, Kpi.last_check_in_status,
                   func.count(Kpi.id))
            .join(DepartmentGoal, DepartmentGoal.id == Kpi.goal_id)
            .where(DepartmentGoal.cycle_id == cycle.id, Kpi.counts,
                   Kpi.last_check_in_status.in_([CheckInStatus.AT_RISK.value,
                                                 CheckInStatus.OFF_TRACK.value]), *narrow)
            .group_by(DepartmentGoal.department_id, Kpi.goal_id, Kpi.last_check_in_status)):
        entry = goals[key_of(department_id)].setdefault(goal_id, [goal_id, 0, 0])
        entry[RISK_PLACES[value]] = count
    for key, ranked in goals.items():
        row(_department_of(key)).goals_at_risk = sorted(
            ranked.values(), key=lambda g: (-g[2], -g[1], g[0]))[:GOALS_KEPT]
    return found


def _as_moment(value):
    """SQLite's MIN over a CASE loses the column type: its text, as the column reads it."""
    if isinstance(value, str):
        return Kpi.__table__.c.last_check_in_at.type.process_result_value(
            datetime.fromisoformat(value), db.engine.dialect)
    return value


def _count_open_items(cycle: Cycle, now: datetime, keys, model, name: str, row) -> None:
    """The open obstacles or requests raised by each department's people (active or not,
    as the dashboards count them): how many at each status, how many overdue (raised more
    than the cycle's overdue_after_days ago), the oldest few; the row expires when the next
    one becomes overdue."""
    narrow = [] if keys is None else [_narrow(Person.department_id, keys)]
    where = [model.cycle_id == cycle.id, model.is_open, *narrow]
    days = timedelta(days=cycle.overdue_after_days)
    cutoff = now - days
    for department_id, status, count, overdue, next_due in db.session.execute(
            select(Person.department_id, model.status, func.count(model.id),
                   func.sum(case((model.created_at < cutoff, 1), else_=0)),
                   func.min(case((model.created_at >= cutoff, model.created_at))))
            .join(Person, Person.id == model.raised_by_id).where(*where)
            .group_by(Person.department_id, model.status)):
        entry = row(department_id)
        found = getattr(entry, name) or {"counts": {}, "overdue": 0, "oldest": []}
        found["counts"][status] = count
        found["overdue"] += int(overdue or 0)
        setattr(entry, name, found)
        if next_due is not None:
            entry.expire_at(_as_moment(next_due) + days)
    rank = func.row_number().over(partition_by=Person.department_id,
                                  order_by=(model.created_at, model.id)).label("rank")
    ranked = (select(Person.department_id.label("department_id"), model.id.label("id"),
                     model.created_at.label("created_at"), rank)
              .join(Person, Person.id == model.raised_by_id).where(*where)).subquery()
    for department_id, item_id, created_at in db.session.execute(
            select(ranked.c.department_id, ranked.c.id, ranked.c.created_at)
            .where(ranked.c.rank <= OLDEST_KEPT)
            .order_by(ranked.c.department_id, ranked.c.created_at, ranked.c.id)):
        getattr(row(department_id), name)["oldest"].append(
            [_as_moment(created_at).isoformat(timespec="microseconds"), item_id])


# Keeping ---------------------------------------------------------------------------------------

def _upsert(rows: list[dict]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    stmt = dialect.insert(DepartmentFigure.__table__)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=["cycle_id", "department_id"],
        set_={name: stmt.excluded[name]
              for name in (*FIGURES, "stale", "expires_at", "counted_at")}), rows)


def _row(cycle_id: int, key: int, figures: Figures, now: datetime) -> dict:
    return {"cycle_id": cycle_id, "department_id": key, **figures.values(), "stale": False,
            "expires_at": figures.expires_at, "counted_at": now}


def store(cycle: Cycle, now: datetime, keys=None) -> dict[int, Figures]:
    """Count the cycle's departments (`keys`, or all of them) afresh and keep the rows (in
    the current transaction); a department left with nothing loses its row."""
    table = DepartmentFigure.__table__
    found = compute(cycle, now, keys)
    connection = db.session.connection()
    if keys is None:
        connection.execute(delete(table).where(table.c.cycle_id == cycle.id))
        rows = [_row(cycle.id, key, f, now) for key, f in found.items()]
        rows.append(_row(cycle.id, WHOLE_CYCLE, Figures(None), now))
    else:
        gone = sorted(set(keys) - set(found))
        if gone:
            connection.execute(delete(table).where(table.c.cycle_id == cycle.id,
                                                   table.c.department_id.in_(gone)))
        rows = [_row(cycle.id, key, f, now) for key, f in found.items()]
    _upsert(rows)
    return found


def _fresh(row, now: datetime) -> bool:
    return (not row.stale and row.counted_at <= now
            and (row.expires_at is None or now < row.expires_at))


def read(cycle: Cycle, scope: Scope, now: datetime) -> dict[int | None, Figures]:
    """The figures of the departments in `scope` (department id -> Figures; None: the
    people without a department): the kept rows, each counted afresh and kept when stale or
    expired, the whole cycle when it was never counted. One statement when all are fresh."""
    table = DepartmentFigure.__table__
    wanted = [table.c.cycle_id == cycle.id]
    if scope.ids is not None:
        wanted.append(table.c.department_id.in_([*scope.id_list, WHOLE_CYCLE]))
    rows = db.session.execute(select(table).where(*wanted)).all()
    by_key = {r.department_id: r for r in rows}
    whole = by_key.pop(WHOLE_CYCLE, None)
    if whole is None or whole.stale:
        found = _keep(lambda: store(cycle, now), lambda: compute(cycle, now))
        return {f.department_id: f for key, f in found.items()
                if scope.allows(_department_of(key))}
    result = {key: Figures(_department_of(key), expires_at=r.expires_at,
                           **{name: getattr(r, name) for name in FIGURES})
              for key, r in by_key.items()}
    old = sorted(key for key, r in by_key.items() if not _fresh(r, now))
    if old:
        counted = _keep(lambda: store(cycle, now, old), lambda: compute(cycle, now, old))
        for key in old:
            result.pop(key, None)
        result.update(counted)
    return {_department_of(key): f for key, f in result.items()}


def _keep(keep, count):
    """Count and keep (committed here); when the database will not take the write, the
    count alone."""
    try:
        found = keep()
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        found = count()
    return found


def rebuild(now: datetime) -> int:
    """Count every cycle's departments afresh (`flask rebuild-figures`); how many cycles."""
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.id)))
    for cycle in cycles:
        store(cycle, now)
    return len(cycles)


def kept(cycle: Cycle) -> dict[int | None, dict]:
    """The rows as kept, fresh or not (for the tests): department id -> figures."""
    table = DepartmentFigure.__table__
    return {_department_of(r.department_id): {name: getattr(r, name) for name in FIGURES}
            for r in db.session.execute(select(table).where(
                table.c.cycle_id == cycle.id, table.c.department_id != WHOLE_CYCLE))}


# The interface for writes around the ORM -------------------------------------------------------

def touch_everything(cycle_id: int | None = None) -> None:
    """A change that may reach any department (of one cycle, or of every cycle): its rows
    are counted afresh when next read (a bulk write the flush cannot see calls this)."""
    noted = db.session.info.setdefault("_figures_stale_cycles", set())
    noted.add(cycle_id)


# Noting what a flush reaches, and counting before the commit ----------------------------------

PERSON_ATTRIBUTES = ("department_id", "active")
CYCLE_ATTRIBUTES = ("checkin_interval_days", "overdue_after_days", "phase")
FEEDBACK_ATTRIBUTES = ("status", "subject_id", "cycle_id")
ITEM_ATTRIBUTES = ("status", "raised_by_id", "cycle_id", "created_at")


def _values(obj, name) -> set:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.added, *history.deleted, *history.unchanged,
                        getattr(obj, name, None)) if v is not None}


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _flushing(session, flush_context, instances) -> None:
    """Before a flush: the departments people leave, as the database still has them (a
    person changed after a commit does not remember the department they had)."""
    leaving = [obj.id for obj in (*session.dirty, *session.deleted)
               if isinstance(obj, Person) and obj.id is not None
               and (obj in session.deleted or _changed(obj, PERSON_ATTRIBUTES))]
    if leaving:
        people = Person.__table__
        moved = session.info.setdefault("_figures_moved", set())
        moved.update((person_id, key_of(department_id))
                     for person_id, department_id in session.connection().execute(
                         select(people.c.id, people.c.department_id)
                         .where(people.c.id.in_(sorted(leaving)))))


def _flushed(session, flush_context) -> None:
    info = session.info
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, PersonalPlan | Review | ReviewResult):
            pairs = info.setdefault("_figures_people", set())
            pairs.update((c, p) for c in _values(obj, "cycle_id")
                         for p in _values(obj, "person_id"))
            if isinstance(obj, PersonalPlan):
                # its person's department as it was, should the plan move to someone else
                info.setdefault("_figures_plans", set()).update(_values(obj, "id"))
        elif isinstance(obj, Kpi):
            info.setdefault("_figures_plans", set()).update(_values(obj, "plan_id"))
            info.setdefault("_figures_goals", set()).update(_values(obj, "goal_id"))
        elif isinstance(obj, DepartmentGoal):
            goals = info.setdefault("_figures_goal_departments", set())
            goals.update((c, key_of(d)) for c in _values(obj, "cycle_id")
                         for d in _values(obj, "department_id"))
        elif isinstance(obj, FeedbackRequest):
            # an answer typed (autosaved drafts) moves no count: only its status or whom
            # it is on
            if obj in session.dirty and not _changed(obj, FEEDBACK_ATTRIBUTES):
                continue
            pairs = info.setdefault("_figures_people", set())
            pairs.update((c, p) for c in _values(obj, "cycle_id")
                         for p in _values(obj, "subject_id"))
        elif isinstance(obj, Obstacle | ResourceRequest):
            if obj in session.dirty and not _changed(obj, ITEM_ATTRIBUTES):
                continue
            pairs = info.setdefault("_figures_people", set())
            pairs.update((c, p) for c in _values(obj, "cycle_id")
                         for p in _values(obj, "raised_by_id"))
        elif isinstance(obj, CheckIn):
            info.setdefault("_figures_kpis", set()).update(_values(obj, "kpi_id"))
        elif isinstance(obj, Person) and obj not in session.new and (
                obj in session.deleted or _changed(obj, PERSON_ATTRIBUTES)):
            moved = info.setdefault("_figures_moved", set())
            moved.update((obj.id, key_of(d)) for d in
                         (*inspect(obj).attrs.department_id.history.deleted,
                          obj.department_id))
        elif isinstance(obj, Cycle) and obj not in session.new and _changed(
                obj, CYCLE_ATTRIBUTES):
            info.setdefault("_figures_stale_cycles", set()).add(obj.id)


KEYS = ("_figures_people", "_figures_plans", "_figures_kpis", "_figures_moved",
        "_figures_stale_cycles", "_figures_goals", "_figures_goal_departments")


def _reached(session) -> dict[int, set[int]]:
    """cycle id -> the department keys the noted changes reach."""
    info = session.info
    reached: dict[int, set[int]] = defaultdict(set)
    people = set(info.get("_figures_people", ()))
    plans = set(info.get("_figures_plans", ()))
    goals = set(info.get("_figures_goals", ()))
    kpis = info.get("_figures_kpis")
    if kpis:
        for plan_id, goal_id in session.execute(select(Kpi.plan_id, Kpi.goal_id).where(
                Kpi.id.in_(sorted(kpis)))):
            plans.add(plan_id)
            goals.add(goal_id)
    goals.discard(None)
    if goals:
        for cycle_id, department_id in session.execute(
                select(DepartmentGoal.cycle_id, DepartmentGoal.department_id)
                .where(DepartmentGoal.id.in_(sorted(goals)))):
            reached[cycle_id].add(key_of(department_id))
    for cycle_id, key in info.get("_figures_goal_departments", ()):
        reached[cycle_id].add(key)
    if plans:
        people.update(session.execute(select(PersonalPlan.cycle_id, PersonalPlan.person_id)
                                      .where(PersonalPlan.id.in_(sorted(plans)))).tuples().all())
    if people:
        departments = dict(session.execute(select(Person.id, Person.department_id).where(
            Person.id.in_(sorted({p for _c, p in people})))).tuples().all())
        for cycle_id, person_id in people:
            if person_id in departments:
                reached[cycle_id].add(key_of(departments[person_id]))
    moved = info.get("_figures_moved")
    if moved:
        cycles_of: dict[int, set[int]] = defaultdict(set)
        movers = sorted({p for p, _k in moved})
        for person_id, cycle_id in session.execute(
                select(PersonalPlan.person_id, PersonalPlan.cycle_id)
                .where(PersonalPlan.person_id.in_(movers))
                .union(*(select(model.raised_by_id, model.cycle_id)
                         .where(model.raised_by_id.in_(movers))
                         for model in OPEN_ITEMS.values()),
                       select(FeedbackRequest.subject_id, FeedbackRequest.cycle_id)
                       .where(FeedbackRequest.subject_id.in_(movers)))):
            cycles_of[person_id].add(cycle_id)
        for person_id, key in moved:
            for cycle_id in cycles_of[person_id]:
                reached[cycle_id].add(key)
    return reached


def _before_commit(session) -> None:
    info = session.info
    if info.get("_figures_settling"):
        return
    session.flush()  # what is still pending is noted by its flush first
    if not any(info.get(key) for key in KEYS):
        return
    info["_figures_settling"] = True
    try:
        table = DepartmentFigure.__table__
        stale = info.get("_figures_stale_cycles", set())
        if None in stale:
            session.execute(update(table).values(stale=True))
            return
        reached = _reached(session)
        for cycle_id, keys in list(reached.items()):
            if len(keys) > MANY:
                stale.add(cycle_id)
        if stale:
            session.execute(update(table).where(table.c.cycle_id.in_(sorted(stale)))
                            .values(stale=True))
        # Only cycles counted whole (and fresh) are kept up to date; another is counted
        # whole when it is first read.
        counted = set(session.scalars(select(table.c.cycle_id).where(
            table.c.cycle_id.in_(sorted(reached) or [0]),
            table.c.department_id == WHOLE_CYCLE, table.c.stale.is_(False))))
        now = utcnow()
        for cycle in session.scalars(select(Cycle).where(Cycle.id.in_(sorted(counted)))):
            store(cycle, now, reached[cycle.id])
        session.flush()
    finally:
        info.pop("_figures_settling", None)
        for key in KEYS:
            info.pop(key, None)


def _forget(session, *args) -> None:
    for key in KEYS:
        session.info.pop(key, None)


def listen() -> None:
    """Note what each flush reaches and count it before the commit (areas.plug_in calls
    this; once is enough)."""
    for name, handler in (("before_flush", _flushing), ("after_flush", _flushed),
                          ("before_commit", _before_commit),
                          ("after_rollback", _forget)):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
