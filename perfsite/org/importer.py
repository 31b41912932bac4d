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
  a problem, nothing is written. The same rules as the org services apply (unique
  usernames, e-mails and employee numbers, no manager loops, at least one role), checked
  for the whole file at once, and every change is audited with the acting HR admin, with
  before and after, like the services would. New people get no password: HR resets it.
- Importing the same file twice changes nothing the second time (no audit event, no new
  version), and so does importing a fresh export.
- Deactivating a person through an import ends their sessions, as the services do.

Limits (whatever a file contains, reading it stays within a few seconds and a few MB beyond
the file): MAX_BYTES per file, MAX_ROWS rows, MAX_CELL characters per cell (a row error; the
columns in MAX_LENGTHS are tighter), the first MAX_COLUMNS cells of a row, MAX_TEXT
characters kept in all, PARSE_SECONDS of reading; control characters (NUL included) are
removed from every cell. An XLSX workbook is unpacked only after its parts' sizes are
checked, and read by a small streaming reader (openpyxl, even read-only, parses every cell
of a 16,384-column row and took half a minute on a 1.2 million-cell sheet): the first
sheet's values only, dates as the numbers Excel stores.

Speed: checking reads the org chart once into dicts (a fixed number of queries); writing
is a fixed number of bulk statements however many rows there are (perfsite/org/
import_jobs.py runs it in the background and reports progress).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, bindparam, delete, insert, inspect, select, text, update
from sqlalchemy.orm import aliased

from .. import permissions as can
from ..audit.services import changed, record
from ..coaching.services import kept_todos
from ..errors import (  # noqa: F401  (the import's own errors, raised and caught by name here)
    Conflict,
    ImportFileError,
    ImportRejected,
    Invalid,
    PlanChanged,
    StateError,
)
from ..extensions import db
from ..models import (
    AuditEvent,
    Department,
    LoginSession,
    OrgImport,
    Person,
    PersonRole,
    Role,
    utcnow,
)
from . import rules as org_rules

COLUMNS = ("username", "display_name", "email", "employee_number", "job_title", "department",
           "manager", "roles", "active")
_COLUMN_SET = frozenset(COLUMNS)
REQUIRED_COLUMNS = ("username", "display_name", "email")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# Characters in one cell; longer is a row error. MAX_LENGTHS is tighter where the database is.
MAX_CELL = 500
MAX_LENGTHS = org_rules.PERSON_LIMITS  # the services' limits (org/rules.py)
# Cells read from each row: the header's columns must be among them; the rest is not read.
MAX_COLUMNS = 20
# Characters kept from all cells together (what the OrgImport row stores).
MAX_TEXT = 8 * 1024 * 1024
# Wall-clock time reading one file may take.
PARSE_SECONDS = 5.0
# Commas on one line of a CSV file: more means a row of thousands of empty cells.
CSV_MAX_COMMAS = 1000
# An XLSX file is a zip: the parts read (the sheet, its strings), and all parts together,
# unpacked; and how many parts there may be (each costs memory before anything is read).
XLSX_MAX_PART = 40 * 1024 * 1024
XLSX_MAX_TOTAL = 100 * 1024 * 1024
XLSX_MAX_PARTS = 1000
# An XLSX sheet can carry a million formatted but empty rows; this many blank rows in a
# row end the data.
_BLANK_RUN_ENDS_SHEET = 1000

ROLE_SEPARATORS = re.compile(r"[;；]")  # the full-width semicolon comes from Chinese IMEs
ROLE_NAMES = frozenset(role.value for role in Role)
STAFF, HR_ADMIN = Role.STAFF.value, Role.HR_ADMIN.value
TRUE_WORDS = {"yes", "y", "true", "1", "是"}
FALSE_WORDS = {"no", "n", "false", "0", "否"}
# Cells starting with these are formulas to a spreadsheet; the export quotes them with "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls except tab and newline (NUL included: PostgreSQL refuses it in text), DEL and
# C1 controls: removed from every cell, as perfsite/rules.py does for form fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Employee numbers and usernames that the demo company (perfsite/demo.py) does not use, so
# that the sample imports cleanly there.
SAMPLE_ROWS = [
    ("wang.lei", "王磊", "wang.lei@example.com", "S9001", "Engineering manager", "ENG", "",
     "head;staff", "yes"),
    ("zhao.min", "赵敏", "zhao.min@example.com", "S9002", "Software engineer", "ENG",
     "wang.lei", "staff", "yes"),
    ("sarah.ng", "Sarah Ng", "sarah.ng@example.com", "S9003", "Account manager", "SALES",
     "", "staff", "yes"),
]

