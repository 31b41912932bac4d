"""Figures kept so that dashboards read no check-ins (issue 21): each KPI's latest check-in
status and time, and the trend points per target, department and month. After every step
of a cycle they equal a recompute from the check-ins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, select

from perfsite.coaching.services import checkins
from perfsite.dashboards.services import figures, kept_figures, trends
from perfsite.dashboards.services.common import Scope
from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    DepartmentFigure,
    Kpi,
    ProposalStatus,
    StrategyTarget,
    TargetTrendPoint,
    utcnow,
)

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


# Each department's summary figures per cycle (dashboards.services.kept_figures) ---------------

def _figures_equal_recomputed(cycle, step: str, *, stale: bool = False) -> dict:
    """After the step's commit: the rows as kept equal the full count (unless the step
    reached the whole company: then they are stale), and what the dashboards read equals it
    either way. The full count, by department."""
    db.session.commit()
    now = utcnow()
    oracle = {f.department_id: f.values()
              for f in kept_figures.compute(cycle, now).values()}
    whole = db.session.execute(select(DepartmentFigure.stale).where(
        DepartmentFigure.cycle_id == cycle.id,
        DepartmentFigure.department_id == kept_figures.WHOLE_CYCLE)).scalar_one()
    assert whole is stale, step
    if not stale:
        assert kept_figures.kept(cycle) == oracle, step
    read = kept_figures.read(cycle, Scope(None, None), now)
    assert {d: f.values() for d, f in read.items()} == oracle, step
    assert kept_figures.kept(cycle) == oracle, step  # and kept by the read
    return oracle


def test_kept_department_figures_equal_a_full_count_after_every_step(org_chart):
    from perfsite.cycles import services as cycles
    from perfsite.models import Phase

    from .factories import hr_admin, make_person
    from .planning_factories import make_kpi
    from .review_factories import write_review

    o = org_chart
    run = running_cycle(o)
    db.session.commit()
    now = utcnow()
    first = kept_figures.read(run.cycle, Scope(None, None), now)  # counts the cycle whole
    db.session.commit()
    assert first[o.eng.id].people == 2 and first[o.eng.id].overdue == 4
    oracle = _figures_equal_recomputed(run.cycle, "plans approved, nothing checked in")

    checkins.post_check_in(run.kpi, o.staff, actual_value="4", status="at_risk", now=now)
    oracle = _figures_equal_recomputed(run.cycle, "staff checks in")
    assert oracle[o.eng.id]["at_risk"] == 1 and oracle[o.eng.id]["overdue"] == 3
    checkins.post_check_in(run.colleague_kpi, o.head, actual_value="1", status="off_track",
                           now=now)
    oracle = _figures_equal_recomputed(run.cycle, "the head checks in for colleague")
    assert oracle[o.eng.id]["late_people"] == sorted([[1, o.colleague.id], [1, o.staff.id]])
    assert oracle[o.eng.id]["goals_at_risk"] == [[run.goal.id, 1, 1]]
    run.colleague_kpi.proposal_status = ProposalStatus.DECLINED.value
    oracle = _figures_equal_recomputed(run.cycle, "a KPI declined: it counts nowhere")
    assert oracle[o.eng.id]["kpis"] == 3

    newcomer = make_person("newcomer", o.eng, manager=o.head)
    make_kpi(run.cycle, newcomer, o.head, run.goal, title="Learn the codebase", weight="100")
    oracle = _figures_equal_recomputed(run.cycle, "a newcomer's draft plan")
    assert oracle[o.eng.id]["people"] == 3 and oracle[o.eng.id]["plans_approved"] == 2

    o.staff.department_id = o.sales.id
    oracle = _figures_equal_recomputed(run.cycle, "staff moves to Sales")
    assert oracle[o.sales.id]["at_risk"] == 1 and oracle[o.eng.id]["at_risk"] == 0
    o.colleague.active = False
    oracle = _figures_equal_recomputed(run.cycle, "colleague leaves")
    assert oracle[o.eng.id]["people"] == 1

    cycles.move_phase(run.cycle, hr_admin(), Phase.REVIEW)
    _figures_equal_recomputed(run.cycle, "the cycle enters review", stale=True)
    write_review(run.cycle, o.staff, o.staff, "self", 4, 4, now=utcnow())
    oracle = _figures_equal_recomputed(run.cycle, "staff submits the self-review")
    assert oracle[o.sales.id]["self_done"] == 1
    write_review(run.cycle, o.staff, o.head, "manager", 3, 3, submit=False,
                 now=utcnow())
    _figures_equal_recomputed(run.cycle, "the manager review drafted")
    write_review(run.cycle, o.staff, o.head, "manager", 3, 3, now=utcnow())
    oracle = _figures_equal_recomputed(run.cycle, "the manager review submitted")
    assert oracle[o.sales.id]["manager_done"] == 1


def test_a_check_in_falling_due_expires_the_kept_overdue_count(org_chart):
    o = org_chart
    run = running_cycle(o)
    now = utcnow()
    for kpi in (run.kpi, run.other):
        checkins.post_check_in(kpi, o.staff, actual_value="4", status="on_track", now=now)
    db.session.commit()
    assert kept_figures.read(run.cycle, Scope(None, None), now)[o.eng.id].overdue == 2
    db.session.commit()
    row = db.session.get(DepartmentFigure, (run.cycle.id, o.eng.id))
    assert row.expires_at == now + timedelta(days=run.cycle.checkin_interval_days)
    later = row.expires_at + timedelta(minutes=1)
    assert kept_figures.read(run.cycle, Scope(None, None), later)[o.eng.id].overdue == 4
    db.session.commit()
    db.session.refresh(row)
    assert row.overdue == 4 and row.expires_at is None


def test_rebuild_figures_counts_every_cycle(app, org_chart):
    run = running_cycle(org_chart)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-figures"])
    assert result.exit_code == 0, result.output
    assert kept_figures.kept(run.cycle)[org_chart.eng.id]["kpis"] == 4


def test_kept_open_obstacles_and_requests_equal_a_full_count_after_every_step(org_chart):
    """The open obstacles and requests each department keeps (counts by status, overdue,
    the oldest few) and its 360 requests by status follow raising, taking in hand,
    resolving, deciding, requesting and declining feedback, moves to another department and
    a change of the cycle's overdue days; what the head's dashboard shows
    equals a plain count of the open items in scope (issue 21)."""
    from perfsite.coaching.services import obstacles, requests
    from perfsite.dashboards.services.common import scope_for
    from perfsite.models import FeedbackRequest, Obstacle, Person, ResourceRequest

    o = org_chart
    run = running_cycle(o)
    db.session.commit()
    now = utcnow()
    kept_figures.read(run.cycle, Scope(None, None), now)
    db.session.commit()
    old = now - timedelta(days=run.cycle.overdue_after_days + 2)
    first = obstacles.raise_obstacle(run.kpi, o.staff, description="No test server", now=old)
    second = obstacles.raise_obstacle(run.colleague_kpi, o.colleague, description="Flaky CI",
                                      now=now)
    oracle = _figures_equal_recomputed(run.cycle, "two obstacles raised")
    assert oracle[o.eng.id]["open_obstacles"]["counts"] == {"open": 2}
    assert oracle[o.eng.id]["open_obstacles"]["overdue"] == 1
    assert [i for _at, i in oracle[o.eng.id]["open_obstacles"]["oldest"]] == [first.id,
                                                                              second.id]
    row = db.session.get(DepartmentFigure, (run.cycle.id, o.eng.id))
    assert row.expires_at <= now + timedelta(days=run.cycle.overdue_after_days)
    later = now + timedelta(days=run.cycle.overdue_after_days, minutes=1)  # second falls due
    assert kept_figures.read(run.cycle, Scope(None, None), later)[o.eng.id].open_obstacles[
        "overdue"] == 2
    db.session.commit()
    assert kept_figures.compute(run.cycle, later)[o.eng.id].open_obstacles["overdue"] == 2

    obstacles.take_in_hand(first, o.head, expected_version=first.version, now=now)
    oracle = _figures_equal_recomputed(run.cycle, "one taken in hand")
    assert oracle[o.eng.id]["open_obstacles"]["counts"] == {"open": 1, "in_hand": 1}
    obstacles.resolve(first, o.head, resolution="Ordered one", expected_version=first.version,
                      now=now)
    oracle = _figures_equal_recomputed(run.cycle, "one resolved")
    assert oracle[o.eng.id]["open_obstacles"]["overdue"] == 0

    item = requests.raise_request(run.kpi, o.staff, kind="tools", what="A test server",
                                  why="Releases wait for one",
                                  now=now)
    oracle = _figures_equal_recomputed(run.cycle, "a request raised")
    assert oracle[o.eng.id]["open_requests"]["counts"] == {"open": 1}
    requests.decide(item, o.head, decision="decline", comment="Not this quarter",
                    expected_version=item.version, now=now)
    oracle = _figures_equal_recomputed(run.cycle, "the request declined")
    assert oracle[o.eng.id]["open_requests"] == {}

    o.colleague.department_id = o.sales.id  # their open obstacle goes with them
    oracle = _figures_equal_recomputed(run.cycle, "colleague moves to Sales")
    assert oracle[o.sales.id]["open_obstacles"]["counts"] == {"open": 1}
    assert oracle[o.eng.id]["open_obstacles"] == {}
    for rater, group in ((o.head, "manager"), (o.staff, "peer")):  # on colleague, in Sales
        db.session.add(FeedbackRequest(cycle_id=run.cycle.id, subject_id=o.colleague.id,
                                       rater_id=rater.id, rater_group=group,
                                       status="requested"))
    oracle = _figures_equal_recomputed(run.cycle, "360 requests on colleague")
    assert oracle[o.sales.id]["feedback"] == {"requested": 2}
    asked = db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.subject_id == o.colleague.id)).all()
    asked[0].status = "declined"
    oracle = _figures_equal_recomputed(run.cycle, "one declined")
    assert oracle[o.sales.id]["feedback"] == {"requested": 1, "declined": 1}
    counted = db.session.get(DepartmentFigure, (run.cycle.id, o.sales.id)).counted_at
    asked[1].keep_doing = "Clear reviews"  # an answer typed: no count moves, none is made
    _figures_equal_recomputed(run.cycle, "an answer typed")
    db.session.expire_all()
    assert db.session.get(DepartmentFigure, (run.cycle.id, o.sales.id)).counted_at == counted
    o.colleague.department_id = o.eng.id
    oracle = _figures_equal_recomputed(run.cycle, "colleague back to Engineering")
    assert oracle[o.eng.id]["feedback"] == {"requested": 1, "declined": 1}
    assert oracle[o.eng.id]["open_obstacles"]["counts"] == {"open": 1}
    o.colleague.department_id = o.sales.id
    oracle = _figures_equal_recomputed(run.cycle, "colleague to Sales again")
    run.cycle.overdue_after_days = 0
    _figures_equal_recomputed(run.cycle, "the cycle's overdue days changed", stale=True)

    head = db.session.get(Person, o.head.id)
    for model, name in ((Obstacle, "obstacles"), (ResourceRequest, "requests")):
        for scope in (Scope(None, None), scope_for(head, None)):
            shown = getattr(figures, name)(run.cycle, scope, utcnow())
            expected = db.session.scalars(
                select(model).join(Person, Person.id == model.raised_by_id)
                .where(model.cycle_id == run.cycle.id, model.is_open,
                       *([] if scope.ids is None
                         else [Person.department_id.in_(scope.id_list)]))
                .order_by(model.created_at, model.id)).all()
            assert shown.open == len(expected) and shown.oldest == expected[:5], (name, scope)
