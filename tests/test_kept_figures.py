"""Figures kept so that dashboards read no check-ins (issue 21): each KPI's latest check-in
status and time, and the trend points per target, department and month. After every step
of a cycle they equal a recompute from the check-ins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, select

from perfsite.coaching.services import checkins
from perfsite.dashboards.services import figures, trends
from perfsite.dashboards.services.common import Scope
from perfsite.extensions import db
from perfsite.models import CheckIn, Kpi, ProposalStatus, StrategyTarget, TargetTrendPoint

from .coaching_factories import NOW, running_cycle


def _kept_statuses() -> dict[int, tuple]:
    db.session.flush()
    return {kpi_id: (status, at) for kpi_id, status, at in db.session.execute(
        select(Kpi.id, Kpi.last_check_in_status, Kpi.last_check_in_at)
        .execution_options(populate_existing=True))}


def _recomputed_statuses() -> dict[int, tuple]:
    """The oracle: each KPI's newest check-in (by time, then id), read from the check-ins."""
    found = {kpi_id: (None, None) for kpi_id in db.session.scalars(select(Kpi.id))}
    for check_in in db.session.scalars(select(CheckIn).order_by(CheckIn.created_at,
                                                                CheckIn.id)):
        found[check_in.kpi_id] = (check_in.status, check_in.created_at)
    return found


def _kept_points() -> dict:
    db.session.flush()
    return {(p.target_id, p.department_id, p.month): (p.weighted_sum, p.weight_sum)
            for p in db.session.scalars(select(TargetTrendPoint).execution_options(
                populate_existing=True))}


def _assert_kept_equal_recomputed(step: str) -> None:
    assert _kept_statuses() == _recomputed_statuses(), step
    recomputed = {key: (weighted.quantize(Decimal("0.000001")), total)
                  for key, (weighted, total) in trends.compute(db.session.connection()).items()}
    assert _kept_points() == recomputed, step
    # the SQL twin of the kept status agrees with the rows
    checkins.refresh_latest(db.session.connection())
    assert _kept_statuses() == _recomputed_statuses(), step


def test_kept_latest_status_and_trend_points_follow_every_step(org_chart):
    o = org_chart
    run = running_cycle(o)
    staff, colleague, head = o.staff, o.colleague, o.head
    _assert_kept_equal_recomputed("approved plans, no check-in")

    checkins.post_check_in(run.kpi, staff, actual_value="4", status="on_track", now=NOW)
    _assert_kept_equal_recomputed("first check-in")
    checkins.post_check_in(run.kpi, head, actual_value="5", status="at_risk",
                           now=NOW + timedelta(days=3))
    _assert_kept_equal_recomputed("the head checks in for staff")
    # posted later but dated earlier (an import, a clock): the newest stays the latest
    checkins.post_check_in(run.kpi, staff, actual_value="2", status="off_track",
                           now=NOW - timedelta(days=40))
    _assert_kept_equal_recomputed("a check-in dated in an earlier month")
    checkins.post_check_in(run.colleague_kpi, colleague, actual_value="9", status="off_track",
                           now=NOW + timedelta(days=35))
    checkins.post_check_in(run.other, staff, actual_value="1", status="at_risk",
                           now=NOW + timedelta(days=35))
    _assert_kept_equal_recomputed("check-ins on other KPIs, next month")
    assert _kept_statuses()[run.kpi.id] == ("at_risk", NOW + timedelta(days=3))

    # what moves the points without a check-in
    run.kpi.weight = Decimal("60")
    run.other.weight = Decimal("40")
    _assert_kept_equal_recomputed("a KPI's weight changed")
    run.kpi.target_value = Decimal("20")
    _assert_kept_equal_recomputed("a KPI's target value changed")
    run.other.goal_id = run.goal.id
    _assert_kept_equal_recomputed("a KPI moved to another goal")
    second_target = StrategyTarget(cycle_id=run.cycle.id, title="Delight customers",
                                   status="published", target_value=Decimal(100))
    db.session.add(second_target)
    db.session.flush()
    run.second_goal.target_id = second_target.id
    _assert_kept_equal_recomputed("a goal aligned to another target")
    run.goal.department_id = o.sales.id
    _assert_kept_equal_recomputed("a goal moved to another department")
    run.colleague_kpi.proposal_status = ProposalStatus.DECLINED.value
    _assert_kept_equal_recomputed("a KPI declined: it counts nowhere")
    for check_in in db.session.scalars(select(CheckIn).where(CheckIn.kpi_id == run.other.id)):
        db.session.delete(check_in)
    _assert_kept_equal_recomputed("check-ins removed")
    assert _kept_points(), "the steps above leave points to compare"


def test_the_dashboards_read_no_check_ins(org_chart, monkeypatch):
    """goals_at_risk, status_by_department, the overdue counts and the trend read the kept
    figures: asked again, they answer the same without one statement on the check-ins."""
    o = org_chart
    run = running_cycle(o)
    checkins.post_check_in(run.kpi, o.staff, actual_value="4", status="at_risk", now=NOW)
    checkins.post_check_in(run.colleague_kpi, o.colleague, actual_value="1",
                           status="off_track", now=NOW + timedelta(days=31))
    db.session.flush()
    scope = Scope(None, None)
    months = figures.months_of(run.cycle, NOW.date() + timedelta(days=60))

    def answers():
        return (figures.status_by_department(run.cycle, scope),
                [(g.goal.id, g.at_risk, g.off_track)
                 for g in figures.goals_at_risk(run.cycle, scope)],
                figures.overdue_check_ins(run.cycle, scope, NOW + timedelta(days=40)),
                figures.target_trends(run.cycle, [run.target.id], scope, months),
                [(r.kpis, r.kpis_checked_in) for r in figures.phase_progress(run.cycle, scope)])

    before = answers()
    assert before[0][o.eng.id]["at_risk"] == 1 and before[0][o.eng.id]["off_track"] == 1
    assert [t for t in before[3][run.target.id] if t is not None]
    statements = []

    def spy(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        assert answers() == before
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert not [s for s in statements if "check_in" in s.replace("check_in_", "")], statements
