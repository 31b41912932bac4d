"""Importing the org chart from a CSV or XLSX file, and exporting it to CSV.

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
  a problem, nothing is written. People are created and updated through the org services,
  so the usual rules and audit events apply; managers come before their reports, so no
  transient loop is ever written. New people get no password: HR resets it.
- Importing the same file twice changes nothing the second time (no audit event, no new
  version), and so does importing a fresh export.
- A person is deactivated or reactivated through the services that end their sessions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Department, OrgImport, Person, PersonRole, Role, utcnow
from . import services
from .services import OrgError, manager_would_loop

COLUMNS = ("username", "display_name", "email", "employee_number", "job_title", "department",
           "manager", "roles", "active")
REQUIRED_COLUMNS = ("username", "display_name", "email")
MAX_BYTES = 2 * 1024 * 1024
# Each row goes through the org services (checks, audit) one by one inside the request;
# beyond this many rows that takes too long for one request.
MAX_ROWS = 2000
# An XLSX sheet can carry a million formatted but empty rows; this many blank rows in a
# row end the data.
_BLANK_RUN_ENDS_SHEET = 1000

ROLE_SEPARATORS = re.compile(r"[;；]")  # the full-width semicolon comes from Chinese IMEs
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]+$")
TRUE_WORDS = {"yes", "y", "true", "1", "是"}
FALSE_WORDS = {"no", "n", "false", "0", "否"}
# Cells starting with these are formulas to a spreadsheet; the export quotes them with "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_LENGTHS = {"username": 60, "display_name": 120, "email": 254, "employee_number": 30,
               "job_title": 120}

SAMPLE_ROWS = [
    ("wang.lei", "王磊", "wang.lei@example.com", "E1001", "Engineering manager", "ENG", "",
     "head;staff", "yes"),
    ("zhao.min", "赵敏", "zhao.min@example.com", "E1002", "Software engineer", "ENG",
     "wang.lei", "staff", "yes"),
    ("sarah.ng", "Sarah Ng", "sarah.ng@example.com", "E1003", "Account manager", "SALES",
     "", "staff", "yes"),
]


class ImportFileError(OrgError):
    """The file as a whole cannot be read (format, size, header); nothing was stored."""


class ImportRejected(Exception):
    """At least one row has a problem, so nothing was written; `plan` says which."""

    def __init__(self, plan: ImportPlan):
        super().__init__("the import has rows with problems")
        self.plan = plan


class PlanChanged(Exception):
    """The org chart changed between preview and commit; `plan` is the new preview."""

    def __init__(self, plan: ImportPlan):
        super().__init__("the org chart changed since the preview")
        self.plan = plan


# Reading files ---------------------------------------------------------------------------

def parse_file(filename: str, data: bytes) -> list[dict]:
    """The data rows of a CSV or XLSX file as [{"row": n, "values": {column: text}}].

    `row` is the line number a spreadsheet shows (the header is row 1 when it comes first).
    Raises ImportFileError when the file is too large, unreadable, or its header is wrong.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(size)s MB. Split it into smaller "
                                "files.", size=MAX_BYTES // (1024 * 1024)), "file")
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(data)
    else:
        lines = _csv_lines(data)
    return _rows_from_lines(lines)


def _csv_lines(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. In Excel, save it as "
                                "“CSV UTF-8 (comma delimited)”, or upload the .xlsx file."),
                              "file") from None
    try:
        # A list, so that a csv.Error surfaces here rather than while rows are checked.
        return list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as error:
        raise ImportFileError(_("The CSV file could not be read: %(error)s", error=str(error)),
                              "file") from None


