"""Performance cycles: phases, the phase rule table, and HR's pages."""

from datetime import date

import pytest
from sqlalchemy import select

from perfsite.cycles import services as cycles
from perfsite.errors import PhaseError
from perfsite.extensions import db
from perfsite.models import AuditEvent, Cycle, Phase
from perfsite.permissions import phases

from .factories import hr_admin, make_cycle


def test_a_cycle_moves_one_phase_at_a_time_and_is_audited(org_chart):
    cycle = make_cycle("2028 H1", Phase.DRAFT)
    cycles.move_phase(cycle, hr_admin(), Phase.PLANNING)
    with pytest.raises(cycles.Invalid):
        cycles.move_phase(cycle, hr_admin(), Phase.REVIEW)
    cycles.move_phase(cycle, hr_admin(), Phase.DRAFT)  # one step back is allowed
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "cycle", AuditEvent.object_id == cycle.id)
        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["cycle.created", "cycle.advanced", "cycle.moved_back"]
    assert events[-1].before == {"phase": "planning"} and events[-1].after == {"phase": "draft"}


def test_every_phase_can_be_reached_and_closed_is_last(org_chart):
    cycle = make_cycle("2028 H2", Phase.CLOSED)
    assert cycle.current_phase is Phase.CLOSED
    assert cycles.next_phase(cycle) is None
    assert cycles.previous_phase(cycle) is Phase.INTERVIEWS


@pytest.mark.parametrize(("phase", "action", "allowed"), [
    (Phase.PLANNING, "edit_plans", True),
    (Phase.IN_PROGRESS, "edit_plans", False),
    (Phase.IN_PROGRESS, "check_in", True),
    (Phase.REVIEW, "check_in", True),
    (Phase.CLOSED, "check_in", False),
    (Phase.CLOSED, "revise_plans", False),
    (Phase.DRAFT, "edit_settings", True),
    (Phase.REVIEW, "edit_settings", False),
])
def test_the_phase_decides_what_is_allowed(org_chart, phase, action, allowed):
    cycle = make_cycle(f"C-{phase}-{action}", phase)
    assert phases.is_allowed(cycle, action) is allowed
    if not allowed:
        with pytest.raises(PhaseError):
            phases.require_phase(cycle, action)


def test_unknown_actions_are_a_programming_error(org_chart):
    with pytest.raises(KeyError):
        phases.is_allowed(org_chart.cycle, "no_such_action")


def test_settings_are_checked(org_chart):
    with pytest.raises(cycles.Invalid) as error:
        cycles.create_cycle(hr_admin(), name="Backwards", start_date=date(2027, 6, 1),
                            end_date=date(2027, 1, 1))
    assert error.value.field == "end_date"
    with pytest.raises(cycles.Invalid) as error:
        cycles.create_cycle(hr_admin(), name="2027 H1", start_date=date(2027, 1, 1),
                            end_date=date(2027, 6, 30))
    assert error.value.field == "name"


def test_settings_cannot_change_once_the_cycle_is_running(org_chart):
    cycle = make_cycle("Running", Phase.IN_PROGRESS)
    with pytest.raises(PhaseError):
        cycles.update_settings(cycle, hr_admin(), anonymity_threshold=4,
            expected_version=cycle.version)


def test_current_cycle_is_the_newest_running_one(org_chart):
    make_cycle("Old", Phase.CLOSED, start_date=date(2026, 1, 1), end_date=date(2026, 6, 30))
    make_cycle("Next", Phase.DRAFT, start_date=date(2027, 7, 1), end_date=date(2027, 12, 31))
    assert cycles.current_cycle().name == "2027 H1"


def test_hr_creates_a_cycle_through_the_form(app, login_as, company):
    hr = login_as("hr")
    response = hr.post_form("/cycles/new", {
        "name": "2027 H2", "start_date": "2027-07-01", "end_date": "2027-12-31",
        "rating_scale_max": "5", "anonymity_threshold": "3", "checkin_interval_days": "14"},
        token_from="/cycles/new")
    assert response.status_code == 302
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2027 H2"))
        assert cycle.phase == "draft"


def test_anonymity_threshold_below_two_is_refused_next_to_the_field(login_as, company):
    hr = login_as("hr")
    response = hr.post_form("/cycles/new", {
        "name": "Bad", "start_date": "2027-07-01", "end_date": "2027-12-31",
        "rating_scale_max": "5", "anonymity_threshold": "1", "checkin_interval_days": "14"},
        token_from="/cycles/new")
    assert response.status_code == 422
    assert 'id="anonymity_threshold-error"' in response.get_data(as_text=True)


def test_phase_change_asks_for_confirmation_then_moves(app, login_as, company):
    hr = login_as("hr")
    confirm = hr.get(f"/cycles/{company.cycle.id}/phase?to=in_progress")
    assert confirm.status_code == 200
    assert "In progress" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cycle, company.cycle.id).phase == "planning"
    response = hr.post_form(f"/cycles/{company.cycle.id}/phase", {"to": "in_progress"},
                            token_from=f"/cycles/{company.cycle.id}")
    assert response.status_code == 302
    # A double submit of the same confirmation does not skip a phase.
    hr.post_form(f"/cycles/{company.cycle.id}/phase", {"to": "in_progress"},
                 token_from=f"/cycles/{company.cycle.id}")
    with app.app_context():
        assert db.session.get(Cycle, company.cycle.id).phase == "in_progress"
