"""Writing rows out as CSV or XLSX, streamed, with every text cell made safe to open.

Rules:
- Formula injection: a text cell that begins with =, +, -, @, a tab, a carriage return or
  a line feed is written with a leading apostrophe, so that no spreadsheet reads text a
  person typed as a formula. Numbers are written as numbers (a negative number is not text).
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
from datetime import date, datetime
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CHUNK = 64 * 1024


def safe(value):
    """A cell's value, safe from formula injection (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
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


def csv_stream(header: list, rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([_plain(safe(v)) for v in row])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_stream(title: str, header: list, rows: Iterable[list]) -> Iterator[bytes]:
    """The XLSX file, written in write-only mode to a temporary file, then streamed."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    sheet.append([safe(h) for h in header])
    for row in rows:
        sheet.append([safe(v) for v in row])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as saved:
            while chunk := saved.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