_clock = time.monotonic  # tests replace it to run out of time without waiting


# Progress: called as progress(phase, done, total) while an import is checked and written.
CHECKING, WRITING = "checking", "writing"
Progress = Callable[[str, int, int], None]
# Progress is reported at most this many times per phase, whatever the number of rows.
PROGRESS_STEPS = 10


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


# Reading files ---------------------------------------------------------------------------

class _Budget:
    """The wall-clock time one file may take to read."""

    def __init__(self):
        self.ends = _clock() + PARSE_SECONDS

    def check(self) -> None:
        if _clock() > self.ends:
            raise ImportFileError(_(
                "Reading the file took longer than %(seconds)d seconds, so it was stopped. "
                "Remove other sheets, columns and formatting, save it as CSV (quicker to "
                "read), or split the file.",
                seconds=PARSE_SECONDS))


class _Cut(str):
    """A cell cut short while reading: it was longer than any cell may be."""


def parse_file(filename: str, data: bytes) -> list[dict]:
    """The data rows of a CSV or XLSX file as [{"row": n, "values": {column: text}}].

    `row` is the line number a spreadsheet shows (the header is row 1 when it comes first).
    A row may also carry "extra_cells" (cells outside the header's columns) and "too_long"
    (columns whose cell was cut at MAX_CELL characters). Only the header's columns are
    kept. Raises ImportFileError when the file is too large, unreadable, too slow to read
    or its header is wrong.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(size)s MB. Split it into smaller "
                                "files.", size=MAX_BYTES // (1024 * 1024)))
    budget = _Budget()
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(data, budget)
    else:
        lines = _csv_lines(data, budget)
    return _rows_from_lines(lines, budget)


# A line of text with its line break; the last line may have none.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _csv_lines(data: bytes, budget: _Budget) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. In Excel, save it as "
                                "“CSV UTF-8 (comma delimited)”, or upload the .xlsx file.")
                              ) from None

    def physical_lines():
        for count, match in enumerate(_LINE.finditer(text), start=1):
            line = match.group()
            if line.count(",") > CSV_MAX_COMMAS:
                raise ImportFileError(_("Line %(line)d has more than %(max)d columns.",
                                        line=count, max=CSV_MAX_COMMAS))
            if count % 1000 == 0:
                budget.check()
            yield line

    try:
        for number, cells in enumerate(csv.reader(physical_lines()), start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file could not be read: %(error)s",
                                error=str(error))) from None


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _read_header(number: int, cells: list[str]) -> list[str]:
    header = [_header_name(c) for c in cells]
    named = [h for h in header if h]
    unknown = sorted({h[:40] for h in named if h not in COLUMNS})
    if unknown:
        raise ImportFileError(_("Unknown column(s) in row %(row)d: %(unknown)s. The columns "
                                "are: %(columns)s.", row=number, unknown=", ".join(unknown),
                                columns=", ".join(COLUMNS)))
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise ImportFileError(_("These columns appear more than once: %(columns)s.",
                                columns=", ".join(repeated)))
    missing = [c for c in REQUIRED_COLUMNS if c not in named]
    if missing:
        raise ImportFileError(_("The first row must name the columns; these are missing: "
                                "%(columns)s.", columns=", ".join(missing)))
    return header


def _rows_from_lines(lines, budget: _Budget) -> list[dict]:
    header: list[str] | None = None
    named: list[str] = []
    rows: list[dict] = []
    kept = 0
    for number, raw in lines:
        cells = [c.strip() if c.isprintable() else _CONTROL.sub("", c).strip() for c in raw]
        if not any(cells):
            continue
        if header is None:
            header = _read_header(number, cells)
            named = [h for h in header if h]
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)d rows. Split it into "
                                    "smaller files.", max=MAX_ROWS))
        values = dict.fromkeys(named, "")
        too_long, extra = [], 0
        for name, cell, original in zip(header, cells, raw, strict=False):
            if not name:
                extra += bool(cell)
                continue
            if cell[:1] == "'":
                cell = _unquote_formula(cell)
            if len(cell) > MAX_CELL or type(original) is _Cut:
                too_long.append(name)
                cell = cell[:MAX_CELL]
            values[name] = cell
            kept += len(cell)
        extra += sum(1 for cell in cells[len(header):] if cell)
        if kept > MAX_TEXT:
            raise ImportFileError(_("The file holds more text than one import may keep "
                                    "(%(mb)d MB). Split it into smaller files.",
                                    mb=MAX_TEXT // (1024 * 1024)))
        row = {"row": number, "values": values}
        if extra:
            row["extra_cells"] = extra
        if too_long:
            row["too_long"] = too_long
        rows.append(row)
        if len(rows) % 1000 == 0:
            budget.check()
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has no rows below the header."))
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


# XLSX: a zip of XML parts, read with expat as a stream ---------------------------------------

_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_SHARED_STRINGS = "/sharedStrings"
# Characters of XML text kept per cell before it counts as cut: room for Excel's _xHHHH_
# escapes (seven characters for one) of a cell of MAX_CELL characters.
_RAW_CELL = 8 * MAX_CELL + 8
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class _StopReading(Exception):
    """Raised inside an expat handler: what follows is not needed."""


def _unreadable() -> ImportFileError:
    return ImportFileError(_("The file is not a readable .xlsx workbook."))


def _zip_entry_count(data: bytes) -> int | None:
    """How many parts the zip's end record announces, read before unpacking anything."""
    tail = data[-(65535 + 22):]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return struct.unpack_from("<H", tail, at + 10)[0]


