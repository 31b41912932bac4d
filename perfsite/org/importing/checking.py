"""Checking imported rows against the org chart and each other: the plan (preview).

The org rules are the services' own (org/rules.py: limits, manager loops), called here for a
whole file at once.
Rules:
- A file is read in full and checked before anything is written: every row against the
  database and against the other rows of the file. The preview says, per row, what would
  happen (create, update with the changed fields, unchanged) or what is wrong with it.
- A person is matched by username (case-insensitively). Departments are never imported:
  the department column names an existing department by its code.
- A column missing from the file leaves that field alone for existing people; an empty
  cell clears department, manager, employee number and job title. An empty roles or
  active cell keeps what an existing person has, and means staff / active for someone new
  (everyone keeps at least one role).
- Applying is all-or-nothing: the file is checked again at that moment and, if any row has
  a problem, nothing is written. The same rules as the org services apply (unique
  usernames, e-mails and employee numbers, no manager loops, at least one role), checked
  for the whole file at once, and every change is audited with the acting HR admin, with
  before and after, like the services would. New people get no password: HR resets it.
- Importing the same file twice changes nothing the second time (no audit event, no new
  version), and so does importing a fresh export.
- Deactivating a person through an import ends their sessions, as the services do.

Speed: checking reads the org chart once into dicts (a fixed number of queries).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import (
    Department,
    Person,
    PersonRole,
    Role,
)
from .. import rules as org_rules
from .reading import COLUMN_SET, COLUMNS, MAX_CELL, MAX_LENGTHS

ROLE_SEPARATORS = re.compile(r"[;；]")  # the full-width semicolon comes from Chinese IMEs
ROLE_NAMES = frozenset(role.value for role in Role)
STAFF, HR_ADMIN = Role.STAFF.value, Role.HR_ADMIN.value
TRUE_WORDS = {"yes", "y", "true", "1", "是"}
FALSE_WORDS = {"no", "n", "false", "0", "否"}

# Progress: called as progress(phase, done, total) while an import is checked and written.
CHECKING, WRITING = "checking", "writing"
Progress = Callable[[str, int, int], None]
# Progress is reported at most this many times per phase, whatever the number of rows.
PROGRESS_STEPS = 10


def no_progress(phase: str, done: int, total: int) -> None:
    return None


# Planning --------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED, PROBLEM = "create", "update", "unchanged", "problem"


@dataclass
class RowIssue:
    column: str | None
    message: str


@dataclass
class RowPlan:
    """What one row of the file would do."""

    number: int
    values: dict
    action: str = UNCHANGED
    errors: list[RowIssue] = field(default_factory=list)
    # column -> (now, after), as the file would spell them
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    person_id: int | None = None
    extra_cells: int = 0
    too_long: tuple[str, ...] = ()
    # What to write: model field -> value (manager as a username, roles as a set)
    wanted: dict = field(default_factory=dict)
    username: str = field(init=False)  # as the file spells it, stripped and lower-case

    def __post_init__(self):
        self.username = (self.values.get("username") or "").strip().lower()

    def error(self, column: str | None, message) -> None:
        self.errors.append(RowIssue(column, str(message)))


@dataclass
class Existing:
    id: int
    username: str
    display_name: str
    email: str
    employee_number: str | None
    job_title: str
    department_id: int | None
    manager_id: int | None
    active: bool
    version: int
    roles: set = field(default_factory=set)


@dataclass
class _OrgNow:
    """The org chart as the database has it, read in a fixed number of queries."""

    people: dict[str, Existing]  # by lower-case username
    by_id: dict[int, Existing]
    by_email: dict[str, Existing]
    by_number: dict[str, Existing]
    departments: dict[str, tuple[int, bool]]  # code -> (id, active)
    department_codes: dict[int, str]
    max_id: int  # the highest person id: people created later have higher ones
    # e-mail domains checked so far: validating one takes longer than everything else a
    # row needs, and a company's file names a handful of domains
    email_domains: dict[str, bool] = field(default_factory=dict)


@dataclass
class ImportPlan:
    rows: list[RowPlan]
    # The org chart the plan was made against, for applying it in the same transaction.
    org: _OrgNow | None = field(default=None, repr=False)

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)

    @property
    def has_changes(self) -> bool:
        return any(r.action in (CREATE, UPDATE) for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in (CREATE, UPDATE, UNCHANGED)}

    @property
    def fingerprint(self) -> str:
        """Identifies what committing would write, to notice a change since the preview."""
        summary = [(r.number, r.action, sorted(r.changes.items())) for r in self.rows]
        return hashlib.sha256(json.dumps(summary, ensure_ascii=False).encode()).hexdigest()


def read_org() -> _OrgNow:
    """Everything the checks need from the database, read once."""
    people = [Existing(*row) for row in db.session.execute(select(
        Person.id, Person.username, Person.display_name, Person.email, Person.employee_number,
        Person.job_title, Person.department_id, Person.manager_id, Person.active,
        Person.version))]
    by_id = {p.id: p for p in people}
    for person_id, role in db.session.execute(select(PersonRole.person_id, PersonRole.role)):
        if person_id in by_id:
            by_id[person_id].roles.add(role)
    departments = db.session.execute(select(Department.id, Department.code, Department.active))
    codes = {}
    department_codes = {}
    for dept_id, code, active in departments:
        codes[code.upper()] = (dept_id, bool(active))
        department_codes[dept_id] = code
    return _OrgNow(
        people={p.username.lower(): p for p in people},
        by_id=by_id,
        by_email={p.email.lower(): p for p in people},
        by_number={p.employee_number: p for p in people if p.employee_number},
        departments=codes,
        department_codes=department_codes,
        max_id=max(by_id, default=0),
    )


def _flag(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def roles_text(roles) -> str:
    return ";".join(sorted(roles))


def _one_line(value: str) -> str:
    """Single-line text as the org services keep it: runs of spaces and line breaks become
    one space."""
    return " ".join(value.split())


# A local part email_validator accepts as it is: dot-separated runs of these characters.
_PLAIN_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _validates(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _valid_email(email: str, domains: dict[str, bool]) -> bool:
    """email_validator's answer; for a plain ASCII address its domain's answer is reused."""
    local, at, domain = email.rpartition("@")
    if (at and len(local) <= 64 and len(email) <= 254 and domain.isascii()
            and _PLAIN_LOCAL_PART.fullmatch(local)):
        if domain not in domains:
            domains[domain] = _validates("a@" + domain)
        return domains[domain]
    return _validates(email)


def _read_row(row: RowPlan, org: _OrgNow, actor: Person | None) -> None:
    """Check one row on its own and against the database; fill row.wanted."""
    values = row.values
    existing = org.people.get(row.username)
    row.person_id = existing.id if existing else None
    if row.extra_cells:
        row.error(None, _("This row has more cells than the header has columns."))

    for column, limit in MAX_LENGTHS.items():
        if len(values.get(column) or "") > limit:
            row.error(column, _("At most %(max)d characters.", max=limit))
    for column in row.too_long:
        if column not in MAX_LENGTHS:
            row.error(column, _("At most %(max)d characters.", max=MAX_CELL))
            values.pop(column, None)  # cut short, it would only add confusing errors

    username = row.username
    if not username:
        row.error("username", _l("A username is required."))
    elif existing is None and not org_rules.USERNAME_PATTERN.match(username):
        row.error("username", org_rules.USERNAME_HINT)

    display_name = _one_line(values.get("display_name", ""))
    if not display_name:
        row.error("display_name", _l("A full name is required."))
    row.wanted["display_name"] = display_name

    email = values.get("email", "").strip().lower()
    if not email:
        row.error("email", _l("An e-mail address is required."))
    elif existing is None or email != existing.email.lower():
        if not _valid_email(email, org.email_domains):
            row.error("email", _l("This is not a valid e-mail address."))
    holder = org.by_email.get(email)
    if email and holder is not None and holder is not existing:
        row.error("email", _("%(username)s already has this e-mail address.",
                             username=holder.username))
    row.wanted["email"] = email

    if "employee_number" in values:
        number = _one_line(values["employee_number"]) or None
        holder = org.by_number.get(number) if number else None
        if holder is not None and holder is not existing:
            row.error("employee_number", _("%(username)s already has this employee number.",
                                           username=holder.username))
        row.wanted["employee_number"] = number

    if "job_title" in values:
        row.wanted["job_title"] = _one_line(values["job_title"])

    if "department" in values:
        code = values["department"].strip().upper()
        department_id = None
        if code:
            found = org.departments.get(code)
            if found is None:
                row.error("department", _("No department has the code %(code)s.",
                                          code=code[:40]))
            else:
                department_id, active = found
                if not active and (existing is None or existing.department_id != department_id):
                    row.error("department", _("Department %(code)s is deactivated.", code=code))
        row.wanted["department_id"] = department_id

    if "manager" in values:
        row.wanted["manager"] = values["manager"].strip().lower() or None

    roles_cell = (values.get("roles") or "").strip()
    if roles_cell:
        roles = {r.strip().lower() for r in ROLE_SEPARATORS.split(roles_cell) if r.strip()}
        unknown = sorted(r[:40] for r in roles if r not in ROLE_NAMES)
        if unknown:
            row.error("roles", _("Unknown role(s): %(unknown)s. Use %(known)s, separated by "
                                 "“;”.", unknown=", ".join(unknown),
                                 known=", ".join(role.value for role in Role)))
        row.wanted["roles"] = roles & ROLE_NAMES
    elif existing is None:
        row.wanted["roles"] = {STAFF}

    active_cell = (values.get("active") or "").strip()
    if active_cell:
        active = _flag(active_cell)
        if active is None:
            row.error("active", _("Write yes or no (or true/false, 1/0)."))
        else:
            row.wanted["active"] = active
    elif existing is None:
        row.wanted["active"] = True

    if actor is not None and existing is not None and existing.id == actor.id:
        if row.wanted.get("active") is False:
            row.error("active", _("You cannot deactivate yourself."))
        if "roles" in row.wanted and HR_ADMIN not in row.wanted["roles"]:
            row.error("roles", _("You cannot remove your own HR admin role."))


def _check_duplicates(rows: list[RowPlan]) -> None:
    """The same username, e-mail or employee number on two rows is a problem on both."""
    for column, key in (("username", lambda r: r.username),
                        ("email", lambda r: r.wanted.get("email")),
                        ("employee_number", lambda r: r.wanted.get("employee_number"))):
        seen: dict[str, list[RowPlan]] = {}
        for row in rows:
            value = key(row)
            if value:
                seen.setdefault(value, []).append(row)
        for same in seen.values():
            if len(same) < 2:
                continue
            for row in same:
                others = [str(o.number) for o in same if o is not row]
                shown = ", ".join(others[:10]) + (", …" if len(others) > 10 else "")
                row.error(column, _("The same value is also on row %(rows)s.", rows=shown))


# Kept under its old name: the rule is org/rules.py's (managers_in_loops).
_on_loops = org_rules.managers_in_loops


def _check_managers(rows: list[RowPlan], org: _OrgNow) -> None:
    """Resolve managers across file and database, and refuse loops in the merged chart.

    In the merged chart a person's key is their id, or a negative number for someone the
    file creates.
    """
    keys = {username: p.id for username, p in org.people.items()}
    for index, row in enumerate(rows, start=1):
        if row.username and row.username not in keys:
            keys[row.username] = -index
    usernames = {key: username for username, key in keys.items()}
    final_active = {p.id: p.active for p in org.by_id.values()}
    for row in rows:
        if row.username and "active" in row.wanted:
            final_active[keys[row.username]] = row.wanted["active"]

    managers: dict[int, int | None] = {p.id: p.manager_id for p in org.by_id.values()}
    for row in rows:
        if not row.username or "manager" not in row.wanted:
            continue
        manager = row.wanted["manager"]
        if manager is None:
            managers[keys[row.username]] = None
        elif manager not in keys:
            row.error("manager", _("No person has the username %(username)s, in the org chart "
                                   "or in this file.", username=manager[:60]))
        else:
            managers[keys[row.username]] = keys[manager]

    looped = _on_loops(managers)
    for row in rows:
        manager = row.wanted.get("manager")
        if not row.username or manager is None or manager not in keys:
            continue
        person_key, manager_key = keys[row.username], keys[manager]
        if person_key in looped:
            chain = [row.username, manager]
            current = managers.get(manager_key)
            while current is not None and current != person_key and len(chain) < 12:
                chain.append(usernames[current])
                current = managers.get(current)
            chain.append(row.username)
            row.error("manager", _("This manager would make a loop: %(chain)s.",
                                   chain=" → ".join(chain)))
            continue
        existing = org.people.get(row.username)
        changes_manager = existing is None or existing.manager_id != manager_key
        if changes_manager and not final_active.get(manager_key, True):
            row.error("manager", _("%(username)s is deactivated.", username=manager))


def _describe_changes(row: RowPlan, org: _OrgNow) -> None:
    """Decide create / update / unchanged, with the changed columns as the file spells them."""
    if row.errors:
        row.action = PROBLEM
        return
    wanted = row.wanted
    existing = org.people.get(row.username)
    if existing is None:
        row.action = CREATE
        return
    now = {
        "display_name": existing.display_name,
        "email": existing.email.lower(),
        "employee_number": existing.employee_number or "",
        "job_title": existing.job_title or "",
        "department": org.department_codes.get(existing.department_id, ""),
        "manager": org.by_id[existing.manager_id].username if existing.manager_id else "",
        "roles": roles_text(existing.roles),
        "active": yes_no(existing.active),
    }
    after = {
        "display_name": wanted["display_name"],
        "email": wanted["email"],
        "employee_number": wanted.get("employee_number") or "",
        "job_title": wanted.get("job_title", ""),
        "department": org.department_codes.get(wanted.get("department_id"), ""),
        "manager": wanted.get("manager") or "",
        "roles": roles_text(wanted.get("roles", ())),
        "active": yes_no(wanted.get("active", False)),
    }
    present = {"display_name", "email"} | {
        column for column, key in (("employee_number", "employee_number"),
                                   ("job_title", "job_title"),
                                   ("department", "department_id"), ("manager", "manager"),
                                   ("roles", "roles"), ("active", "active"))
        if key in wanted}
    row.changes = {c: (now[c], after[c]) for c in COLUMNS if c in present and now[c] != after[c]}
    row.action = UPDATE if row.changes else UNCHANGED


def progress_every(total: int) -> int:
    """Rows between two progress reports: PROGRESS_STEPS reports per phase at most."""
    return max(1, -(-total // PROGRESS_STEPS))


def plan_import(stored_rows: list[dict], *, actor: Person | None,
                progress: Progress | None = None, org: _OrgNow | None = None) -> ImportPlan:
    """What importing these rows would do now, row by row, without writing anything.

    `actor` is the HR admin who would commit (they may not deactivate themselves or drop
    their own HR role); None only checks the file against the org chart. `org` is the org
    chart read beforehand (read_org), by default now.
    """
    report = progress or no_progress
    org = org if org is not None else read_org()
    rows = []
    for stored in stored_rows:
        values = {c: str(v) for c, v in stored["values"].items() if c in COLUMN_SET}
        rows.append(RowPlan(number=stored["row"], values=values,
                            extra_cells=stored.get("extra_cells", 0),
                            too_long=tuple(stored.get("too_long", ()))))
    total, step = len(rows), progress_every(len(rows))
    report(CHECKING, 0, total)
    for done, row in enumerate(rows, start=1):
        _read_row(row, org, actor)
        if done % step == 0 and done < total:
            report(CHECKING, done, total)
    _check_duplicates(rows)
    _check_managers(rows, org)
    for row in rows:
        _describe_changes(row, org)
    report(CHECKING, total, total)
    return ImportPlan(rows, org=org)
