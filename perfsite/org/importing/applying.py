"""Applying a checked plan: bulk writes, audit events, the stored upload.

Writing is a fixed number of bulk statements however many rows there are (perfsite/org/
import_jobs.py runs it in the background and reports progress); the plan is checked again
first and nothing is written if any row has a problem.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, bindparam, delete, insert, inspect, select, text, update

from ... import permissions as can
from ...audit.services import changed, record
from ...coaching.services import kept_todos
from ...dashboards.services import kept_figures
from ...errors import (
    Conflict,
    ImportRejected,
    PlanChanged,
    StateError,
)
from ...extensions import db
from ...models import (
    AuditEvent,
    LoginSession,
    OrgImport,
    Person,
    PersonRole,
    utcnow,
)
from .checking import (
    CREATE,
    STAFF,
    UPDATE,
    WRITING,
    Existing,
    ImportPlan,
    Progress,
    RowPlan,
    no_progress,
    plan_import,
    progress_every,
    read_org,
)
from .reading import CONTROL, parse_file

# Applying --------------------------------------------------------------------------------

_person = Person.__table__
_person_role = PersonRole.__table__
_audit_event = AuditEvent.__table__
_login_session = LoginSession.__table__


def _snapshot(person: Existing) -> dict:
    """A person as the org services' audit events show one (before/after)."""
    return {"username": person.username, "display_name": person.display_name,
            "email": person.email, "employee_number": person.employee_number,
            "job_title": person.job_title, "department_id": person.department_id,
            "manager_id": person.manager_id, "active": person.active,
            "roles": sorted(person.roles)}


def _after(row: RowPlan, before: Existing | None, person_id: int,
           ids: dict[str, int]) -> Existing:
    """The person as the row leaves them."""
    wanted = row.wanted

    def given(key, default):
        return wanted[key] if key in wanted else default

    manager = given("manager", None)
    return Existing(
        id=person_id, username=row.username, display_name=wanted["display_name"],
        email=wanted["email"],
        employee_number=given("employee_number", before.employee_number if before else None),
        job_title=given("job_title", before.job_title if before else ""),
        department_id=given("department_id", before.department_id if before else None),
        manager_id=(ids[manager] if manager else None) if "manager" in wanted
        else (before.manager_id if before else None),
        active=given("active", before.active if before else True),
        version=(before.version + 1) if before else 1,
        roles=set(given("roles", before.roles if before else {STAFF})),
    )


# Many rows in one statement. On PostgreSQL: one array per column, unnest()ed by the
# server (psycopg's executemany sends the rows one by one, several times slower); elsewhere
# (SQLite) executemany, which is fast there. Either way the number of statements does not
# grow with the number of rows.

def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _quote(name: str) -> str:
    return db.session.get_bind().dialect.identifier_preparer.quote(name)


def _unnest(columns: list[tuple[str, object, list]]) -> tuple[str, dict]:
    """`unnest(arrays) AS v(names)` for (name, table column, values) triples, and its
    parameters."""
    dialect = db.session.get_bind().dialect
    arrays, parameters = [], {}
    for number, (_name, column, values) in enumerate(columns):
        if isinstance(column.type, JSON):
            arrays.append(f"CAST(:a{number} AS TEXT[])::JSON[]")
            values = [json.dumps(v) for v in values]
        else:
            arrays.append(f"CAST(:a{number} AS {column.type.compile(dialect=dialect)}[])")
        parameters[f"a{number}"] = values
    names = ", ".join(_quote(name) for name, _column, _values in columns)
    return f"unnest({', '.join(arrays)}) AS v({names})", parameters


def _insert_many(table, rows: list[dict]) -> None:
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(insert(table), rows)
        return
    names = list(rows[0])
    source, parameters = _unnest([(name, table.c[name], [row[name] for row in rows])
                                  for name in names])
    columns = ", ".join(_quote(name) for name in names)
    db.session.execute(text(f"INSERT INTO {table.name} ({columns}) "
                            f"SELECT {columns} FROM {source}"), parameters)


def _update_many(table, rows: list[dict], *, match: dict[str, str], values: dict[str, str],
                 only_if_null: str | None = None) -> int | None:
    """Set `values` (column -> key of the row) where the columns of `match` equal the row's;
    how many rows changed, when the database can tell."""
    if not rows:
        return 0
    if not _on_postgresql():
        statement = update(table).where(
            *(table.c[column] == bindparam(key) for column, key in match.items()))
        if only_if_null:
            statement = statement.where(table.c[only_if_null].is_(None))
        result = db.session.execute(
            statement.values({column: bindparam(key) for column, key in values.items()}), rows)
        dialect = db.session.get_bind().dialect
        return result.rowcount if dialect.supports_sane_multi_rowcount else None
    source, parameters = _unnest([(key, table.c[column], [row[key] for row in rows])
                                  for column, key in (*match.items(), *values.items())])
    sets = ", ".join(f"{_quote(column)} = v.{_quote(key)}" for column, key in values.items())
    where = " AND ".join(f"{table.name}.{_quote(column)} = v.{_quote(key)}"
                         for column, key in match.items())
    if only_if_null:
        where += f" AND {table.name}.{_quote(only_if_null)} IS NULL"
    return db.session.execute(
        text(f"UPDATE {table.name} SET {sets} FROM {source} WHERE {where}"), parameters
    ).rowcount