def _xlsx_lines(data: bytes, budget: _Budget) -> Iterator[tuple[int, list[str]]]:
    entries = _zip_entry_count(data)
    if entries is None:
        raise _unreadable()
    if entries > XLSX_MAX_PARTS:  # 0xFFFF (zip64) included: no workbook needs that many
        raise ImportFileError(_("The workbook has more than %(max)d parts.",
                                max=XLSX_MAX_PARTS))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _unreadable() from None
    # Before anything is unpacked: a few KB can hold a part of gigabytes.
    if any(p.file_size > XLSX_MAX_PART for p in parts):
        raise _too_large_unpacked(XLSX_MAX_PART)
    if sum(p.file_size for p in parts) > XLSX_MAX_TOTAL:
        raise _too_large_unpacked(XLSX_MAX_TOTAL)
    # The file comes from a user: whatever a broken workbook raises is their problem to fix,
    # not a server error.
    try:
        sheet, strings = _first_sheet(archive, budget)
        rows, wanted = _read_sheet(archive, sheet, budget)
        shared = _shared_strings(archive, strings, wanted, budget) if wanted else {}
    except ImportFileError:
        raise
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError,
            EOFError, NotImplementedError, RuntimeError, UnicodeError):
        raise _unreadable() from None
    for number, cells in rows:
        yield number, [shared.get(c, "") if isinstance(c, int) else c for c in cells]


