"""To-dos kept, not recomputed on every page: each person's open to-dos, counted by kind and
listed, in one row (models.TodoCount) that the badge, home, "my dashboard" and the to-dos
page read.

Rule: a person's kept counts and list equal what `todos.todos_for_people` (the full
computation, which stays the oracle and `flask rebuild-todos`) finds for them now, whenever
the row is read as fresh. A kept to-do holds its words as their message id and parameters
(names, titles, a moment, a number of days), worded in the reader's language when read
(`encode`, `decode`): never translated text. The row is written in the same transaction as
the change that opens or closes one of their to-dos:

- the areas' services change records; each kind of record says whose lists it may change
  (`WATCHED`: the people it names, and the heads who approve, review or interview the
  people it is about). After each flush those people are noted, and before the commit
  their lists are counted afresh and their rows written. A service that writes around
  the ORM (a bulk UPDATE) says whom it reached itself, through the one small interface:
  `touch(*people)` or `touch_everyone()`;
- a change whose reach is the whole company (a cycle's phase, the org chart, a role, the
  review or 360 settings) marks every row stale (`touch_everyone`): one UPDATE, and each
  person's next read counts afresh and keeps the answer;
- time alone changes a list in two ways (a check-in falls due when the cycle's interval has
  passed since the last one; an open obstacle or request becomes overdue): the row expires
  at the first such moment. The days since the last check-in, which a to-do's words count,
  are counted when it is read;
- words name people, KPIs and cycles: renaming a person or a cycle reaches everyone, a
  KPI's new title reaches the owners of its open obstacles (and its plan's person), a
  person's new time zone their own list (interview times are worded in the reader's zone).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import flask_babel
from flask_babel import LazyString
from sqlalchemy import delete, event, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ... import permissions as can
from ...extensions import db
from ...models import (
    CheckIn,
    CoachingComment,
    Cycle,
    Department,
    FeedbackRequest,
    FeedbackSettings,
    Interview,
    Kpi,
    Notification,
    Obstacle,
    Outcome,
    Person,
    PersonalPlan,
    PersonRole,
    ResourceRequest,
    Review,
    ReviewSettings,
    Role,
    TodoCount,
    utcnow,
)
from ...timezones import local_time
from . import todos

# What a change to a record reaches: (columns naming people whose lists it may change,
# columns naming people whose approver/reviewer/interviewer it concerns).
WATCHED: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PersonalPlan: (("person_id",), ("person_id",)),
    Obstacle: (("owner_id", "raised_by_id"), ()),
    ResourceRequest: (("owner_id", "escalated_to_id", "raised_by_id"), ()),
    CoachingComment: (("person_id",), ()),
    Notification: (("recipient_id",), ()),
    Review: (("person_id",), ("person_id",)),
    FeedbackRequest: (("rater_id", "subject_id"), ("subject_id",)),
    Interview: (("person_id", "head_id"), ("person_id",)),
}
# Records that reach the people of a KPI's plan.
BY_KPI = (CheckIn, Kpi)
# Changes that reach everyone: the record type, and the attributes that matter (None: all).
EVERYONE: dict[type, tuple[str, ...] | None] = {
    Cycle: None, Department: ("head_id", "parent_id", "active"),
    Person: ("manager_id", "department_id", "active", "display_name"), PersonRole: None,
    ReviewSettings: None, FeedbackSettings: None,
}


# The interface --------------------------------------------------------------------------------

def touch(*people) -> None:
    """These people's lists may have changed in this transaction (people or their ids)."""
    noted = db.session.info.setdefault("_todo_people", set())
    noted.update(p if isinstance(p, int) else p.id for p in people if p is not None)


def touch_everyone() -> None:
    """A change that may reach anyone's list: every row is counted afresh when next read."""
    db.session.info["_todo_everyone"] = True


# Reading and counting ---------------------------------------------------------------------------

def read(person, now: datetime) -> int | None:
    """The kept total (one row), or None when the row is missing, stale or expired."""
    row = db.session.execute(
        select(TodoCount.total, TodoCount.stale, TodoCount.expires_at)
        .where(TodoCount.person_id == person.id)).first()
    if row is not None and not row.stale and (row.expires_at is None or now < row.expires_at):
        return row.total
    return None


