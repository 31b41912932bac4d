"""Reading an org-chart file (CSV or XLSX) into rows of text, within limits.

Limits (whatever a file contains, reading it stays within a few seconds and a few MB beyond
the file): MAX_BYTES per file, MAX_ROWS rows, MAX_CELL characters per cell (a row error; the
columns in MAX_LENGTHS are tighter), the first MAX_COLUMNS cells of a row, MAX_TEXT
characters kept in all, PARSE_SECONDS of reading; control characters (NUL included) are
removed from every cell. An XLSX workbook is unpacked only after its parts' sizes are
checked, and read by a small streaming reader: the first sheet's values only, dates as the
numbers Excel stores.

Why a reader of our own for XLSX, not openpyxl: openpyxl, even in read-only mode, parses
every cell of a row, and a sheet can declare 16,384 columns per row; one hostile file of
1.2 million cells took it half a minute, far past PARSE_SECONDS. The streaming reader below
(expat over the zip's parts) reads only the first MAX_COLUMNS cells of a row, checks each
part's unpacked size before opening it and stops on the wall-clock budget, which is what the
hostile-file limits (tests/test_hostile_input.py, tests/test_org_import.py) need.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from flask_babel import gettext as _

from ...errors import (
    ImportFileError,
)
from .. import rules as org_rules

COLUMNS = ("username", "display_name", "email", "employee_number", "job_title", "department",
           "manager", "roles", "active")
COLUMN_SET = frozenset(COLUMNS)
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

# Cells starting with these are formulas to a spreadsheet; the export quotes them with "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls except tab and newline (NUL included: PostgreSQL refuses it in text), DEL and
# C1 controls: removed from every cell, as perfsite/rules.py does for form fields.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_clock = time.monotonic  # tests replace it to run out of time without waiting

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
        cells = [c.strip() if c.isprintable() else CONTROL.sub("", c).strip() for c in raw]
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


def reads_as_formula(cell: str) -> bool:
    """Would a spreadsheet run this cell (or, once the export's "'" is taken off, read it
    as one that was quoted)? Quotes before quotes keep the round trip exact."""
    return cell.startswith(FORMULA_STARTS) or (
        cell.startswith("'") and reads_as_formula(cell[1:]))


def _unquote_formula(cell: str) -> str:
    """Undo the "'" the export puts before a cell that would otherwise be a formula."""
    if cell.startswith("'") and reads_as_formula(cell[1:]):
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