def _too_large_unpacked(limit: int) -> ImportFileError:
    return ImportFileError(_("Unpacked, the workbook is larger than %(mb)d MB. Remove other "
                             "sheets, pictures and formatting, or save it as CSV.",
                             mb=limit // (1024 * 1024)))


def _expat(start=None, end=None, text=None):
    # Without namespace processing (it doubles the time): names come as written, perhaps
    # with a prefix ("x:c"), which _local() takes off.
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse_doctype(*args):
        # Workbooks have no DOCTYPE; one could declare entities that expand without end.
        raise _unreadable()

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _feed(archive: zipfile.ZipFile, name: str, parser, budget: _Budget) -> None:
    """Stream one part of the zip through `parser`, within the size and time limits."""
    info = archive.getinfo(name)
    if info.file_size > XLSX_MAX_PART:
        raise _too_large_unpacked(XLSX_MAX_PART)
    unpacked = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 16):
                unpacked += len(chunk)
                if unpacked > XLSX_MAX_PART:  # zipfile checks the declared size too
                    raise _too_large_unpacked(XLSX_MAX_PART)
                parser.Parse(chunk, False)
                budget.check()
        parser.Parse(b"", True)
    except _StopReading:
        pass


def _local(name: str) -> str:
    return name[name.rindex(":") + 1:] if ":" in name else name


def _relationships(archive, budget, owner: str) -> dict[str, tuple[str, str]]:
    """The relationships of the part `owner`: id -> (type, target path in the zip)."""
    folder, base = posixpath.split(owner)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(name, attrs):
        if _local(name) == "Relationship":
            target = attrs.get("Target", "")
            path = (target.lstrip("/") if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target)))
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), path)

    try:
        archive.getinfo(rels_path)
    except KeyError:
        return found
    _feed(archive, rels_path, _expat(start=start), budget)
    return found


def _first_sheet(archive: zipfile.ZipFile, budget: _Budget) -> tuple[str, str | None]:
    """The first sheet's part and the shared strings' part (None when there are none)."""
    workbook = next((path for kind, path in _relationships(archive, budget, "").values()
                     if kind.endswith(_REL_OFFICE_DOCUMENT)), "xl/workbook.xml")
    sheet_ids: list[str] = []

    def start(name, attrs):
        if _local(name) == "sheet" and not sheet_ids:
            sheet_ids.extend(v for k, v in attrs.items() if ":" in k and _local(k) == "id")

    _feed(archive, workbook, _expat(start=start), budget)
    relationships = _relationships(archive, budget, workbook)
    if not sheet_ids or sheet_ids[0] not in relationships:
        raise _unreadable()
    strings = next((path for kind, path in relationships.values()
                    if kind.endswith(_REL_SHARED_STRINGS)), None)
    return relationships[sheet_ids[0]][1], strings


def _column_number(letters: str) -> int:
    """1 for "A", 28 for "AB"; beyond MAX_COLUMNS for anything else."""
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isupper()):
        return MAX_COLUMNS + 1
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _xml_text(raw: str, cut: bool) -> str:
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw) if "_x" in raw else raw
    if cut or len(text) > MAX_CELL + 1:
        return _Cut(text[:MAX_CELL + 1])
    return text


def _number_text(raw: str) -> str:
    """A number as a person typed it: 1001, not 1001.0."""
    try:
        if any(c in raw for c in ".eE"):
            number = float(raw)
            return str(int(number)) if number.is_integer() else str(number)
        return str(int(raw))
    except (ValueError, OverflowError):
        return raw