def _xlsx_lines(data: bytes):
    import openpyxl  # only needed for spreadsheets

    unreadable = ImportFileError(_("The file is not a readable .xlsx workbook."), "file")
    # The file comes from a user: whatever a broken workbook raises is their problem to fix,
    # not a server error.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise unreadable from None
    try:
        lines, blank_run = [], 0
        for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True),
                                        start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                blank_run += 1
                if blank_run > _BLANK_RUN_ENDS_SHEET:
                    break
                continue
            blank_run = 0
            lines.append((number, cells))
            if len(lines) > MAX_ROWS + 1:
                break  # the header and more rows than allowed: _rows_from_lines says so
        return lines
    except Exception:
        raise unreadable from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an employee number typed as a number: 1001, not 1001.0
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _rows_from_lines(lines) -> list[dict]:
    lines = [(n, [c.strip() for c in cells]) for n, cells in lines]
    lines = [(n, cells) for n, cells in lines if any(cells)]
    if not lines:
        raise ImportFileError(_("The file is empty."), "file")
    header_number, header_cells = lines[0]
    header = [_header_name(c) for c in header_cells]
    named = [h for h in header if h]
    unknown = sorted({h for h in named if h not in COLUMNS})
    if unknown:
        raise ImportFileError(_("Unknown column(s) in row %(row)d: %(unknown)s. The columns "
                                "are: %(columns)s.", row=header_number,
                                unknown=", ".join(unknown), columns=", ".join(COLUMNS)), "file")
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise ImportFileError(_("These columns appear more than once: %(columns)s.",
                                columns=", ".join(repeated)), "file")
    missing = [c for c in REQUIRED_COLUMNS if c not in named]
    if missing:
        raise ImportFileError(_("The first row must name the columns; these are missing: "
                                "%(columns)s.", columns=", ".join(missing)), "file")
    data_lines = lines[1:]
    if not data_lines:
        raise ImportFileError(_("The file has no rows below the header."), "file")
    if len(data_lines) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(max)d rows. Split it into smaller "
                                "files.", max=MAX_ROWS), "file")
    rows = []
    for number, cells in data_lines:
        values = {name: "" for name in named}
        extra = 0
        for position, cell in enumerate(cells):
            name = header[position] if position < len(header) else ""
            if name:
                values[name] = _unquote_formula(cell)
            elif cell:
                extra += 1
        row = {"row": number, "values": values}
        if extra:
            row["extra_cells"] = extra
        rows.append(row)
    return rows


def _reads_as_formula(cell: str) -> bool:
    """Would a spreadsheet run this cell (or, once the export's "'" is taken off, read it
    as one that was quoted)? Quotes before quotes keep the round trip exact."""
    return cell.startswith(FORMULA_STARTS) or (
        cell.startswith("'") and _reads_as_formula(cell[1:]))


def _unquote_formula(cell: str) -> str:
    """Undo the "'" the export puts before a cell that would otherwise be a formula."""
    if cell.startswith("'") and _reads_as_formula(cell[1:]):
        return cell[1:]
    return cell


def store_upload(filename: str, data: bytes, uploader: Person) -> OrgImport:
    """Parse the file and keep its rows for the preview; nothing in the org chart changes."""
    rows = parse_file(filename, data)
    # Some browsers send the whole client-side path; keep only the file's own name.
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
    org_import = OrgImport(filename=filename[:255], rows=rows,
                           created_by_id=uploader.id)
    db.session.add(org_import)
    db.session.flush()
    return org_import


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
    # What to write: model field -> value (manager as a username, roles as a set)
    wanted: dict = field(default_factory=dict)

    @property
    def username(self) -> str:
        return (self.values.get("username") or "").strip().lower()

    def error(self, column: str | None, message) -> None:
        self.errors.append(RowIssue(column, str(message)))


@dataclass
class ImportPlan:
    rows: list[RowPlan]

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)

    @property
    def has_changes(self) -> bool:
        return any(r.action in (CREATE, UPDATE) for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def fingerprint(self) -> str:
        """Identifies what committing would write, to notice a change since the preview."""
        summary = [(r.number, r.action, sorted(r.changes.items())) for r in self.rows]
        return hashlib.sha256(json.dumps(summary, ensure_ascii=False).encode()).hexdigest()


@dataclass
class _Existing:
    id: int
    username: str
    display_name: str
    email: str
    employee_number: str | None
    job_title: str
    department_id: int | None
    manager_id: int | None
    active: bool
    roles: set = field(default_factory=set)


@dataclass
class _OrgNow:
    """The org chart as the database has it, read in a fixed number of queries."""

    people: dict[str, _Existing]  # by lower-case username
    by_id: dict[int, _Existing]
    by_email: dict[str, _Existing]
    by_number: dict[str, _Existing]
    departments: dict[str, tuple[int, bool]]  # code -> (id, active)
    department_codes: dict[int, str]


def _read_org() -> _OrgNow:
    people = [_Existing(*row) for row in db.session.execute(select(
        Person.id, Person.username, Person.display_name, Person.email, Person.employee_number,
        Person.job_title, Person.department_id, Person.manager_id, Person.active))]
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
    )


