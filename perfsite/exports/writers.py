"""Writing rows out as CSV or XLSX, streamed, with every text cell made safe to open.

Rules:
- Formula injection: no spreadsheet may read text a person typed as a formula. In CSV, which
  has no types, a text cell that begins with =, +, -, @, a tab, a carriage return or a line
  feed is written with a leading apostrophe. In XLSX every text cell is a string cell (its
  data type, not a prefix, keeps it inert), so the text reads exactly as typed. Numbers are
  written as numbers (a negative number is not text).
- XLSX is a sheet people work in: the header row bold and frozen, an auto-filter over the
  whole table, columns as wide as their first rows need, dates and times as real dates in
  the reader's zone (named in the header), numbers as numbers, percentages as fractions
  with a percent format (a column kind PERCENT holds 0–100, as the CSV shows it).
- CSV is produced a row at a time (a generator: the response streams, memory holds one
  partition of rows). It starts with a byte-order mark so spreadsheets read it as UTF-8.
- XLSX is written by openpyxl in write-only mode (rows go to disk as they come, never a
  whole sheet in memory) into a temporary file, which is then streamed in chunks and
  deleted.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain, islice

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CHUNK = 64 * 1024
# Column kinds beyond what a value's type says (Export.kinds): PERCENT holds 0-100.
PERCENT = "percent"
# Rows read before the XLSX's column widths are decided (they must precede the rows).
WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 8, 60


def local(moment: datetime, zone=None) -> datetime:
    """A stored (UTC) moment as wall-clock time in `zone` (a tzinfo), without a zone: what a
    spreadsheet cell holds (XLSX has no zones; the header names it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone or UTC).replace(tzinfo=None)


def safe(value, zone=None):
    """A cell's value for CSV, safe from formula injection (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return local(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value):
    """How a number is written in CSV: "12.5", not "12.5000"."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return value


def csv_stream(header: list, rows: Iterable[list], zone=None) -> Iterator[str]:
    """The CSV text, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([_plain(safe(v, zone)) for v in row])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _display_width(value) -> int:
    """About how many character widths a value takes (CJK characters take two)."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value) if value is not None else ""
    longest = max((line for line in text.split("\n")), key=len, default="")
    return sum(2 if ord(ch) >= 0x1100 else 1 for ch in longest)


def _number_format(value, kind) -> str | None:
    if kind == PERCENT:
        return "0%" if value == int(value) else "0.00%"
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return "yyyy-mm-dd"
    if isinstance(value, Decimal):
        return "0" if value == value.to_integral_value() else "0.00##"
    return None


def _xlsx_cell(sheet, value, kind, zone):
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, datetime):
        value = local(value, zone)
    if kind == PERCENT and isinstance(value, int | float | Decimal):
        value = Decimal(str(value)) / 100
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
    else:
        number_format = _number_format(value * 100 if kind == PERCENT else value, kind)
        if number_format:
            cell.number_format = number_format
    return cell


def xlsx_stream(title: str, header: list, rows: Iterable[list], kinds=None,
                zone=None) -> Iterator[bytes]:
    """The XLSX file, written in write-only mode to a temporary file, then streamed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    kinds = list(kinds or [])
    kinds += [None] * (len(header) - len(kinds))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    # Widths, freezing and the header's style come before the rows in the file.
    for index, label in enumerate(header):
        widest = max([_display_width(label)]
                     + [_display_width(row[index]) for row in first if index < len(row)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = (
            min(max(widest + 2, MIN_WIDTH), MAX_WIDTH))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    count = 0
    for row in chain(first, rows):
        sheet.append([_xlsx_cell(sheet, value, kind, zone)
                      for value, kind in zip(row, kinds, strict=False)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{count + 1}"
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as saved:
            while chunk := saved.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