def _delete_many(table, rows: list[dict], *, match: dict[str, str]) -> None:
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(delete(table).where(
            *(table.c[column] == bindparam(key) for column, key in match.items())), rows)
        return
    source, parameters = _unnest([(key, table.c[column], [row[key] for row in rows])
                                  for column, key in match.items()])
    where = " AND ".join(f"{table.name}.{_quote(column)} = v.{_quote(key)}"
                         for column, key in match.items())
    db.session.execute(text(f"DELETE FROM {table.name} USING {source} WHERE {where}"),
                       parameters)


def apply_plan(plan: ImportPlan, *, actor: Person, progress: Progress | None = None) -> None:
    """Write an error-free plan in bulk, audited with `actor`; flushes, never commits.

    The plan is made just before (plan_import), as a preview would be. Whatever changed
    since is caught here: a person someone else saved meanwhile is a Conflict (their version
    moved on), a username, e-mail or employee number someone else took is an
    IntegrityError, and either way the caller rolls everything back. The number of
    statements does not grow with the number of rows.
    """
    if plan.has_errors:
        raise ImportRejected(plan)
    report = progress or no_progress
    org = plan.org if plan.org is not None else read_org()
    creates = [r for r in plan.rows if r.action == CREATE]
    updates = [r for r in plan.rows if r.action == UPDATE]
    total = len(creates) + len(updates)
    report(WRITING, 0, total)
    if not total:
        return
    kept_todos.touch_everyone()  # bulk writes to the org chart: no flush tells the to-dos
    kept_figures.touch_everything()  # ... nor the dashboards' department figures
    now = utcnow()
    ids = {username: p.id for username, p in org.people.items()}
    people: list[tuple[Existing | None, Existing]] = []  # (before, after) per person

    if creates:
        # Everyone first, with the managers already in the org chart; managers the file
        # itself creates are set once everyone has an id.
        new_people = [{
            "username": r.username, "display_name": r.wanted["display_name"],
            "email": r.wanted["email"], "employee_number": r.wanted.get("employee_number"),
            "job_title": r.wanted.get("job_title", ""),
            "department_id": r.wanted.get("department_id"),
            "manager_id": ids.get(r.wanted.get("manager") or ""),
            "active": r.wanted["active"], "password_hash": None,
            "must_change_password": False, "created_at": now, "version": 1,
        } for r in creates]
        # In PROGRESS_STEPS parts at most, to report progress between them.
        step = progress_every(len(new_people))
        for first in range(0, len(new_people), step):
            _insert_many(_person, new_people[first:first + step])
            report(WRITING, min(first + step, len(new_people)), total)
        created = {r.username for r in creates}
        for person_id, username in db.session.execute(
                select(Person.id, Person.username).where(Person.id > org.max_id)):
            if username in created:
                ids[username] = person_id
        managed_by_new = [r for r in creates
                          if r.wanted.get("manager") and r.wanted["manager"] not in org.people]
        _update_many(_person, [{"b_id": ids[r.username], "b_manager_id": ids[r.wanted["manager"]]}
                               for r in managed_by_new],
                     match={"id": "b_id"}, values={"manager_id": "b_manager_id"})
        people += [(None, _after(r, None, ids[r.username], ids)) for r in creates]

    if updates:
        changed_people = [(org.people[r.username], r) for r in updates]
        changed_people = [(before, _after(r, before, before.id, ids))
                          for before, r in changed_people]
        people += changed_people
        fields = ("display_name", "email", "employee_number", "job_title", "department_id",
                  "manager_id", "active", "version")
        # In PROGRESS_STEPS parts at most too, reporting after each.
        step, written = progress_every(len(changed_people)), 0
        for first in range(0, len(changed_people), step):
            part = _update_many(
                _person, [{"b_id": after.id, "b_seen_version": before.version,
                           **{f"b_{name}": getattr(after, name) for name in fields}}
                          for before, after in changed_people[first:first + step]],
                match={"id": "b_id", "version": "b_seen_version"},
                values={name: f"b_{name}" for name in fields})
            written = None if part is None or written is None else written + part
            report(WRITING, len(creates) + min(first + step, len(changed_people)), total)
        if written is not None and written != len(updates):
            raise Conflict(_l("Someone changed people in the org chart while the import was "
                              "being written."))

    removed, added = [], []
    for before, after in people:
        old = before.roles if before else set()
        removed += [{"b_person_id": after.id, "b_role": role} for role in sorted(old - after.roles)]
        added += [{"person_id": after.id, "role": role} for role in sorted(after.roles - old)]
    _delete_many(_person_role, removed, match={"person_id": "b_person_id", "role": "b_role"})
    _insert_many(_person_role, added)

    # Deactivating ends the person's sessions at once (auth.services.end_all_sessions).
    _update_many(_login_session, [{"b_person_id": after.id, "b_revoked_at": now}
                                  for before, after in people
                                  if before is not None and before.active and not after.active],
                 match={"person_id": "b_person_id"}, values={"revoked_at": "b_revoked_at"},
                 only_if_null="revoked_at")

    _insert_many(_audit_event, _audit_events(people, actor, now))
    # Person objects this session holds for the people written are stale now.
    written = {after.id for _before, after in people}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Person) and inspect(obj).identity[0] in written:
            db.session.expire(obj)
    report(WRITING, total, total)