def recount(person, now: datetime) -> int:
    """Count `person`'s to-dos afresh and keep the counts (the caller commits)."""
    return sum(store({person.id: person}, now)[person.id].values())


def count(person, now: datetime) -> int:
    """What the badge shows: the kept total, counted afresh when it is not fresh."""
    found = read(person, now)
    return recount(person, now) if found is None else found


def read_list(person, now: datetime) -> list[todos.Todo] | None:
    """The kept list (one row), worded when shown; None when missing, stale or expired."""
    row = db.session.execute(
        select(TodoCount.items, TodoCount.stale, TodoCount.expires_at)
        .where(TodoCount.person_id == person.id)).first()
    if (row is not None and row.items is not None and not row.stale
            and (row.expires_at is None or now < row.expires_at)):
        return [decode(item, now) for item in row.items]
    return None


def todos_and_keep(person, now: datetime) -> list[todos.Todo]:
    """What home, "my dashboard" and the to-dos page list: the kept list, or made afresh
    and kept (committed here; as the badge's `count_and_keep`, never a 500 when another
    writer holds the database: the fresh list is shown and kept by a later read)."""
    found = read_list(person, now)
    if found is not None:
        return found
    try:
        found = store({person.id: person}, now, lists=True)[person.id]
        _commit_keeping_loaded()
    except OperationalError:
        db.session.rollback()
        found = todos.todos_for(person, now)
    return found


def _commit_keeping_loaded() -> None:
    """Commit what a read kept (one row, written around the ORM) without expiring what the
    request loaded before: the page goes on rendering it without reading it again."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def count_and_keep(person, now: datetime) -> int:
    """The badge's read: the kept total, or counted afresh and kept (committed here).
    Keeping is only a saving: when another writer holds the database (SQLite allows one),
    the fresh count is still shown and kept by a later read, never a 500."""
    found = read(person, now)
    if found is not None:
        return found
    try:
        total = recount(person, now)
        _commit_keeping_loaded()
    except OperationalError:
        db.session.rollback()
        total = sum(counted({person.id: person}, now)[person.id].values())
    return total


def _expiry(person_ids, now: datetime, lists: dict[int, list] | None = None
            ) -> dict[int, datetime]:
    """When time alone next changes each person's list: the first moment one of their KPIs'
    check-ins falls due (those due already are listed), or one of their open items becomes
    overdue (just after its `overdue_at`)."""
    rows = db.session.execute(
        select(PersonalPlan.person_id, Kpi.last_check_in_at, Cycle.checkin_interval_days)
        .join(Kpi, Kpi.plan_id == PersonalPlan.id)
        .join(Cycle, Cycle.id == PersonalPlan.cycle_id)
        .where(PersonalPlan.person_id.in_(list(person_ids)),
               PersonalPlan.is_approved, Kpi.counts,
               Kpi.last_check_in_at.is_not(None),
               can.phase_clause("check_in")))
    found: dict[int, datetime] = {}
    for person_id, last, interval in rows:
        moment = last + timedelta(days=interval)
        if moment > now and (person_id not in found or moment < found[person_id]):
            found[person_id] = moment
    for person_id, items in (lists or {}).items():
        for todo in items:
            if todo.overdue_at is not None and not todo.overdue:
                moment = todo.overdue_at + timedelta(microseconds=1)
                if person_id not in found or moment < found[person_id]:
                    found[person_id] = moment
    return found


def counted(people: dict[int, Person], now: datetime) -> dict[int, Counter]:
    """The full computation's counts by kind (the oracle)."""
    return {pid: Counter(todo.kind for todo in items)
            for pid, items in todos.todos_for_people(people, now).items()}


