"""Resource allocation and the talent review, tested through the services without HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from perfsite import permissions as can
from perfsite.coaching.services import requests
from perfsite.cycles import services as cycles
from perfsite.errors import Invalid, NotAllowed, PhaseError
from perfsite.extensions import db
from perfsite.models import AuditEvent, Level, Person, Phase, TalentMove
from perfsite.talent.services import allocations, review, succession
from perfsite.talent.services.review import Box

from .coaching_factories import NOW
from .factories import hr_admin, make_cycle
from .planning_factories import make_goal, make_target
from .talent_factories import allocated_cycle, assessed, raise_request, talent_cycle


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


# Allocation arithmetic ------------------------------------------------------------------------

def test_an_executive_splits_a_budget_in_exact_decimals_across_supporting_departments(
        org_chart):
    c = org_chart
    cycle = make_cycle("2027 H2", Phase.PLANNING)
    target = make_target(cycle, c.exec, title="Open Shanghai office")
    make_goal(cycle, c.eng, c.head, title="Office IT", target=target)
    make_goal(cycle, c.sales, c.sales_head, title="First clients", target=target)
    allocation = allocations.allocate(target, c.exec, currency="cny", budget="0.30",
                                      headcount="3", expected_version="", now=NOW)
    assert (allocation.currency, allocation.budget, allocation.headcount) == \
        ("CNY", Decimal("0.30"), 3)
    # 0.1 + 0.2 is exactly 0.3 in Decimal (in floats it is more, and would be refused).
    allocations.split(allocation, c.exec, shares={c.eng.id: ("0.10", 1),
                                                  c.sales.id: ("0.20", "2")},
                      expected_version=allocation.version, now=NOW)
    row, = allocations.overview(cycle)
    assert row.unsplit_budget == Decimal("0.00") and row.unsplit_headcount == 0
    assert {r.share.department.name: (r.figure.budget, r.figure.remaining_headcount)
            for r in row.shares} == {"Engineering": (Decimal("0.10"), 1),
                                     "Sales": (Decimal("0.20"), 2)}
    assert [e.action for e in _actions("allocation.created") + _actions("allocation.split")] \
        == ["allocation.created", "allocation.split"]


def test_shares_beyond_the_target_are_refused_saying_by_how_much(org_chart):
    c = org_chart
    run = allocated_cycle(c)
    allocation = allocations.allocation_of(run.target)
    with pytest.raises(Invalid) as error:
        allocations.split(allocation, c.exec, shares={c.eng.id: ("100000.01", 4)},
                          expected_version=allocation.version, now=NOW)
    assert "CNY 0.01 more" in error.value.errors["budget"]
    assert "1 more" in str(error.value.errors["headcount"])
    with pytest.raises(Invalid) as error:
        allocations.split(allocation, c.exec, shares={c.sales.id: ("1", 0)},
                          expected_version=allocation.version, now=NOW)
    assert "support this target" in error.value.message
    with pytest.raises(Invalid) as error:
        allocations.allocate(run.target, c.exec, currency="CNY", budget="10.005",
                             headcount="1.5", expected_version=allocation.version, now=NOW)
    assert set(error.value.errors) == {"budget", "headcount"}


def test_only_executives_allocate(org_chart):
    c = org_chart
    run = allocated_cycle(c)
    for not_executive in (c.hr, c.head, c.staff):
        with pytest.raises(NotAllowed):
            allocations.allocate(run.target, not_executive, currency="CNY", budget="1",
                                 headcount=0, expected_version="", now=NOW)


def test_an_approved_request_draws_on_the_allocation_and_the_rest_is_what_remains(org_chart):
    c = org_chart
    run = allocated_cycle(c)
    item = raise_request(run, c.staff)
    row, = allocations.drawable(item)
    assert (row.figure.budget, row.figure.remaining_budget) == (Decimal("60000.00"),) * 2
    requests.decide(item, c.head, decision="approve", comment="Go", now=NOW,
                    expected_version=item.version, allocation_id=row.share.id,
                    amount="40000.50", headcount="1")
    assert item.allocation_id == row.share.id and item.amount == Decimal("40000.50")
    row, = allocations.drawable(item)
    assert row.figure.committed_budget == Decimal("40000.50")
    assert row.figure.remaining_budget == Decimal("19999.50")
    assert row.figure.remaining_headcount == 1
    event = _actions("resource_request.approved")[-1]
    assert event.after["draws_on"] == "Grow revenue · Engineering"
    assert event.after["amount"] == "40000.50"
    # A share never drops below what was drawn on it.
    allocation = allocations.allocation_of(run.target)
    with pytest.raises(Invalid) as error:
        allocations.split(allocation, c.exec, shares={c.eng.id: ("40000.00", 2)},
                          expected_version=allocation.version, now=NOW)
    assert "drew CNY 40,000.50" in error.value.message


def test_over_allocation_needs_an_executive_with_a_reason(org_chart):
    c = org_chart
    run = allocated_cycle(c)
    item = raise_request(run, c.staff)
    share_id = allocations.drawable(item)[0].share.id
    with pytest.raises(Invalid) as error:
        requests.decide(item, c.head, decision="approve", now=NOW,
                        expected_version=item.version, allocation_id=share_id,
                        amount="60000.01")
    assert "CNY 0.01 more than the allocation has left" in error.value.message
    assert item.status == "open"
    requests.decide(item, c.head, decision="escalate", comment="Over our share",
                    escalate_to_id=c.exec.id, now=NOW, expected_version=item.version)
    with pytest.raises(Invalid) as error:
        requests.decide(item, c.exec, decision="approve", now=NOW,
                        expected_version=item.version, allocation_id=share_id,
                        amount="75000", headcount=3)
    assert error.value.field == "over_allocation_reason"
    requests.decide(item, c.exec, decision="approve", now=NOW, expected_version=item.version,
                    allocation_id=share_id, amount="75000", headcount=3,
                    over_reason="Launch moved forward")
    row, = allocations.drawable(item)
    assert row.figure.remaining_budget == Decimal("-15000.00") and row.figure.over
    assert _actions("resource_request.approved")[-1].after["over_allocation_reason"] == \
        "Launch moved forward"


def test_an_amount_needs_an_allocation_of_the_raisers_department(org_chart):
    c = org_chart
    run = allocated_cycle(c)
    item = raise_request(run, c.staff)
    with pytest.raises(Invalid) as error:
        requests.decide(item, c.head, decision="approve", now=NOW,
                        expected_version=item.version, amount="10")
    assert error.value.field == "allocation_id"


def test_allocations_lock_when_the_cycle_closes(org_chart):
    c = org_chart
    run = talent_cycle(c)
    target = run.target
    allocations.allocate(target, c.exec, currency="CNY", budget="10", headcount=1,
                         expected_version="", now=NOW)
    cycles.move_phase(run.cycle, hr_admin(), Phase.CLOSED)
    allocation = allocations.allocation_of(target)
    with pytest.raises(PhaseError):
        allocations.allocate(target, c.exec, currency="CNY", budget="20", headcount=1,
                             expected_version=allocation.version, now=NOW)
    with pytest.raises(PhaseError):
        allocations.split(allocation, c.exec, shares={c.eng.id: ("1", 0)},
                          expected_version=allocation.version, now=NOW)


# The grid -------------------------------------------------------------------------------------

def test_grid_places_people_by_their_calibrated_band_at_the_band_edges(org_chart):
    c = org_chart
    run = talent_cycle(c)
    assessed(run.cycle, c.staff, c.head, "medium")
    assessed(run.cycle, c.colleague, c.head, "high")
    grid = review.grid(run.cycle, c.hr)
    # staff's 4.00 is band A (from 3.75): high; colleague's 3.00 is B's lowest score: medium.
    assert [e.person.username for e in grid.boxes["high/medium"]] == ["staff"]
    assert [e.person.username for e in grid.boxes["medium/high"]] == ["colleague"]
    assert grid.count(Box(Level.MEDIUM, Level.HIGH)) == 1 and grid.total == 2
    # HR groups B with the low column: colleague moves with it.
    settings = review.settings_for(run.cycle)
    review.update_settings(run.cycle, c.hr, columns={"S": "high", "A": "high", "B": "low",
                                                     "C": "low", "D": "low"},
                           guidance={"high": {"en": "Fast", "zh": "快"}},
                           expected_version=settings.version or "", now=NOW)
    assert [e.person.username for e in review.grid(run.cycle, c.hr).boxes["low/high"]] == \
        ["colleague"]


def test_a_calibrated_rating_places_the_person_not_the_computed_one(org_chart):
    c = org_chart
    run = talent_cycle(c, calibrate_colleague_to="C")
    assessed(run.cycle, c.colleague, c.head, "low")
    grid = review.grid(run.cycle, c.exec)
    assert [e.person.username for e in grid.boxes["low/low"]] == ["colleague"]
    assert [e.person.username for e in grid.unplaced] == ["staff"]


def test_columns_keep_the_order_of_the_bands(org_chart):
    c = org_chart
    run = talent_cycle(c)
    with pytest.raises(Invalid) as error:
        review.update_settings(run.cycle, c.hr, columns={"S": "high", "A": "low", "B": "medium",
                                                         "C": "low", "D": "low"},
                               guidance={}, expected_version="", now=NOW)
    assert error.value.field == "column-B"
    with pytest.raises(NotAllowed):
        review.update_settings(run.cycle, c.exec, columns={}, guidance={},
                               expected_version="", now=NOW)


def test_hr_moves_a_person_with_a_reason_listed_and_audited_and_back_clears_it(org_chart):
    c = org_chart
    run = talent_cycle(c)
    assessment = assessed(run.cycle, c.colleague, c.head, "medium")
    with pytest.raises(NotAllowed):
        review.move(assessment, c.head, to_box="high/high", reason="Great year",
                    expected_version=assessment.version, now=NOW)
    with pytest.raises(Invalid) as error:
        review.move(assessment, c.hr, to_box="high/high", reason=" ",
                    expected_version=assessment.version, now=NOW)
    assert error.value.field == "reason"
    review.move(assessment, c.hr, to_box="high/high", reason="Led the migration",
                expected_version=assessment.version, now=NOW)
    assert [e.person.username for e in review.grid(run.cycle, c.hr).boxes["high/high"]] == \
        ["colleague"]
    review.move(assessment, c.exec, to_box="medium/medium", reason="Back after discussion",
                expected_version=assessment.version, now=NOW)
    assert not assessment.is_moved
    moves = review.moves_of(run.cycle, c.hr)
    assert [(m.from_box, m.to_box, m.reason) for m in moves] == [
        ("high/high", "medium/medium", "Back after discussion"),
        ("medium/medium", "high/high", "Led the migration")]
    assert len(_actions("talent.moved")) == 2
    # the head sees the moves of their people; another head sees none
    assert len(review.moves_of(run.cycle, c.head)) == 2
    assert review.moves_of(run.cycle, c.sales_head) == []


def test_the_head_assesses_and_agrees_an_action_the_person_and_others_cannot(org_chart):
    c = org_chart
    run = talent_cycle(c)
    blank = review.assessment_for(run.cycle, c.colleague)
    for refused in (c.colleague, c.staff, c.sales_head, c.hr):
        with pytest.raises(NotAllowed):
            review.assess(blank, refused, potential="high", comment="x",
                          expected_version="", now=NOW)
    with pytest.raises(Invalid) as error:
        review.assess(blank, c.head, potential="huge", comment="", expected_version="",
                      now=NOW)
    assert error.value.field == "potential"
    assessment = assessed(run.cycle, c.colleague, c.head, "high")
    box = review.box_of(assessment, "B", review.columns_of(review.settings_for(run.cycle),
                                                           ["S", "A", "B", "C", "D"]))
    assert str(box.suggestion).startswith("Develop")
    review.agree_action(assessment, c.head, action="Lead the next release with a mentor",
                        expected_version=assessment.version, now=NOW)
    assert review.agreed_actions([c.colleague.id], c.head)[c.colleague.id].agreed_action \
        .startswith("Lead")
    assert review.agreed_actions([c.colleague.id], c.colleague) == {}
    # Closed, it is read-only.
    cycles.move_phase(run.cycle, hr_admin(), Phase.CLOSED)
    with pytest.raises(PhaseError):
        review.agree_action(assessment, c.head, action="Other",
                            expected_version=assessment.version, now=NOW)


# Visibility -----------------------------------------------------------------------------------

def test_talent_data_is_seen_by_hr_executives_and_the_head_chain_never_the_person(org_chart):
    c = org_chart
    run = talent_cycle(c)
    assessed(run.cycle, c.staff, c.head, "medium")
    assessed(run.cycle, c.colleague, c.head, "high")
    people = list(db.session.scalars(select(Person)))
    for viewer in (c.hr, c.exec, c.head, c.sales_head, c.staff, c.colleague, c.peer):
        by_predicate = {p.id for p in people if can.can_see_talent(viewer, p)}
        by_clause = set(db.session.scalars(
            select(Person.id).where(can.talent_people_clause(viewer))))
        assert by_predicate == by_clause, viewer.username
        placed = {e.person.id for e in review.grid(run.cycle, viewer).entries()}
        assert placed <= by_predicate and viewer.id not in placed
    assert not can.can_see_talent(c.colleague, c.colleague)
    assert not can.can_see_talent(c.staff, c.colleague)
    assert not can.can_see_talent(c.sales_head, c.colleague)
    assert can.can_see_talent(c.head, c.colleague) and can.can_see_talent(c.exec, c.colleague)
    assert review.grid(run.cycle, c.sales_head).total == 0
    assert review.grid(run.cycle, c.head).total == 2


# Succession -----------------------------------------------------------------------------------

def test_key_positions_without_a_successor_ready_now_are_listed(org_chart):
    c = org_chart
    lead = succession.mark(c.colleague, c.hr, title="Tech lead", now=NOW)
    sales = succession.mark(c.peer, c.hr, title="", now=NOW)
    assert sales.title == c.peer.job_title
    with pytest.raises(NotAllowed):
        succession.mark(c.staff, c.head, title="x", now=NOW)
    with pytest.raises(NotAllowed):
        succession.name_successor(lead, c.sales_head, candidate_id=c.staff.id,
                                  readiness="ready_now", now=NOW)
    succession.name_successor(lead, c.head, candidate_id=c.staff.id,
                              readiness="one_two_years", now=NOW)
    with pytest.raises(Invalid):
        succession.name_successor(lead, c.head, candidate_id=c.colleague.id,
                                  readiness="ready_now", now=NOW)
    assert [p.title for p in succession.without_ready_successor(succession.positions(c.hr))] \
        == ["Engineer", "Tech lead"]
    succession.name_successor(lead, c.hr, candidate_id=c.peer.id, readiness="ready_now",
                              now=NOW)
    assert [p.title for p in succession.without_ready_successor(succession.positions(c.hr))] \
        == ["Engineer"]
    assert [p.title for p in succession.positions(c.head)] == ["Tech lead"]
    assert succession.positions(c.colleague) == [] and succession.positions(c.staff) == []
    assert len(_actions("successor.named")) == 2


def test_talent_moves_are_kept(org_chart):
    c = org_chart
    run = talent_cycle(c)
    assessment = assessed(run.cycle, c.staff, c.head, "low")
    review.move(assessment, c.hr, to_box="high/medium", reason="Potential underrated",
                expected_version=assessment.version, now=NOW)
    assert db.session.scalar(select(TalentMove.reason)) == "Potential underrated"
