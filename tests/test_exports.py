"""Exports: the same permissions as the pages, no live formula from anyone's text in CSV or
XLSX, correct numbers, and a 10,000-row export that streams a partition at a time.

Runs on the demo company: "2026 H2" (in review) has Engineering's KPIs and check-ins,
"2026 H1" (closed) everyone's results.
"""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from perfsite.exports import services, writers
from perfsite.extensions import db
from perfsite.models import CheckIn, Cycle, Kpi, Person, PersonalPlan, ReviewResult

from .conftest import demo_login as login

EVIL = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3",
        "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    return load_workbook(io.BytesIO(response.get_data())).active


# Formula injection --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", EVIL)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(text):
    assert writers.safe(text) == "'" + text
    assert writers.safe("Revenue =") == "Revenue ="
    assert writers.safe(Decimal("-2.5")) == Decimal("-2.5")  # a number stays a number


def _plant_evil_text(app, cycle_id: int) -> None:
    """A KPI title and check-in notes in Engineering that start like formulas."""
    with app.app_context():
        kpi = db.session.scalar(
            select(Kpi).join(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle_id, Person.username == "staff")
            .order_by(Kpi.id))
        kpi.title = EVIL[0]
        for check_in, text in zip(db.session.scalars(select(CheckIn).where(
                CheckIn.kpi_id == kpi.id)), EVIL[1:], strict=False):
            check_in.note = text
        db.session.commit()


@pytest.mark.parametrize("path", ["goals", "check-ins"])
def test_no_export_carries_a_live_formula(app, demo, path):
    cycle_id = demo["2026 H2"]
    _plant_evil_text(app, cycle_id)
    client = login(app, "head")
    rows = read_csv(client.get(f"/exports/{cycle_id}/{path}?format=csv"))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + EVIL[0] in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    sheet = read_xlsx(client.get(f"/exports/{cycle_id}/{path}?format=xlsx"))
    values = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in values)
    # XLSX keeps the text as typed, inert by its cell's type (a string), no apostrophe.
    typed = [cell for cell in values if cell.value == EVIL[0]]
    assert typed and all(cell.data_type == "s" for cell in typed)
    assert not any(str(cell.value).startswith("'=") for cell in values)


# Numbers ------------------------------------------------------------------------------------------

def test_an_xlsx_export_is_a_sheet_to_work_in(app, demo):
    """Bold frozen header, an auto-filter over the table, widths that fit, real times in the
    reader's zone (named in the header), numbers as numbers, percentages with % format."""
    cycle_id = demo["2026 H2"]
    client = login(app, "head")
    sheet = read_xlsx(client.get(f"/exports/{cycle_id}/check-ins?format=xlsx"))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[0] == "When (Asia/Shanghai)"
    assert all(c.font.b for c in next(sheet.iter_rows(max_row=1)))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:K{sheet.max_row}"
    assert all(8 <= sheet.column_dimensions[letter].width <= 60 for letter in "ABCDEFGHIJK")
    assert sheet.column_dimensions["K"].width > sheet.column_dimensions["F"].width  # notes
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    assert isinstance(first[0].value, datetime) and first[0].number_format == "yyyy-mm-dd hh:mm"
    with app.app_context():
        stored = db.session.scalar(
            select(CheckIn.created_at).join(Kpi).join(PersonalPlan)
            .where(PersonalPlan.cycle_id == cycle_id).order_by(CheckIn.id).limit(1))
    expected = stored.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(first[0].value - expected) < timedelta(seconds=1)
    assert first[5].data_type == "n"  # the actual value
    csv_rows = read_csv(client.get(f"/exports/{cycle_id}/check-ins"))
    assert csv_rows[0][0] == "When (Asia/Shanghai)"
    assert csv_rows[1][0] == expected.strftime("%Y-%m-%d %H:%M")

    goals = read_xlsx(client.get(f"/exports/{cycle_id}/goals?format=xlsx"))
    header = [c.value for c in next(goals.iter_rows(max_row=1))]
    weight, done = header.index("Weight"), header.index("Progress (%)")
    csv_goals = read_csv(client.get(f"/exports/{cycle_id}/goals"))
    for row, line in zip(goals.iter_rows(min_row=2), csv_goals[1:], strict=True):
        assert row[weight].data_type == "n" and row[weight].number_format.endswith("%")
        assert Decimal(str(row[weight].value)) * 100 == Decimal(line[weight])
        if line[done]:
            assert row[done].number_format.endswith("%")
            assert abs(Decimal(str(row[done].value)) * 100 - Decimal(line[done])) < Decimal(
                "0.001")