def _audit_events(people, actor: Person, now) -> list[dict]:
    """The events the org services would have recorded, one by one, for these changes."""
    events = []

    def event(action, person, before, after):
        # The directory sync acts as no person: its events carry their source instead.
        events.append({"occurred_at": now, "actor_id": actor.id,
                       "source": getattr(actor, "source", None), "action": action,
                       "object_type": "person", "object_id": person.id,
                       "object_label": person.display_name[:200], "before": before,
                       "after": after})

    for before, after in people:
        if before is None:
            event("person.created", after, None, _snapshot(after))
            continue
        # update_person records the fields and roles; (de)activation is an event of its own.
        old, new = changed(_snapshot(before), {**_snapshot(after), "active": before.active})
        if new:
            event("person.updated", after, old, new)
        if before.active != after.active:
            event("person.activated" if after.active else "person.deactivated", after,
                  {"active": before.active}, {"active": after.active})
    return events


def commit_import(org_import: OrgImport, *, actor: Person,
                  expected_fingerprint: str | None = None, progress: Progress | None = None,
                  job_token: str | None = None) -> ImportPlan:
    """Apply an uploaded import once, all or nothing, as `actor`; flushes, never commits.

    The rows are checked again now (plan_import), then written (commit_plan).
    """
    can.enforce(can.can_administer_org(actor))
    if org_import.committed_at is not None:
        raise StateError(_l("This import was already committed."))
    plan = plan_import(org_import.rows, actor=actor, progress=progress)
    return commit_plan(org_import, plan, actor=actor, expected_fingerprint=expected_fingerprint,
                       progress=progress, job_token=job_token)


def commit_plan(org_import: OrgImport, plan: ImportPlan, *, actor: Person,
                expected_fingerprint: str | None = None, progress: Progress | None = None,
                job_token: str | None = None) -> ImportPlan:
    """Write the plan just made for this import, as `actor`, and mark the import committed;
    flushes, never commits.

    ImportRejected when a row has a problem, PlanChanged when what would be written differs
    from the preview the HR admin confirmed. An import that was already committed is not
    applied again (StateError), nor is one whose commit job `job_token` no longer owns it
    (import_jobs).
    """
    can.enforce(can.can_administer_org(actor))
    actor_id, import_id, filename = actor.id, org_import.id, org_import.filename
    if org_import.committed_at is not None:
        raise StateError(_l("This import was already committed."))
    if plan.has_errors:
        raise ImportRejected(plan)
    if expected_fingerprint is not None and expected_fingerprint != plan.fingerprint:
        raise PlanChanged(plan)
    apply_plan(plan, actor=actor, progress=progress)
    counts = plan.counts()
    claim = update(OrgImport).where(OrgImport.id == import_id, OrgImport.committed_at.is_(None))
    if job_token is not None:
        claim = claim.where(OrgImport.commit_token == job_token)
    done = counts[CREATE] + counts[UPDATE]
    result = db.session.execute(
        claim.values(committed_at=utcnow(), committed_by_id=actor_id, commit_state="done",
                     commit_phase=None, commit_error=None, commit_done=done,
                     commit_total=done, commit_result=counts, commit_heartbeat_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StateError(_l("This import was already committed."))
    record("org_import.committed", org_import, actor=actor, label=filename,
           after={"file": filename, "rows": len(plan.rows), **counts})
    db.session.flush()
    db.session.expire(org_import)
    return plan



def store_upload(filename: str, data: bytes, uploader: Person) -> OrgImport:
    """Parse the file and keep its rows for the preview; nothing in the org chart changes."""
    can.enforce(can.can_administer_org(uploader))
    rows = parse_file(filename, data)
    # Some browsers send the whole client-side path; keep only the file's own name.
    filename = CONTROL.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    org_import = OrgImport(filename=filename.strip()[:255] or "upload", rows=rows,
                           created_by_id=uploader.id)
    db.session.add(org_import)
    db.session.flush()
    return org_import