def _flag(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _roles_text(roles) -> str:
    return ";".join(sorted(roles))


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

    username = row.username
    if not username:
        row.error("username", _l("A username is required."))
    elif existing is None and not USERNAME_PATTERN.match(username):
        row.error("username", _l("Use letters, digits, dots, dashes and underscores only."))

    display_name = values.get("display_name", "").strip()
    if not display_name:
        row.error("display_name", _l("A full name is required."))
    row.wanted["display_name"] = display_name

    email = values.get("email", "").strip().lower()
    if not email:
        row.error("email", _l("An e-mail address is required."))
    elif existing is None or email != existing.email.lower():
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            row.error("email", _l("This is not a valid e-mail address."))
    holder = org.by_email.get(email)
    if email and holder is not None and holder is not existing:
        row.error("email", _("%(username)s already has this e-mail address.",
                             username=holder.username))
    row.wanted["email"] = email

    if "employee_number" in values:
        number = values["employee_number"].strip() or None
        holder = org.by_number.get(number) if number else None
        if holder is not None and holder is not existing:
            row.error("employee_number", _("%(username)s already has this employee number.",
                                           username=holder.username))
        row.wanted["employee_number"] = number

    if "job_title" in values:
        row.wanted["job_title"] = values["job_title"].strip()

    if "department" in values:
        code = values["department"].strip().upper()
        department_id = None
        if code:
            found = org.departments.get(code)
            if found is None:
                row.error("department", _("No department has the code %(code)s.", code=code))
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
        unknown = sorted(r for r in roles if r not in {role.value for role in Role})
        if unknown:
            row.error("roles", _("Unknown role(s): %(unknown)s. Use %(known)s, separated by "
                                 "“;”.", unknown=", ".join(unknown),
                                 known=", ".join(role.value for role in Role)))
        row.wanted["roles"] = roles - set(unknown)
    elif existing is None:
        row.wanted["roles"] = {Role.STAFF.value}

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
        if "roles" in row.wanted and Role.HR_ADMIN.value not in row.wanted["roles"]:
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
                others = ", ".join(str(o.number) for o in same if o is not row)
                row.error(column, _("The same value is also on row %(rows)s.", rows=others))


def _check_managers(rows: list[RowPlan], org: _OrgNow) -> dict[str, int | None]:
    """Resolve managers across file and database, and refuse loops in the merged chart.

    Returns the merged chart as person key -> manager key, where a key is the person's id,
    or a negative number for someone the file creates.
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
                                   "or in this file.", username=manager))
        else:
            managers[keys[row.username]] = keys[manager]

    for row in rows:
        manager = row.wanted.get("manager")
        if not row.username or manager is None or manager not in keys:
            continue
        person_key, manager_key = keys[row.username], keys[manager]
        if manager_would_loop(person_key, manager_key, managers):
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
    return managers


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
        "roles": _roles_text(existing.roles),
        "active": _yes_no(existing.active),
    }
    after = {
        "display_name": wanted["display_name"],
        "email": wanted["email"],
        "employee_number": wanted.get("employee_number") or "",
        "job_title": wanted.get("job_title", ""),
        "department": org.department_codes.get(wanted.get("department_id"), ""),
        "manager": wanted.get("manager") or "",
        "roles": _roles_text(wanted.get("roles", ())),
        "active": _yes_no(wanted.get("active", False)),
    }
    present = {"display_name", "email"} | {
        column for column, key in (("employee_number", "employee_number"),
                                   ("job_title", "job_title"),
                                   ("department", "department_id"), ("manager", "manager"),
                                   ("roles", "roles"), ("active", "active"))
        if key in wanted}
    row.changes = {c: (now[c], after[c]) for c in COLUMNS if c in present and now[c] != after[c]}
    row.action = UPDATE if row.changes else UNCHANGED


def plan_import(stored_rows: list[dict], actor: Person | None = None) -> ImportPlan:
    """What importing these rows would do now, row by row, without writing anything."""
    org = _read_org()
    rows = []
    for stored in stored_rows:
        values = {c: str(stored["values"].get(c, "")) for c in COLUMNS if c in stored["values"]}
        rows.append(RowPlan(number=stored["row"], values=values,
                            extra_cells=stored.get("extra_cells", 0)))
    for row in rows:
        _read_row(row, org, actor)
    _check_duplicates(rows)
    _check_managers(rows, org)
    for row in rows:
        _describe_changes(row, org)
    return ImportPlan(rows)


# Applying --------------------------------------------------------------------------------

def _managers_first(rows: list[RowPlan]) -> list[RowPlan]:
    """Rows ordered so that whoever the file makes someone's manager comes before them.

    Applied in this order, every manager chain written is already the final, loop-free one.
    """
    by_username = {r.username: r for r in rows}
    ordered, placed = [], set()
    for row in rows:
        # Walk up to the first manager already placed (or outside the rows), then place
        # that chain top-down. The plan has no loops; `chain` guards against one anyway.
        chain, on_chain, current = [], set(), row
        while (current is not None and current.username not in placed
               and current.username not in on_chain):
            chain.append(current)
            on_chain.add(current.username)
            current = by_username.get(current.wanted.get("manager") or "")
        for link in reversed(chain):
            placed.add(link.username)
            ordered.append(link)
    return ordered


def apply_plan(plan: ImportPlan) -> None:
    """Write an error-free plan through the org services; flushes, never commits."""
    if plan.has_errors:
        raise ImportRejected(plan)
    pending = [r for r in plan.rows if r.action in (CREATE, UPDATE)]
    ids = dict(db.session.execute(select(Person.username, Person.id)).tuples().all())
    ids = {username.lower(): person_id for username, person_id in ids.items()}
    updated = {r.person_id for r in pending if r.action == UPDATE}
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_(updated)))} if updated else {}
    for row in _managers_first(pending):
        try:
            if row.action == CREATE:
                ids[row.username] = _create(row, ids).id  # create_person flushes
            else:
                _update(people[row.person_id], row, ids)
                # The services check against the database without autoflush: write each
                # update before the next row is checked.
                db.session.flush()
        except OrgError as error:
            # A rule the preview did not foresee (or a change made meanwhile): blame the
            # column the service named.
            row.error(SERVICE_FIELD_COLUMNS.get(error.field, error.field), str(error))
            row.action = PROBLEM
            raise ImportRejected(plan) from error


SERVICE_FIELD_COLUMNS = {"department_id": "department", "manager_id": "manager"}


def _fields(row: RowPlan, ids: dict[str, int]) -> dict:
    fields = {k: v for k, v in row.wanted.items() if k not in ("manager", "roles")}
    if "manager" in row.wanted:
        manager = row.wanted["manager"]
        fields["manager_id"] = ids[manager] if manager else None
    return fields


def _create(row: RowPlan, ids: dict[str, int]) -> Person:
    return services.create_person(username=row.username, roles=sorted(row.wanted["roles"]),
                                  password_hash=None, **_fields(row, ids))


def _update(person: Person, row: RowPlan, ids: dict[str, int]) -> None:
    column_fields = {"display_name": ["display_name"], "email": ["email"],
                     "employee_number": ["employee_number"], "job_title": ["job_title"],
                     "department": ["department_id"], "manager": ["manager_id"]}
    fields = _fields(row, ids)
    changed = {key: fields[key] for column in row.changes
               for key in column_fields.get(column, ())}
    roles = row.wanted["roles"] if "roles" in row.changes else None
    if changed or roles is not None:
        services.update_person(person, roles=roles, **changed)
    if "active" in row.changes:
        if row.wanted["active"]:
            services.activate_person(person)
        else:
            services.deactivate_person(person)


def commit_import(org_import: OrgImport, actor: Person | None = None,
                  expected_fingerprint: str | None = None) -> ImportPlan:
    """Apply an uploaded import once, all or nothing; flushes, never commits.

    The rows are checked again now. ImportRejected when a row has a problem, PlanChanged
    when what would be written differs from the preview the HR admin confirmed. An import
    that was already committed is not applied again.
    """
    if org_import.committed_at is not None:
        raise OrgError(_l("This import was already committed."))
    plan = plan_import(org_import.rows, actor=actor)
    if plan.has_errors:
        raise ImportRejected(plan)
    if expected_fingerprint is not None and expected_fingerprint != plan.fingerprint:
        raise PlanChanged(plan)
    apply_plan(plan)
    org_import.committed_at = utcnow()
    db.session.flush()
    return plan


# Exporting -------------------------------------------------------------------------------

def export_rows() -> list[list[str]]:
    """Everyone, active or not, in the import's columns, so that re-importing changes nothing."""
    manager = aliased(Person)
    people = db.session.execute(
        select(Person.id, Person.username, Person.display_name, Person.email,
               Person.employee_number, Person.job_title, Department.code, manager.username,
               Person.active)
        .outerjoin(Department, Person.department_id == Department.id)
        .outerjoin(manager, Person.manager_id == manager.id)
        .order_by(Person.username)
    ).all()
    roles: dict[int, set[str]] = {}
    for person_id, role in db.session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles.setdefault(person_id, set()).add(role)
    return [
        [username, name, email, number or "", title or "", code or "", manager_name or "",
         _roles_text(roles.get(person_id, ())), _yes_no(active)]
        for person_id, username, name, email, number, title, code, manager_name, active in people
    ]


def _quote_formula(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + cell if _reads_as_formula(cell) else cell


def to_csv(rows) -> str:
    """CSV text with a BOM, so that Excel opens Chinese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_quote_formula(str(cell)) for cell in row])
    return "\ufeff" + buffer.getvalue()


def export_csv() -> str:
    return to_csv(export_rows())


def sample_csv() -> str:
    return to_csv(SAMPLE_ROWS)