def test_a_text_that_looks_like_a_number_stays_text_in_xlsx():
    body = b"".join(writers.xlsx_stream("T", ["Employee number", "Score", "Note"],
                                        iter([["00123", Decimal("3.50"), "=1+1"]])))
    sheet = load_workbook(io.BytesIO(body)).active
    number, score, note = next(sheet.iter_rows(min_row=2))
    assert (number.value, number.data_type) == ("00123", "s")
    assert score.value == 3.5 and score.data_type == "n"
    assert (note.value, note.data_type) == ("=1+1", "s")


def test_the_results_export_has_the_stored_results_as_numbers(app, demo):
    cycle_id = demo["2026 H1"]
    client = login(app, "hr")
    sheet = read_xlsx(client.get(f"/exports/{cycle_id}/results?format=xlsx"))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = {row[0]: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)}
    with app.app_context():
        stored = {r.person.display_name: r for r in db.session.scalars(
            select(ReviewResult).where(ReviewResult.cycle_id == cycle_id,
                                       ReviewResult.final_score.is_not(None)))}
    assert set(rows) == set(stored)
    for name, result in stored.items():
        assert Decimal(str(rows[name]["Final score"])) == result.final_score
        assert rows[name]["Final rating"] == result.final_band
    assert rows["Tom Reyes"]["Calibrated"] == "Yes"


def test_the_goals_export_has_planning_progress(app, demo):
    cycle_id = demo["2026 H2"]
    rows = read_csv(login(app, "head").get(f"/exports/{cycle_id}/goals"))
    header = rows[0]
    kpis = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == "KPI"]
    with app.app_context():
        from perfsite.planning.services import progress

        for kpi in db.session.scalars(select(Kpi).join(PersonalPlan).where(
                PersonalPlan.cycle_id == cycle_id)):
            line = next(r for r in kpis if r["Title"] == kpi.title
                        and r["Person"] == kpi.plan.person.display_name)
            assert Decimal(line["Progress (%)"]) == progress.of(kpi) * 100
            assert Decimal(line["Weight"]) == kpi.weight


# Permissions --------------------------------------------------------------------------------------

def test_staff_may_not_export_and_a_head_exports_only_their_departments(app, demo):
    cycle_id = demo["2026 H2"]
    assert login(app, "staff").get(f"/exports/{cycle_id}/goals").status_code == 403
    assert login(app, "staff").get(f"/exports/{cycle_id}/results").status_code == 403
    assert login(app, "head").get(f"/exports/{cycle_id}/completion").status_code == 403
    closed = demo["2026 H1"]
    sales = read_csv(login(app, "li.na").get(f"/exports/{closed}/results"))
    departments = {row[2] for row in sales[1:]}
    assert departments == {"Sales"}
    company = read_csv(login(app, "exec").get(f"/exports/{closed}/results"))
    assert {"Sales", "Engineering"} <= {row[2] for row in company[1:]}


def test_a_head_does_not_export_their_own_result_before_the_interviews(app, demo):
    cycle_id = demo["2026 H2"]
    rows = read_csv(login(app, "head").get(f"/exports/{cycle_id}/results"))
    assert "Zhang Min" not in {row[0] for row in rows[1:]}