def store(people: dict[int, Person], now: datetime, lists: bool = False) -> dict:
    """Make `people`'s lists afresh and keep them and their counts (in the current
    transaction); their counts by kind, or with `lists` their lists."""
    if not people:
        return {}
    made = todos.todos_for_people(people, now)
    found = {pid: Counter(todo.kind for todo in items) for pid, items in made.items()}
    expiry = _expiry(people, now, made)
    connection = db.session.connection()
    # An upsert: two requests counting one person at once both succeed.
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    stmt = dialect.insert(TodoCount.__table__)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=["person_id"],
        set_={name: stmt.excluded[name]
              for name in ("counts", "total", "items", "stale", "expires_at", "counted_at")}), [
        {"person_id": pid, "counts": dict(kinds), "total": sum(kinds.values()),
         "items": [encode(todo) for todo in made[pid]],
         "stale": False, "expires_at": expiry.get(pid), "counted_at": now}
        for pid, kinds in found.items()])
    return made if lists else found


# A kept to-do: its words as message id and parameters --------------------------------------

# What may word a kept message, by name: Flask-Babel's (lazy_gettext, lazy_ngettext) and the
# time as the reader reads it (interviews' to-dos).
WORDERS = {"gettext": flask_babel.gettext, "ngettext": flask_babel.ngettext,
           "local_time": local_time}
_NAMES = {func: name for name, func in WORDERS.items()}


def _encode_value(value):
    if isinstance(value, LazyString):
        name = _NAMES.get(value._func)
        if name is None:
            raise TypeError(f"a kept to-do cannot be worded by {value._func!r}")
        return {"$": name, "args": [_encode_value(a) for a in value._args],
                "kwargs": {k: _encode_value(v) for k, v in value._kwargs.items()}}
    if isinstance(value, todos.DaysSince):
        return {"$days": value.since.isoformat()}
    if isinstance(value, datetime):
        return {"$at": value.isoformat()}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    raise TypeError(f"a kept to-do cannot keep {value!r}")


def _decode_value(value, now: datetime):
    if isinstance(value, dict):
        if "$" in value:
            return LazyString(WORDERS[value["$"]],
                              *(_decode_value(a, now) for a in value["args"]),
                              **{k: _decode_value(v, now) for k, v in value["kwargs"].items()})
        if "$days" in value:
            return todos.DaysSince(datetime.fromisoformat(value["$days"]), now)
        if "$at" in value:
            return datetime.fromisoformat(value["$at"])
    return value


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def encode(todo: todos.Todo) -> dict:
    """A to-do as kept (JSON): its words as message id and parameters, never worded."""
    return {"kind": todo.kind, "key": todo.key, "message": _encode_value(todo.message),
            "endpoint": todo.endpoint, "values": todo.values, "overdue": todo.overdue,
            "since": todo.since and todo.since.isoformat(),
            "overdue_at": todo.overdue_at and todo.overdue_at.isoformat()}


def decode(item: dict, now: datetime) -> todos.Todo:
    """A kept to-do as `todos` makes it, its words counted (days) at `now`."""
    return todos.Todo(item["kind"], item["key"], _decode_value(item["message"], now),
                      item["endpoint"], item["values"], item["overdue"],
                      _moment(item["since"]), _moment(item["overdue_at"]))


def rebuild(now: datetime, chunk: int = 500) -> int:
    """Count everyone's to-dos afresh (`flask rebuild-todos`); how many people."""
    ids = list(db.session.scalars(select(Person.id).where(Person.active.is_(True))
                                  .order_by(Person.id)))
    for start in range(0, len(ids), chunk):
        people = {p.id: p for p in db.session.scalars(
            select(Person).where(Person.id.in_(ids[start:start + chunk])))}
        store(people, now)
    db.session.execute(delete(TodoCount).where(TodoCount.person_id.not_in(ids or [0])))
    return len(ids)


def kept(person_ids) -> dict[int, tuple[dict, bool, datetime | None]]:
    """The rows as kept: person id -> (counts, stale, expires_at)."""
    return {pid: (counts, stale, expires) for pid, counts, stale, expires in db.session.execute(
        select(TodoCount.person_id, TodoCount.counts, TodoCount.stale, TodoCount.expires_at)
        .where(TodoCount.person_id.in_(list(person_ids)))
        .execution_options(populate_existing=True))}


