"""Progress rolls up by weight (KPI -> goal -> target), and bulk copying of KPIs and plans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.models import Phase, PlanStatus
from perfsite.planning.services import bulk, goals, plans
from perfsite.planning.services.progress import (
    alignment_tree,
    goal_progress,
    measure_progress,
    rollup,
)

from .factories import hr_admin, make_cycle, make_person
from .planning_factories import make_goal, make_kpi, make_target

D = Decimal


@pytest.mark.parametrize(("metric", "baseline", "target", "actual", "expected"), [
    ("numeric", 0, 10, None, "0"),           # nothing recorded yet
    ("numeric", 0, 10, 5, "0.5"),
    ("numeric", 0, 10, 15, "1"),             # beyond the target counts as done
    ("numeric", 10, 20, 5, "0"),             # below the baseline is no progress
    ("numeric", 30, 20, 25, "0.5"),          # decreasing: resolution time 30h -> 20h
    ("numeric", 30, 20, 35, "0"),            # going the wrong way
    ("percentage", 82, 90, 86, "0.5"),
    ("numeric", 99, 99, 99, "1"),            # hold the line: at target is done
    ("numeric", 99, 99, 98, "0"),
    ("milestone", 0, 1, 1, "1"),
    ("milestone", 0, 1, 0, "0"),
])
def test_kpi_progress_from_actual_baseline_and_target(metric, baseline, target, actual, expected):
    assert measure_progress(metric, baseline, target, actual) == D(expected)


@pytest.mark.parametrize(("metric", "baseline", "target", "actual"), [
    ("numeric", 0, 10, None), ("numeric", 0, 10, 5), ("numeric", 0, 10, 15),
    ("numeric", 10, 20, 5), ("numeric", 30, 20, 25), ("numeric", 30, 20, 35),
    ("percentage", 82, 90, 86), ("numeric", 99, 99, 99), ("numeric", 99, 99, 98),
    ("milestone", 0, 1, 1), ("milestone", 0, 1, 0), ("numeric", 0, 3, 1),
    ("numeric", D("0.5"), D("7.25"), D("2.3333")),
])
def test_the_databases_sum_agrees_with_the_python_formula(org_chart, metric, baseline, target,
                                                          actual):
    """progress_sql (goal sums in the database) and measure_progress (one KPI) are the same
    formula written twice: a goal with one KPI must get exactly that KPI's progress."""
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal, metric_type=metric, baseline=D(baseline),
                   target_value=D(target))
    kpi.actual_value = None if actual is None else D(actual)
    db.session.flush()
    expected = measure_progress(kpi.metric_type, kpi.baseline, kpi.target_value,
                                kpi.actual_value)
    assert goal_progress([goal.id]).goals[goal.id] == expected


def _in_progress(c):
    cycles.move_phase(c.cycle, hr_admin(), Phase.IN_PROGRESS)


def test_goal_progress_is_weighted_by_kpi_weight_not_averaged(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head, weight="100")
    heavy = make_kpi(c.cycle, c.staff, c.head, goal, weight="80")
    light = make_kpi(c.cycle, c.staff, c.head, goal, weight="20")
    _in_progress(c)
    heavy.actual_value = D(10)  # done
    light.actual_value = D(0)   # not started
    result = rollup(c.cycle.id)
    assert result.kpis[heavy.id] == 1 and result.kpis[light.id] == 0
    assert result.goals[goal.id] == D("0.8")  # a plain average would say 0.5


def test_target_progress_is_weighted_by_goal_weight(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec)
    big = make_goal(c.cycle, c.eng, c.head, weight="75", target=target)
    small = make_goal(c.cycle, c.eng, c.head, weight="25", target=target)
    sales = make_goal(c.cycle, c.sales, c.sales_head, weight="100")  # not aligned
    _in_progress(c)
    goals.set_goal_actual(big, c.head, 10,
        expected_version=big.version)     # goals without KPIs use their own actual
    goals.set_goal_actual(small, c.head, 0, expected_version=small.version)
    goals.set_goal_actual(sales, c.sales_head, 10, expected_version=sales.version)
    result = rollup(c.cycle.id)
    assert result.targets[target.id] == D("0.75")


def test_goal_without_kpis_uses_its_own_actual_and_target_without_goals_has_none(org_chart):
    c = org_chart
    lonely = make_target(c.cycle, c.exec)
    goal = make_goal(c.cycle, c.eng, c.head, baseline=D(0), target_value=D(4))
    _in_progress(c)
    goals.set_goal_actual(goal, c.head, 1, expected_version=goal.version)
    result = rollup(c.cycle.id)
    assert result.goals[goal.id] == D("0.25")
    assert result.targets[lonely.id] is None