def test_no_export_holds_peer_feedback(app, demo):
    """Peer answers are never rows of an export, whoever exports: not a comment, not a
    rater's name beside a subject (only the 360 report's anonymous summary may be shown)."""
    with app.app_context():
        from perfsite.models import FeedbackRequest

        answers = db.session.scalars(select(FeedbackRequest).where(
            FeedbackRequest.status == "submitted")).all()
        texts = {t for a in answers for t in (a.keep_doing, a.improve) if len(t) > 12}
    assert texts, "the demo has 360 answers with comments"
    for username in ("hr", "exec", "head"):
        client = login(app, username)
        for cycle_id in demo.values():
            for path in ("goals", "check-ins", "completion", "results"):
                for kind in ("csv", "xlsx"):
                    response = client.get(f"/exports/{cycle_id}/{path}?format={kind}")
                    if response.status_code == 403:
                        continue
                    if kind == "csv":
                        text = response.get_data(as_text=True)
                    else:
                        sheet = read_xlsx(response)
                        text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True)
                                         for c in row)
                    assert not any(t in text for t in texts), (username, path, kind)


# Streaming ----------------------------------------------------------------------------------------

def _ten_thousand_check_ins(app, cycle_id: int) -> int:
    with app.app_context():
        kpi = db.session.scalar(
            select(Kpi).join(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle_id, Person.username == "staff")
            .order_by(Kpi.id))
        start = datetime(2026, 8, 1, tzinfo=UTC)
        db.session.execute(insert(CheckIn), [
            {"kpi_id": kpi.id, "author_id": kpi.plan.person_id, "actual_value": Decimal(i % 20),
             "status": "on_track", "note": f"bulk {i}", "late": False,
             "created_at": start + timedelta(minutes=i)} for i in range(10_000)])
        db.session.commit()
        return db.session.query(CheckIn).join(Kpi).join(PersonalPlan).filter(
            PersonalPlan.cycle_id == cycle_id).count()


def test_a_ten_thousand_row_export_streams_a_partition_at_a_time(app, demo, count_queries):
    cycle_id = demo["2026 H2"]
    total = _ten_thousand_check_ins(app, cycle_id)
    client = login(app, "hr")
    for kind in ("csv", "xlsx"):
        response = client.get(f"/exports/{cycle_id}/check-ins?format={kind}", buffered=False)
        assert response.status_code == 200 and response.is_streamed
        response.close()

    # Nothing is read until the body is; then one bounded query per partition.
    with app.test_request_context():
        with app.app_context():
            cycle = db.session.get(Cycle, cycle_id)
            export = services.check_ins(cycle, services.Scope(None, None))
        body = writers.csv_stream(export.header, export.rows)
        with count_queries() as first:
            next(body)  # the header, and the first rows
        selects = [s for s in first.statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1 and "LIMIT" in selects[0].upper()
        tracemalloc.start()
        with count_queries() as rest:
            lines = sum(chunk.count("\n") for chunk in body)
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    partitions = -(-total // services.PARTITION)
    reads = [s for s in rest.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) in (partitions - 1, partitions)
    assert lines + 500 >= total  # every row came (the first chunk held some)
    # One partition at a time: far below what 10,000 rows held at once would take.
    assert peak < 8 * 1024 * 1024, peak


def test_the_goals_export_names_codes_in_the_readers_language(app, demo):
    """How a goal is measured is a word of the reader's language, never the stored code;
    the target column is the target value (目标值), not a strategy target."""
    client = login(app, "head")
    cycle_id = demo["2026 H2"]
    english = read_csv(client.get(f"/exports/{cycle_id}/goals"))
    column = english[0].index("Metric")
    codes = {"numeric", "percentage", "milestone"}
    metrics = {row[column] for row in english[1:]}
    assert metrics and not metrics & codes, metrics
    client.post_form("/language", {"locale": "zh_CN"})
    chinese = read_csv(client.get(f"/exports/{cycle_id}/goals"))
    assert "目标值" in chinese[0] and "战略目标" not in chinese[0]
    assert not {row[column] for row in chinese[1:]} & codes
