"""The dashboards' figures: the numbers behind every chart are the services' own for the demo
data, and each dashboard reads a constant number of queries for 5 or 50 departments."""

from __future__ import annotations

import html
import re
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from perfsite.charts import number
from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    Cycle,
    Kpi,
    Person,
    PersonalPlan,
    ReviewResult,
)
from perfsite.planning.services import progress
from perfsite.reviews.services import calibration, completion

from .conftest import demo_login as login
from .dashboard_factories import grow_company


def chart_table(page: str, chart_id: str) -> dict[str, list[str]]:
    """The numbers a chart is drawn from, as its table gives them: row name -> cells."""
    found = re.search(rf'<table class="table chart-data" id="{chart_id}-table">(.*?)</table>',
                      page, re.S)
    assert found, f"no chart {chart_id}"
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\"[^>]*>(.*?)</th>(.*?)</tr>", found.group(1),
                          re.S):
        rows[html.unescape(row[0])] = [html.unescape(c) for c in
                                       re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
    return rows


def pct(value) -> str:
    return number(None if value is None else Decimal(value) * 100) + (
        "%" if value is not None else "")


# The numbers behind the charts are the services' --------------------------------------------

def test_the_company_charts_show_the_services_figures(app, demo):
    cycle_id = demo["2026 H2"]
    page = login(app, "exec").get(f"/dashboards/company?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        from perfsite.models import StrategyTarget

        targets = list(db.session.scalars(select(StrategyTarget).where(
            StrategyTarget.cycle_id == cycle_id, StrategyTarget.status != "draft")))
        expected = progress.target_progress([t.id for t in targets])
        shown = chart_table(page, "chart-targets")
        assert {t.title: [pct(expected[t.id])] for t in targets} == shown
        cycle = db.session.get(Cycle, cycle_id)
        rows = completion.by_department(cycle)
        shown = chart_table(page, "chart-completion")
        for row in rows:
            assert shown[row.name] == [pct(Decimal(row.self_done) / row.people),
                                       pct(Decimal(row.manager_done) / row.people)]


def test_the_trend_and_the_contributions_are_plannings_and_the_check_ins_figures(app, demo):
    """Each month's point is Σ(KPI weight × progress of each check-in's value) / Σ weights
    over that month's check-ins; a department's bar is its aligned goals' weighted progress."""
    cycle_id = demo["2026 H2"]
    page = login(app, "exec").get(f"/dashboards/company?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        from perfsite.models import DepartmentGoal, StrategyTarget

        target = db.session.scalar(select(StrategyTarget).where(
            StrategyTarget.cycle_id == cycle_id, StrategyTarget.status != "draft"))
        goals = db.session.scalars(select(DepartmentGoal).where(
            DepartmentGoal.target_id == target.id)).all()
        by_month: dict[tuple[int, int], list] = {}
        for check_in in db.session.scalars(select(CheckIn).join(Kpi).where(
                Kpi.goal_id.in_([g.id for g in goals]))):
            kpi = check_in.kpi
            key = (check_in.created_at.year, check_in.created_at.month)
            by_month.setdefault(key, []).append((kpi.weight, progress.measure_progress(
                kpi.metric_type, kpi.baseline, kpi.target_value, check_in.actual_value)))
        contributions = progress.weighted(
            (g.weight, progress.goal_of(g)) for g in goals)
    trend = chart_table(page, "chart-trend-0")
    points = [cells[0] for cells in trend.values() if cells[0] != "—"]
    expected = [pct(sum(w * p for w, p in pairs) / sum(w for w, _p in pairs))
                for _key, pairs in sorted(by_month.items())]
    assert points == expected and points
    assert chart_table(page, "chart-contrib-0") == {"Engineering": [pct(contributions)]}


def test_the_360_chart_is_the_feedback_areas_count(app, demo):
    """As the reader may see the counts: not their own feedback, and no bar where a count
    is below the anonymity threshold (only HR sees those exactly)."""
    cycle_id = demo["2026 H2"]
    page = login(app, "exec").get(f"/dashboards/team?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        from perfsite.feedback.services.completion import completion as feedback_completion
        from perfsite.models import Person

        reader = db.session.scalar(select(Person).where(Person.username == "exec"))
        rows = feedback_completion(db.session.get(Cycle, cycle_id), None, reader)
    assert rows and any(r.requested for r in rows)
    assert chart_table(page, "chart-feedback") == {
        r.name: [pct(Decimal(r.submitted) / r.requested if r.exact else None)]
        for r in rows if r.requested}


@pytest.mark.parametrize("cycle_name", ["2026 H1", "2026 H2"])
def test_the_interview_chart_counts_finished_interviews_of_the_people_reviewed(
        app, demo, cycle_name):
    cycle_id = demo[cycle_name]
    page = login(app, "exec").get(f"/dashboards/company?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        from perfsite.models import Interview

        cycle = db.session.get(Cycle, cycle_id)
        finished = Counter(i.person.department_id for i in db.session.scalars(
            select(Interview).where(Interview.cycle_id == cycle_id)) if i.is_finished)
        expected = {row.name: [pct(Decimal(finished[row.department_id]) / row.people)]
                    for row in completion.by_department(cycle)}
        has_interviews = db.session.scalar(select(func.count(Interview.id)).where(
            Interview.cycle_id == cycle_id))
    if has_interviews:
        assert chart_table(page, "chart-interviews") == expected
    else:
        assert 'id="chart-interviews"' not in page


def test_the_ratings_chart_shows_calibrations_distribution(app, demo):
    cycle_id = demo["2026 H1"]
    page = login(app, "exec").get(f"/dashboards/company?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        company = calibration.distributions(db.session.get(Cycle, cycle_id)).company
        shown = chart_table(page, "chart-ratings")
        assert company.total > 0
        for code, cells in shown.items():
            assert cells[0] == number(company.share(code)) + "%"


def test_the_team_chart_counts_each_kpi_by_its_latest_status(app, demo):
    cycle_id = demo["2026 H2"]
    page = login(app, "head").get(f"/dashboards/team?cycle_id={cycle_id}").get_data(
        as_text=True)
    with app.app_context():
        kpis = list(db.session.scalars(
            select(Kpi).join(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle_id, Person.department.has(code="ENG"))))
        latest = progress.latest_checkins([k.id for k in kpis])
        counts = Counter(latest[k.id].status if k.id in latest else "none" for k in kpis)
    shown = chart_table(page, "chart-statuses")["Engineering"]
    assert [int(c) for c in shown] == [counts["on_track"], counts["at_risk"],
                                       counts["off_track"], counts["none"]]


def test_the_hr_chart_shows_the_cycles_progress(app, demo):
    cycle_id = demo["2026 H2"]
    page = login(app, "hr").get(f"/dashboards/hr?cycle_id={cycle_id}").get_data(as_text=True)
    with app.app_context():
        plans = db.session.scalars(
            select(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id)
            .where(PersonalPlan.cycle_id == cycle_id, Person.active.is_(True))).all()
        approved = sum(p.status == "approved" for p in plans)
        kpis = db.session.scalar(select(func.count(Kpi.id)).join(PersonalPlan).where(
            PersonalPlan.cycle_id == cycle_id, Kpi.counts))
        checked = db.session.scalar(select(func.count(func.distinct(CheckIn.kpi_id)))
                                    .join(Kpi).join(PersonalPlan)
                                    .where(PersonalPlan.cycle_id == cycle_id))
    cells = [row[0] for row in chart_table(page, "chart-phases").values()]
    assert cells[0] == pct(Decimal(approved) / len(plans))
    assert cells[1] == pct(Decimal(checked) / kpis)


def test_my_charts_show_my_progress_and_my_results(app, demo):
    client = login(app, "staff")
    page = client.get(f"/dashboards/me?cycle_id={demo['2026 H2']}").get_data(as_text=True)
    with app.app_context():
        me = db.session.scalar(select(Person).where(Person.username == "staff"))
        kpis = db.session.scalars(select(Kpi).join(PersonalPlan).where(
            PersonalPlan.cycle_id == demo["2026 H2"], PersonalPlan.person_id == me.id)).all()
        assert chart_table(page, "chart-my-kpis") == {k.title: [pct(progress.of(k))]
                                                      for k in kpis}
        result = db.session.scalar(select(ReviewResult).where(
            ReviewResult.person_id == me.id, ReviewResult.cycle_id == demo["2026 H1"]))
    assert chart_table(page, "chart-history")["2026 H1"] == [number(result.final_score, 2)]


def test_a_heads_dashboard_never_shows_another_department(app, demo):
    page = login(app, "head").get(f"/dashboards/team?cycle_id={demo['2026 H1']}"
                                  "&department_id=1").get_data(as_text=True)
    assert "Sales" not in chart_table(page, "chart-completion")


# Constant queries whatever the size ---------------------------------------------------------

DASHBOARDS = [("exec", "/dashboards/company"), ("hr", "/dashboards/hr"),
              ("exec", "/dashboards/team"), ("staff", "/dashboards/me")]


def _queries(app, login_as, count_queries, username, path, cycle_id) -> int:
    client = login_as(username)
    client.get(f"{path}?cycle_id={cycle_id}")  # warm: the org chart, translations
    with count_queries() as counted:
        response = client.get(f"{path}?cycle_id={cycle_id}")
    assert response.status_code == 200
    import os
    if os.environ.get("DASH_DEBUG"):
        print("\n=====", path, counted.count)
        for st in counted.statements:
            print("  ", st[:150].replace("\n", " "))
    return counted.count


@pytest.mark.parametrize("username, path", DASHBOARDS)
def test_each_dashboard_reads_as_many_queries_for_5_as_for_50_departments(
        app, company, login_as, count_queries, username, path):
    # Both cycles first: the audit log's latest entries (HR's dashboard) are then the same.
    with app.app_context():
        small = grow_company(company, 5).id
        large = grow_company(company, 50).id
    few = _queries(app, login_as, count_queries, username, path, small)
    many = _queries(app, login_as, count_queries, username, path, large)
    assert few == many, f"{path}: {few} queries for 5 departments, {many} for 50"


@pytest.mark.parametrize("cycle_name", ["2026 H1", "2026 H2"])
def test_the_360_counts_from_the_kept_figures_equal_the_feedback_areas_count(
        app, demo, cycle_name):
    """The head's dashboard reads the 360 requests kept per department (issue 21): for every
    kind of reader and their scope, the same rows as feedback.services.completion counts
    (the reader's own feedback left out, "fewer than N" below the threshold)."""
    from perfsite.dashboards.services import boards, figures, other_areas
    from perfsite.dashboards.services.common import scope_for
    from perfsite.feedback.services.completion import completion as feedback_completion
    from perfsite.models import Person, utcnow

    with app.app_context():
        cycle = db.session.get(Cycle, demo[cycle_name])
        kept = figures.department_figures(cycle, utcnow())
        names = boards.department_names(kept)
        seen = 0
        for username in ("exec", "hr", "head", "staff"):
            reader = db.session.scalar(select(Person).where(Person.username == username))
            scope = scope_for(reader, None)
            expected = feedback_completion(cycle, scope.ids, reader)
            assert other_areas.feedback_by_department(cycle, scope, reader, kept,
                                                      names) == expected, username
            seen += sum(r.requested for r in expected)
        assert seen