def test_declined_proposals_do_not_count_towards_progress(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kept = make_kpi(c.cycle, c.staff, c.head, goal, weight="50")
    declined = make_kpi(c.cycle, c.staff, c.staff, goal, weight="50")
    plans.decide_proposal(declined, c.head, accept=False, comment="No",
        expected_version=declined.version)
    _in_progress(c)
    kept.actual_value = D(10)
    assert rollup(c.cycle.id).goals[goal.id] == 1


def test_staff_sees_how_their_kpis_serve_which_target(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec, title="Faster releases")
    goal = make_goal(c.cycle, c.eng, c.head, title="Weekly deploys", target=target)
    mine = make_kpi(c.cycle, c.staff, c.head, goal, title="Automate the release")
    make_kpi(c.cycle, c.colleague, c.head, goal, title="Colleague's private KPI")
    tree = alignment_tree(c.cycle, c.staff)
    node, = tree.targets
    assert node.target == target
    goal_node, = node.goals
    assert goal_node.goal == goal
    assert [k.kpi for k in goal_node.kpis] == [mine]  # not the colleague's
    head_tree = alignment_tree(c.cycle, c.head)
    assert len(head_tree.targets[0].goals[0].kpis) == 2


def test_tree_hides_other_departments_goals_from_staff_and_filters_by_department(org_chart):
    c = org_chart
    target = make_target(c.cycle, c.exec)
    make_goal(c.cycle, c.eng, c.head, title="Eng goal", target=target)
    make_goal(c.cycle, c.sales, c.sales_head, title="Sales goal", target=target)
    staff_titles = {g.goal.title for t in alignment_tree(c.cycle, c.staff).targets
                    for g in t.goals}
    assert staff_titles == {"Eng goal"}
    exec_titles = {g.goal.title for t in alignment_tree(c.cycle, c.exec, c.sales.id).targets
                   for g in t.goals}
    assert exec_titles == {"Sales goal"}


def test_supporting_goal_sits_under_the_goal_it_supports(org_chart):
    c = org_chart
    portal = make_goal(c.cycle, c.eng, c.head, title="Ship the portal")
    goals.update_goal(portal, c.head, contributor_ids=[c.sales.id], expected_version=portal.version)
    support = make_goal(c.cycle, c.sales, c.sales_head, title="Bring 5 pilot customers")
    goals.update_goal(support, c.sales_head, supports_goal_id=portal.id,
        expected_version=support.version)
    tree = alignment_tree(c.cycle, c.exec)
    portal_node, = [n for n in tree.other_goals if n.goal == portal]
    assert [s.goal for s in portal_node.supporters] == [support]


# Bulk ------------------------------------------------------------------------------------------

def test_copy_one_kpi_to_several_people_at_once(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal, title="Review 10 pull requests a week",
                   weight="30")
    extra = [make_person(f"eng{i}", c.eng, manager=c.head) for i in range(3)]
    result = bulk.copy_kpi_to_people(kpi, c.head, [c.colleague, *extra, c.peer])
    assert result.kpis == 4
    assert ("Wang Fang", "not someone you manage") in result.skipped
    copy = plans.get_plan(c.cycle, c.colleague).kpis[0]
    assert (copy.title, copy.goal_id, copy.weight) == (kpi.title, goal.id, D("30.00"))
    again = bulk.copy_kpi_to_people(kpi, c.head, [c.colleague])
    assert again.kpis == 0 and again.skipped == [("Sam Okafor", "already has this KPI")]


def test_copy_last_cycles_plan_realigns_by_goal_title(org_chart):
    c = org_chart
    last = make_cycle("2026 H2", Phase.PLANNING, start_date=date(2026, 7, 1),
                      end_date=date(2026, 12, 31))
    old_goal = make_goal(last, c.eng, c.head, title="Reliable platform")
    other_old_goal = make_goal(last, c.eng, c.head, title="Retired theme", weight="0")
    make_kpi(last, c.staff, c.head, old_goal, title="Uptime", weight="70",
             baseline=D("99"), target_value=D("99.9"), due_date=date(2026, 12, 1))
    make_kpi(last, c.staff, c.head, other_old_goal, title="Old thing", weight="30")
    new_goal = make_goal(c.cycle, c.eng, c.head, title="reliable platform ")  # same title
    result = bulk.copy_previous_plans(c.cycle, c.head, [c.staff, c.colleague])
    assert result.kpis == 2 and result.unaligned == 1
    assert ("Sam Okafor", "no plan in 2026 H2") in result.skipped
    plan = plans.get_plan(c.cycle, c.staff)
    uptime, old_thing = sorted(plan.kpis, key=lambda k: k.title, reverse=True)
    assert uptime.goal_id == new_goal.id and uptime.due_date == date(2027, 6, 1)
    assert old_thing.goal_id is None  # left for the head to align
    assert plan.status == PlanStatus.DRAFT
    assert "not aligned" in " ".join(plans.submit_problems(plan, c.staff))
    assert bulk.copy_previous_plans(c.cycle, c.head, [c.staff]).kpis == 0  # nothing twice


def test_only_a_head_or_manager_copies_a_plan(org_chart):
    c = org_chart
    from perfsite.errors import NotAllowed

    with pytest.raises(NotAllowed):
        bulk.copy_previous_plans(c.cycle, c.staff, [c.staff])
    with pytest.raises(NotAllowed):
        bulk.copy_previous_plans(c.cycle, c.sales_head, [c.staff])
    db.session.rollback()
