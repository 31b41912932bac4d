"""Company sign-in and the directory sync: who a directory login or a single sign-on is,
and keeping the org chart in step with the directory.

Rules:
- A directory login (LDAP/AD) is the person whose username (or directory entry) it names,
  if they are active in perfsite; their roles from directory groups are brought in step at
  once. Someone the directory knows but perfsite does not is refused (the next sync adds
  them).
- A role a directory group grants is recorded as such (DirectoryRole): the person page
  says so and HR cannot remove it by hand; it goes when the membership goes.
- A single sign-on names a person by one claim (OIDC_CLAIM) matched against one person
  field (OIDC_MATCH). An identity that matches no active person is refused and audited,
  unless just-in-time creation is on (OIDC_JIT): then the person is created without roles,
  for HR to place in the org chart.
- The directory sync reads everyone from the directory and goes through the org chart
  import's own preview and all-or-nothing apply (org/importer.py: plan_import,
  apply_plan), audited with the actor "directory sync". People who left (their entry gone
  or disabled) are deactivated, never deleted, and their sessions end. Each run that is not
  a dry run is recorded (DirectorySync) with its counts and problems for HR's pages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from .. import permissions as can
from ..audit.services import DIRECTORY_SYNC, SIGN_IN, record
from ..errors import Invalid
from ..extensions import db
from ..models import Department, DirectoryRole, DirectorySync, Person, PersonRole, Role
from ..org import importer
from . import directory
from .directory import DirectoryDown, DirectoryPerson, WrongCredentials

__all__ = ["DirectoryDown", "directory_login", "run_sync"]


# Roles from directory groups --------------------------------------------------------------

def directory_roles(person_ids) -> dict[int, dict[str, str]]:
    """person id -> {role: granting group DN}, for the given people."""
    ids = list(person_ids)
    if not ids:
        return {}
    found: dict[int, dict[str, str]] = {}
    for row in db.session.execute(select(DirectoryRole.person_id, DirectoryRole.role,
                                         DirectoryRole.group_dn)
                                  .where(DirectoryRole.person_id.in_(ids))):
        found.setdefault(row.person_id, {})[row.role] = row.group_dn
    return found


def wanted_roles(have: set[str], from_directory_before: set[str],
                 granted: set[str]) -> set[str]:
    """The roles someone should hold: those given by hand (what they have, less what a group
    gave before) and those their groups grant now; staff when that leaves none."""
    roles = (set(have) - set(from_directory_before)) | set(granted)
    return roles or {Role.STAFF.value}


def _store_directory_roles(person_id: int, granted: dict[str, str]) -> None:
    db.session.execute(delete(DirectoryRole).where(DirectoryRole.person_id == person_id))
    for role, group_dn in sorted(granted.items()):
        db.session.add(DirectoryRole(person_id=person_id, role=role, group_dn=group_dn[:500]))


def check_roles_by_hand(person: Person, roles) -> None:
    """HR editing roles by hand may not remove one a directory group grants."""
    if roles is None:
        return
    kept = {Role(r).value for r in roles}
    granted = directory_roles([person.id]).get(person.id, {})
    lost = sorted(role for role in granted if role not in kept)
    if lost:
        raise Invalid(_l("%(role)s comes from the directory group %(group)s; change the "
                         "membership in the directory instead.",
                         role=Role(lost[0]).label, group=granted[lost[0]]), "roles")


# Directory login --------------------------------------------------------------------------

class NotInOrgChart(Exception):
    """The directory accepted the password, but perfsite has no active person for them."""


def uses_directory(username: str) -> bool:
    """Whether the directory checks this username's password (the rule:
    permissions.signs_in_with_directory)."""
    return can.signs_in_with_directory(username)


def directory_login(username: str, password: str) -> Person | None:
    """The active person the directory signs in with this username and password, or None
    (wrong password, unknown user and a locked account alike). DirectoryDown when the
    directory cannot answer; NotInOrgChart when it accepts someone perfsite lacks."""
    try:
        entry, granted = directory.check_password(username, password)
    except WrongCredentials:
        return None
    person = db.session.scalar(select(Person).where(Person.directory_dn == entry.dn)) \
        or db.session.scalar(select(Person).where(Person.username == entry.username))
    if person is None or not person.active:
        raise NotInOrgChart(entry.username)
    bring_in_step(person, entry, {role.value: dn for role, dn in granted.items()})
    return person


def bring_in_step(person: Person, entry: DirectoryPerson, granted: dict[str, str]) -> None:
    """Link the person to their directory entry and give them the roles their groups grant
    (and only those of the directory's roles), audited as the directory sync."""
    before_roles = sorted(person.roles)
    before_granted = directory_roles([person.id]).get(person.id, {})
    person.directory_dn = entry.dn
    roles = wanted_roles({r.value for r in person.roles}, set(before_granted), set(granted))
    person.set_roles(roles)
    if before_granted != granted:
        _store_directory_roles(person.id, granted)
    if sorted(person.roles) != before_roles:
        record("person.updated", person, actor=DIRECTORY_SYNC,
               before={"roles": [r.value for r in before_roles]},
               after={"roles": sorted(r.value for r in person.roles)})


# Single sign-on ---------------------------------------------------------------------------

MATCH_FIELDS = {"email": Person.email, "username": Person.username,
                "employee_number": Person.employee_number}


class NoMatch(Exception):
    """The identity provider signed in someone who is no active person here."""


def _username_from(claims: dict) -> str:
    wanted = (claims.get("preferred_username") or claims.get("email") or "").split("@")[0]
    username = re.sub(r"[^a-z0-9._-]+", "", wanted.lower())[:50]
    if not username:
        username = "sso-" + hashlib.sha256(str(claims.get("sub")).encode()).hexdigest()[:10]
    base, number = username, 1
    while db.session.scalar(select(Person.id).where(Person.username == username)):
        number += 1
        username = f"{base}{number}"
    return username


def person_for_claims(claims: dict) -> Person:
    """The active person an ID token's claims name (OIDC_CLAIM against OIDC_MATCH), or,
    with OIDC_JIT, someone new without roles. NoMatch (audited) otherwise."""
    cfg = current_app.config
    value = str(claims.get(cfg["OIDC_CLAIM"]) or "").strip()
    column = MATCH_FIELDS.get(cfg["OIDC_MATCH"], Person.email)
    person = None
    if value:
        person = db.session.scalar(select(Person).where(func.lower(column) == value.lower()))
    if person is not None and person.active:
        return person
    if person is None and value and cfg["OIDC_JIT"]:
        email = str(claims.get("email") or "").strip().lower()
        if email and not db.session.scalar(select(Person.id).where(Person.email == email)):
            person = Person(username=_username_from(claims), email=email,
                            display_name=str(claims.get("name") or email)[:120],
                            active=True, job_title="")
            if cfg["OIDC_MATCH"] == "employee_number":
                person.employee_number = value[:30]
            db.session.add(person)
            db.session.flush()
            record("person.created", person, actor=SIGN_IN,
                   after={"username": person.username, "email": person.email,
                          "display_name": person.display_name, "roles": [],
                          "source": "single sign-on"})
            return person
    reason = "inactive" if person is not None else "no match"
    record("signin.refused", None, actor=SIGN_IN, object_type="person",
           label=value[:200] or "—",
           after={"method": "oidc", "claim": cfg["OIDC_CLAIM"], "value": value[:200],
                  "reason": reason})
    raise NoMatch(value)


# The directory sync -----------------------------------------------------------------------

@dataclass
class SyncReport:
    outcome: str  # applied / unchanged / rejected / unreachable / dry-run
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # [{"who": …, "problem": …}]
    plan: importer.ImportPlan | None = None
    new_departments: list = field(default_factory=list)
    people_seen: int = 0


def _department_code(name: str, taken: set[str]) -> str:
    code = re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[:16]
    if not code:
        code = "D-" + hashlib.sha256(name.encode()).hexdigest()[:6].upper()
    base, number = code, 1
    while code in taken:
        number += 1
        code = f"{base[:16]}-{number}"
    taken.add(code)
    return code


def _departments_for(names: set[str]) -> tuple[dict[str, str], list[str]]:
    """Each directory department's code, creating those perfsite lacks (audited as the
    directory sync; within the caller's savepoint)."""
    existing = db.session.execute(select(Department.code, Department.name)).all()
    by_name = {name.lower(): code for code, name in existing}
    by_code = {code.upper(): code for code, _name in existing}
    taken = set(by_code)
    codes, created = {}, []
    for name in sorted(names):
        if not name:
            continue
        code = by_name.get(name.lower()) or by_code.get(name.upper())
        if code is None:
            code = _department_code(name, taken)
            department = Department(code=code, name=name[:120], active=True)
            db.session.add(department)
            db.session.flush()
            record("department.created", department, actor=DIRECTORY_SYNC,
                   after={"code": code, "name": department.name})
            created.append(name)
        codes[name] = code
    return codes, created


def _what_perfsite_has(people: list[DirectoryPerson], disabled: set[str]) -> tuple[list, dict]:
    """The enabled directory entries, and what perfsite holds now that the sync compares
    them with (read in a fixed number of queries)."""
    live = [p for p in people if directory.normal_dn(p.dn) not in disabled]
    existing = {row.username: row for row in db.session.execute(
        select(Person.id, Person.username, Person.display_name, Person.email, Person.active,
               Person.directory_dn))}
    roles_now: dict[int, set[str]] = {}
    for person_id, role in db.session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles_now.setdefault(person_id, set()).add(role)
    return live, {
        "username_by_dn": {directory.normal_dn(p.dn): p.username for p in live},
        "existing": existing, "roles_now": roles_now,
        "granted_before": directory_roles(p.id for p in existing.values()),
        "departments": {p.department for p in live if p.department}}


def run_sync(*, started_by: Person | None = None, dry_run: bool = False) -> SyncReport:
    """Bring the org chart in step with the directory, all or nothing (module docstring).
    Flushes, never commits; a dry run writes nothing at all."""
    if started_by is not None:
        can.enforce(can.can_sync_directory(started_by))
    try:
        people, disabled, members = directory.everyone()
    except DirectoryDown as error:
        current_app.logger.warning("directory sync: directory not reachable: %s", error)
        report = SyncReport("unreachable", problems=[{"who": "", "problem": str(
            _l("The directory could not be reached."))}])
        return _recorded(report, started_by, dry_run)

    live, known = _what_perfsite_has(people, disabled)
    problems: list[dict] = []
    savepoint = db.session.begin_nested()
    try:
        codes, created_departments = _departments_for(known["departments"])
        rows, granted_by_username = [], {}
        seen = set()
        for number, entry in enumerate(live, start=1):
            if not entry.username:
                problems.append({"who": entry.dn, "problem": str(
                    _l("The entry has no username attribute; it was left out."))})
                continue
            seen.add(entry.username)
            manager = ""
            if entry.manager_dn:
                manager = known["username_by_dn"].get(directory.normal_dn(entry.manager_dn), "")
                if not manager:
                    problems.append({"who": entry.username, "problem": str(
                        _l("The manager %(dn)s is not a person in the directory; the manager "
                           "was left empty.", dn=entry.manager_dn))})
            granted = {role.value: dn for role, dn in directory.roles_of(entry, members).items()}
            granted_by_username[entry.username] = granted
            before = known["existing"].get(entry.username)
            if before is None:
                roles = {Role.STAFF.value} | set(granted)
            else:
                roles = wanted_roles(known["roles_now"].get(before.id, set()),
                                     set(known["granted_before"].get(before.id, {})),
                                     set(granted))
            rows.append({"row": number, "values": {
                "username": entry.username, "display_name": entry.display_name,
                "email": entry.email, "employee_number": entry.employee_number,
                "job_title": entry.title, "department": codes.get(entry.department, ""),
                "manager": manager, "roles": ";".join(sorted(roles)), "active": "yes"}})
        # Leavers: linked to the directory, and no longer (or no longer enabled) in it.
        leavers = [p for username, p in sorted(known["existing"].items())
                   if p.directory_dn and p.active and username not in seen]
        for offset, leaver in enumerate(leavers, start=len(live) + 1):
            rows.append({"row": offset, "values": {
                "username": leaver.username, "display_name": leaver.display_name,
                "email": leaver.email, "active": "no"}})

        plan = importer.plan_import(rows, actor=None)
        for row in plan.rows:
            for issue in row.errors:
                problems.append({"who": row.username, "problem": (
                    f"{issue.column}: {issue.message}" if issue.column else issue.message)})
        counts = plan.counts()
        counts["deactivated"] = sum(1 for r in plan.rows if "active" in r.changes)
        counts["departments"] = len(created_departments)
        report = SyncReport("dry-run" if dry_run else "applied", counts=counts,
                            problems=problems, plan=plan, people_seen=len(live),
                            new_departments=created_departments)
        if plan.has_errors:
            report.outcome = "rejected" if not dry_run else "dry-run"
            savepoint.rollback()
            return _recorded(report, started_by, dry_run)
        if dry_run:
            savepoint.rollback()
            return report
        importer.apply_plan(plan, actor=DIRECTORY_SYNC)
        _link_entries(live, granted_by_username)
        if not (plan.has_changes or created_departments):
            report.outcome = "unchanged"
        savepoint.commit()
    except Exception:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    return _recorded(report, started_by, dry_run)


def _link_entries(live: list[DirectoryPerson], granted_by_username: dict) -> None:
    """Each synced person's directory entry and the roles their groups grant."""
    ids = dict(db.session.execute(select(Person.username, Person.id)
                                  .where(Person.username.in_([p.username for p in live]))).all())
    links = dict(db.session.execute(select(Person.id, Person.directory_dn)
                                    .where(Person.id.in_(ids.values()))).all())
    before = directory_roles(ids.values())
    for entry in live:
        person_id = ids.get(entry.username)
        if person_id is None:
            continue
        if links.get(person_id) != entry.dn:
            db.session.execute(update(Person).where(Person.id == person_id)
                               .values(directory_dn=entry.dn)
                               .execution_options(synchronize_session=False))
        granted = granted_by_username.get(entry.username, {})
        if before.get(person_id, {}) != granted:
            _store_directory_roles(person_id, granted)
    db.session.flush()


def _recorded(report: SyncReport, started_by: Person | None, dry_run: bool) -> SyncReport:
    if not dry_run:
        db.session.add(DirectorySync(started_by_id=started_by.id if started_by else None,
                                     outcome=report.outcome, counts=report.counts,
                                     problems=report.problems[:200],
                                     people_seen=report.people_seen))
        db.session.flush()
    return report


SYNC_OUTCOMES = {"applied": _l("applied"), "unchanged": _l("nothing to change"),
                 "rejected": _l("refused: nothing was changed"),
                 "unreachable": _l("the directory could not be reached")}


def last_sync() -> DirectorySync | None:
    return db.session.scalar(select(DirectorySync).order_by(DirectorySync.started_at.desc(),
                                                            DirectorySync.id.desc()).limit(1))