# Noting whom a flush reaches, and counting before the commit ---------------------------------

def _values(obj, name) -> set[int]:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.added, *history.deleted, *history.unchanged,
                        getattr(obj, name, None)) if isinstance(v, int)}


def _flushed(session, flush_context) -> None:
    people: set[int] = session.info.setdefault("_todo_people", set())
    subjects: set[int] = session.info.setdefault("_todo_subjects", set())
    kpis: set[int] = session.info.setdefault("_todo_kpis", set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind in WATCHED:
            named, about = WATCHED[kind]
            for name in named:
                people.update(_values(obj, name))
            for name in about:
                subjects.update(_values(obj, name))
            if kind is Interview:
                session.info["_todo_roles"] = True
        elif kind is Outcome:
            session.info["_todo_roles"] = True
        elif kind in BY_KPI:
            kpis.update(_values(obj, "kpi_id" if kind is CheckIn else "id"))
            if (kind is Kpi and obj in session.dirty
                    and inspect(obj).attrs.title.history.has_changes()):
                session.info.setdefault("_todo_titled", set()).add(obj.id)
        elif kind in EVERYONE:
            if kind is Person and obj in session.dirty and (
                    inspect(obj).attrs.time_zone.history.has_changes()):
                people.add(obj.id)
            attributes = EVERYONE[kind]
            if (obj in session.new or obj in session.deleted or attributes is None
                    or any(inspect(obj).attrs[a].history.has_changes() for a in attributes)):
                session.info["_todo_everyone"] = True


def _before_commit(session) -> None:
    info = session.info
    if info.get("_todo_settling"):
        return
    session.flush()  # what is still pending is noted by its flush first
    everyone = info.pop("_todo_everyone", False)
    people = info.pop("_todo_people", set())
    subjects = info.pop("_todo_subjects", set())
    kpis = info.pop("_todo_kpis", set())
    roles = info.pop("_todo_roles", False)
    titled = info.pop("_todo_titled", set())
    if not (everyone or people or subjects or kpis or roles):
        return
    info["_todo_settling"] = True
    try:
        session.flush()
        if everyone:
            session.execute(update(TodoCount).values(stale=True))
            return
        if kpis:
            people.update(session.scalars(
                select(PersonalPlan.person_id).join(Kpi, Kpi.plan_id == PersonalPlan.id)
                .where(Kpi.id.in_(sorted(kpis)))))
        if titled:  # the owners of its open obstacles read the KPI's title
            people.update(session.scalars(select(Obstacle.owner_id).where(
                Obstacle.kpi_id.in_(sorted(titled)), Obstacle.is_open)))
        if roles:
            people.update(session.scalars(select(PersonRole.person_id).where(
                PersonRole.role.in_([Role.HR_ADMIN.value, Role.EXECUTIVE.value]))))
        if subjects:
            for person in session.scalars(select(Person).where(Person.id.in_(sorted(subjects)))):
                people.update(i for i in (can.approver_id(person), can.reviewer_id(person))
                              if i is not None)
        # Only rows that exist are kept up to date; a person without one is counted when
        # their badge is first read.
        existing = set(session.scalars(select(TodoCount.person_id).where(
            TodoCount.person_id.in_(sorted(people)))))
        if existing:
            found = {p.id: p for p in session.scalars(
                select(Person).where(Person.id.in_(sorted(existing))))}
            store(found, utcnow())
        session.flush()
    finally:
        info.pop("_todo_settling", None)
        for key in ("_todo_people", "_todo_subjects", "_todo_kpis", "_todo_titled"):
            info.pop(key, None)


def _forget(session, *args) -> None:
    for key in ("_todo_everyone", "_todo_people", "_todo_subjects", "_todo_kpis",
                "_todo_roles", "_todo_titled"):
        session.info.pop(key, None)


def listen() -> None:
    """Note whom each flush reaches and count them before the commit (create_app calls
    this; once is enough)."""
    for name, handler in (("after_flush", _flushed), ("before_commit", _before_commit),
                          ("after_rollback", _forget)):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)