def _read_sheet(archive, path: str, budget: _Budget) -> tuple[list[tuple[int, list]], set[int]]:
    """A sheet's rows as (row number, cells), a cell being text or the index of a shared
    string (resolved afterwards), and the indexes used. Only the first MAX_COLUMNS cells of
    a row and only rows with a value are kept; MAX_ROWS + 1 rows (header included) at most.

    This is the import's hottest loop, so it listens to element starts only (a cell ends
    where the next cell, row or other element begins) and keeps its state in closures.
    """
    rows: list[tuple[int, list]] = []
    wanted: set[int] = set()
    columns: dict[str, int] = {}  # column letters -> number, as met
    cells: dict[int, object] = {}
    text: list[str] = []
    # 0 row number, 1 last row with a value, 2 column, 3 keep this cell, 4 its type,
    # 5 inside its value, 6 past its value (phonetic text follows), 7 characters collected,
    # 8 inside a row, 9 reading stopped
    state = [0, 0, 0, False, "n", False, False, 0, False, False]

    def start(name, attrs):
        if ":" in name:
            name = _local(name)
        if name == "c":
            if text:  # the previous cell ends here (end_cell, inlined: the hottest path)
                if state[3]:
                    cells[state[2]] = value()
                text.clear()
                state[7] = 0
            state[5] = False
            reference = attrs.get("r")
            if reference:
                letters = reference.rstrip("0123456789")
                column = columns.get(letters)
                if column is None:
                    column = _column_number(letters)
                    if len(columns) < 1000:
                        columns[letters] = column
                state[2] = column
            else:
                state[2] += 1
            state[3] = state[2] <= MAX_COLUMNS
            state[4] = attrs.get("t", "n")
            state[6] = False
        elif name == "v" or (name == "t" and state[4] == "inlineStr"):
            state[5] = state[3] and not state[6]
        elif name == "row":
            end_row()
            number = attrs.get("r", "")
            state[0] = int(number) if number.isdigit() and len(number) < 10 else state[0] + 1
            state[2] = 0
            state[8] = True
        else:
            state[5] = False
            if name == "rPh":  # phonetic guide text is not part of the value
                state[6] = True

    def chars(data):
        if state[5] and state[7] <= _RAW_CELL:
            text.append(data)
            state[7] += len(data)

    def end_cell():
        if state[3] and text:
            cells[state[2]] = value()
        state[3] = state[5] = False
        state[7] = 0
        text.clear()

    def value():
        raw = text[0] if len(text) == 1 else "".join(text)
        kind = state[4]
        if kind == "s":
            if not raw.isdigit():
                raw = raw.strip()
            if not raw.isdigit() or len(raw) > 9:
                return ""
            index = int(raw)
            wanted.add(index)
            return index
        if kind in ("inlineStr", "str", "e", "d"):
            return _xml_text(raw, state[7] > _RAW_CELL)
        if kind == "b":
            return "yes" if raw.strip() == "1" else "no"
        return _number_text(raw.strip()[:MAX_CELL + 1])

    def end_row():
        end_cell()
        if not state[8]:
            return
        state[8] = False
        number, last_filled = state[0], state[1]
        filled = any(isinstance(v, int) or v.strip() for v in cells.values())
        if not filled:
            cells.clear()
            if number - last_filled > _BLANK_RUN_ENDS_SHEET:
                state[9] = True
                raise _StopReading()
            return
        if number - last_filled > _BLANK_RUN_ENDS_SHEET + 1:
            state[9] = True
            raise _StopReading()
        state[1] = number
        if len(rows) > MAX_ROWS:  # the header and MAX_ROWS rows are here already
            raise ImportFileError(_("The file has more than %(max)d rows. Split it into "
                                    "smaller files.", max=MAX_ROWS))
        rows.append((number, [cells.get(i, "") for i in range(1, max(cells) + 1)]))
        cells.clear()

    _feed(archive, path, _expat(start=start, text=chars), budget)
    if not state[9]:
        end_row()
    return rows, wanted


def _shared_strings(archive, path: str | None, wanted: set[int], budget: _Budget
                    ) -> dict[int, str]:
    """The shared strings the sheet uses (only those), each cut at MAX_CELL + 1.

    Like _read_sheet it listens to element starts only: a string ends where the next begins,
    and phonetic guide text (rPh) comes after a string's own text.
    """
    if path is None:
        return {}
    found: dict[int, str] = {}
    last = max(wanted)
    text: list[str] = []
    # 0 index of the current string, 1 keep it, 2 inside its text, 3 characters collected
    state = [-1, False, False, 0]

    def end_string():
        if state[1]:
            found[state[0]] = _xml_text("".join(text), state[3] > _RAW_CELL)
        text.clear()
        state[1] = state[2] = False
        state[3] = 0

    def start(name, attrs):
        if ":" in name:
            name = _local(name)
        if name == "si":
            end_string()
            state[0] += 1
            if state[0] > last:
                raise _StopReading()
            state[1] = state[0] in wanted
        elif name == "t":
            state[2] = state[1]
        else:
            state[2] = False
            if name == "rPh":
                end_string()  # the string's own text is complete; the guide is not part

    def chars(data):
        if state[2] and state[3] <= _RAW_CELL:
            text.append(data)
            state[3] += len(data)

    _feed(archive, path, _expat(start=start, text=chars), budget)
    end_string()
    return found


def store_upload(filename: str, data: bytes, uploader: Person) -> OrgImport:
    """Parse the file and keep its rows for the preview; nothing in the org chart changes."""
    can.enforce(can.can_administer_org(uploader))
    rows = parse_file(filename, data)
    # Some browsers send the whole client-side path; keep only the file's own name.
    filename = _CONTROL.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    org_import = OrgImport(filename=filename.strip()[:255] or "upload", rows=rows,
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
    too_long: tuple[str, ...] = ()
    # What to write: model field -> value (manager as a username, roles as a set)
    wanted: dict = field(default_factory=dict)
    username: str = field(init=False)  # as the file spells it, stripped and lower-case

    def __post_init__(self):
        self.username = (self.values.get("username") or "").strip().lower()

    def error(self, column: str | None, message) -> None:
        self.errors.append(RowIssue(column, str(message)))


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
    version: int
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
    people = [_Existing(*row) for row in db.session.execute(select(
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


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _roles_text(roles) -> str:
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


def _steps(total: int) -> int:
    """Rows between two progress reports: PROGRESS_STEPS reports per phase at most."""
    return max(1, -(-total // PROGRESS_STEPS))


def plan_import(stored_rows: list[dict], *, actor: Person | None,
                progress: Progress | None = None, org: _OrgNow | None = None) -> ImportPlan:
    """What importing these rows would do now, row by row, without writing anything.

    `actor` is the HR admin who would commit (they may not deactivate themselves or drop
    their own HR role); None only checks the file against the org chart. `org` is the org
    chart read beforehand (read_org), by default now.
    """
    report = progress or _no_progress
    org = org if org is not None else read_org()
    rows = []
    for stored in stored_rows:
        values = {c: str(v) for c, v in stored["values"].items() if c in _COLUMN_SET}
        rows.append(RowPlan(number=stored["row"], values=values,
                            extra_cells=stored.get("extra_cells", 0),
                            too_long=tuple(stored.get("too_long", ()))))
    total, step = len(rows), _steps(len(rows))
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


# Applying --------------------------------------------------------------------------------

_person = Person.__table__
_person_role = PersonRole.__table__
_audit_event = AuditEvent.__table__
_login_session = LoginSession.__table__


def _snapshot(person: _Existing) -> dict:
    """A person as the org services' audit events show one (before/after)."""
    return {"username": person.username, "display_name": person.display_name,
            "email": person.email, "employee_number": person.employee_number,
            "job_title": person.job_title, "department_id": person.department_id,
            "manager_id": person.manager_id, "active": person.active,
            "roles": sorted(person.roles)}


def _after(row: RowPlan, before: _Existing | None, person_id: int,
           ids: dict[str, int]) -> _Existing:
    """The person as the row leaves them."""
    wanted = row.wanted

    def given(key, default):
        return wanted[key] if key in wanted else default

    manager = given("manager", None)
    return _Existing(
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
    report = progress or _no_progress
    org = plan.org if plan.org is not None else read_org()
    creates = [r for r in plan.rows if r.action == CREATE]
    updates = [r for r in plan.rows if r.action == UPDATE]
    total = len(creates) + len(updates)
    report(WRITING, 0, total)
    if not total:
        return
    kept_todos.touch_everyone()  # bulk writes to the org chart: no flush tells the to-dos
    now = utcnow()
    ids = {username: p.id for username, p in org.people.items()}
    people: list[tuple[_Existing | None, _Existing]] = []  # (before, after) per person

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
        step = _steps(len(new_people))
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
        step, written = _steps(len(changed_people)), 0
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

