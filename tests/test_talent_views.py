"""The allocation and talent review pages, through HTTP with CSRF on, submitting the pages'
own forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import (
    DepartmentAllocation,
    PotentialAssessment,
    ResourceRequest,
    TalentMove,
    TargetAllocation,
)

from .factories import attached, make_person
from .talent_factories import allocated_cycle, assessed, raise_request, talent_cycle


@pytest.fixture
def allocated(app, company):
    with app.app_context():
        c = attached(company)
        run = allocated_cycle(c)
        item = raise_request(run, c.staff)
        db.session.commit()
        return {"cycle_id": run.cycle.id, "target_id": run.target.id, "request_id": item.id}


@pytest.fixture
def reviewed(app, company):
    with app.app_context():
        c = attached(company)
        run = talent_cycle(c)
        assessed(run.cycle, c.staff, c.head, "medium")
        db.session.commit()
        return {"cycle_id": run.cycle.id}


def test_an_executive_allocates_and_splits_on_the_pages_own_forms(app, company, allocated,
                                                                    login_as):
    exec_ = login_as("exec")
    page = f"/talent/targets/{allocated['target_id']}/allocation"
    form = exec_.form(page, "allocation-form")
    response = form.submit({"budget": "250000.505", "headcount": "4"})
    assert response.status_code == 422
    assert "at most two decimals" in response.get_data(as_text=True)
    response = exec_.form(page, "allocation-form").submit({"budget": "250000.50",
                                                            "headcount": "4"})
    assert response.status_code == 302
    form = exec_.form(page, "split-form")
    response = form.submit({f"budget-{company.eng.id}": "300000",
                            f"headcount-{company.eng.id}": "1"})
    assert response.status_code == 422
    assert "CNY 49,999.50 more than the target" in response.get_data(as_text=True)
    response = exec_.form(page, "split-form").submit({f"budget-{company.eng.id}": "200000.25"})
    assert response.status_code == 302
    with app.app_context():
        share = db.session.scalar(select(DepartmentAllocation))
        assert share.budget == Decimal("200000.25")
        assert db.session.scalar(select(TargetAllocation.budget)) == Decimal("250000.50")
    overview = exec_.get(f"/talent/cycles/{allocated['cycle_id']}/allocations")
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200 and "<svg" in html and "CNY 200,000.25" in html
    csv = exec_.get(f"/talent/cycles/{allocated['cycle_id']}/allocations/export")
    assert "Engineering" in csv.get_data(as_text=True) and "200000.25" in csv.get_data(as_text=True)
    xlsx = exec_.get(f"/talent/cycles/{allocated['cycle_id']}/allocations/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_nonsense_amounts_are_refused_beside_the_field_never_a_500(app, company, allocated,
                                                                    login_as):
    exec_ = login_as("exec")
    page = f"/talent/targets/{allocated['target_id']}/allocation"
    for budget in ("abc", "1e999", "NaN", "-5", "99999999999999999999"):
        response = exec_.form(page, "allocation-form").submit({"budget": budget})
        assert response.status_code == 422, budget


def test_the_decision_form_shows_what_remains_and_refuses_a_head_going_beyond(
        app, company, allocated, login_as):
    head = login_as("head")
    page = f"/coaching/requests/{allocated['request_id']}"
    html = head.get(page).get_data(as_text=True)
    assert "drawable-allocations" in html and "CNY 60,000.00" in html
    response = head.form(page, "decide").submit({"amount": "60000.01", "comment": "Go"},
                                                  button="decision=approve")
    assert response.status_code == 422
    assert "more than the allocation has left" in response.get_data(as_text=True)
    response = head.form(page, "decide").submit({"amount": "1000", "headcount": "1"},
                                                  button="decision=approve")
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(ResourceRequest, allocated["request_id"])
        assert item.status == "approved" and item.amount == Decimal("1000.00")
        assert item.allocation_id is not None
    assert "CNY 1,000.00" in head.get(page).get_data(as_text=True)


def test_the_department_plan_shows_the_allocation_to_heads_not_to_staff(app, company,
                                                                        allocated, login_as):
    page = f"/planning/{allocated['cycle_id']}/departments/{company.eng.id}"
    assert "department-allocation" in login_as("head").get(page).get_data(as_text=True)
    assert "department-allocation" not in login_as("staff").get(page).get_data(as_text=True)


def test_hr_runs_the_talent_review_and_the_person_never_sees_it(app, company, reviewed,
                                                                login_as):
    cycle_id = reviewed["cycle_id"]
    hr = login_as("hr")
    response = hr.form(f"/talent/cycles/{cycle_id}/settings", "talent-settings-form").submit(
        {"column-B": "low", "guidance-high-zh": "学习快"})
    assert response.status_code == 302
    html = hr.get(f"/talent/cycles/{cycle_id}/review").get_data(as_text=True)
    assert '<svg class="chart-svg"' in html and "Liu Yang" in html  # staff, placed
    assert "Sam Okafor" in html  # colleague, not assessed yet
    head = login_as("head")
    page = f"/talent/cycles/{cycle_id}/people/{company.colleague.id}"
    response = head.form(page, "potential-form").submit({"potential": "high", "comment": ""})
    assert response.status_code == 422 and "Say what the assessment rests on" in \
        response.get_data(as_text=True)
    assert head.form(page, "potential-form").submit(
        {"potential": "high", "comment": "Learns fast"}).status_code == 302
    response = hr.form(page, "move-form").submit({"to_box": "high/high",
                                                  "reason": "Led the launch"})
    assert response.status_code == 302
    assert head.form(page, "action-form").submit(
        {"agreed_action": "Stretch assignment"}).status_code == 302
    with app.app_context():
        assessment = db.session.scalar(select(PotentialAssessment).where(
            PotentialAssessment.person_id == company.colleague.id))
        assert (assessment.moved_performance, assessment.agreed_action) == \
            ("high", "Stretch assignment")
        assert db.session.scalar(select(TalentMove.reason)) == "Led the launch"
    html = hr.get(f"/talent/cycles/{cycle_id}/review").get_data(as_text=True)
    assert "Led the launch" in html
    # colleague, staff and the other head are refused the page and the person's record
    for username in ("colleague", "staff", "sales.head"):
        assert login_as(username).get(page).status_code == 403, username
    assert login_as("colleague").get(f"/talent/cycles/{cycle_id}/review").status_code == 403
    other = login_as("sales.head").get(f"/talent/cycles/{cycle_id}/review")
    assert "Sam Okafor" not in other.get_data(as_text=True)


def test_key_positions_and_successors_on_the_page(app, company, login_as):
    hr = login_as("hr")
    response = hr.form("/talent/key-positions", "mark-form").submit(
        {"holder_username": "colleague", "title": "Tech lead"})
    assert response.status_code == 302
    response = hr.form("/talent/key-positions", "mark-form").submit(
        {"holder_username": "nobody"})
    assert response.status_code == 422 and "Nobody active" in response.get_data(as_text=True)
    head = login_as("head")
    form = head.form("/talent/key-positions", "successors")
    response = form.submit({k: v for k, v in {**form.fields}.items()} | {
        next(k for k in form.fields if k.endswith("candidate_username")): "staff",
        next(k for k in form.fields if k.endswith("readiness")): "ready_now"})
    assert response.status_code == 302
    html = hr.get("/talent/key-positions").get_data(as_text=True)
    assert "Liu Yang" in html and "Every key position has a successor ready now" in html


def _add_people(c, cycle, start: int, stop: int) -> None:
    """People in Engineering with a rating, half of them assessed, each a key position
    holder with a successor: every kind of row the talent pages show."""
    from perfsite.models import KeyPosition, ReviewResult, Successor, utcnow

    for n in range(start, stop):
        person = make_person(f"extra{n}", c.eng, manager=c.head)
        db.session.add(ReviewResult(cycle_id=cycle.id, person_id=person.id,
                                    final_score=Decimal("3.50"), band="B"))
        if n % 2:
            db.session.add(PotentialAssessment(cycle_id=cycle.id, person_id=person.id,
                                               potential="high", comment="x",
                                               assessed_by_id=c.head.id))
        position = KeyPosition(holder_id=person.id, title=f"Role {n}", marked_by_id=c.hr.id,
                               marked_at=utcnow())
        db.session.add(position)
        db.session.flush()
        db.session.add(Successor(position_id=position.id, candidate_id=c.staff.id,
                                 readiness="later", named_by_id=c.hr.id, named_at=utcnow()))
    db.session.commit()


def test_talent_and_allocation_pages_take_as_many_queries_for_5_as_for_50_people(
        app, company, login_as, count_queries):
    with app.app_context():
        c = attached(company)
        run = allocated_cycle(c)
        cycle_id = run.cycle.id
        _add_people(c, run.cycle, 0, 5)
    pages = (f"/talent/cycles/{cycle_id}/review", f"/talent/cycles/{cycle_id}/allocations",
             "/talent/key-positions")
    hr = login_as("hr")

    def counts():
        found = {}
        for page in pages:
            hr.get(page)
            with count_queries() as q:
                assert hr.get(page).status_code == 200
            found[page] = q.count
        return found

    with_5 = counts()
    with app.app_context():
        _add_people(attached(company), db.session.get(type(run.cycle), cycle_id), 5, 50)
    html = hr.get(pages[0]).get_data(as_text=True)
    assert "Extra49" in html or "extra49" in html.lower()
    assert counts() == with_5


def test_the_agreed_action_is_on_the_interview_and_outcomes_for_heads_not_the_person(
        app, company, login_as):
    from perfsite.talent.services import review

    from .coaching_factories import NOW
    from .interview_factories import schedule

    with app.app_context():
        c = attached(company)
        run = talent_cycle(c)
        assessment = assessed(run.cycle, c.colleague, c.head, "high")
        review.agree_action(assessment, c.head, action="Lead the next release",
                            expected_version=assessment.version, now=NOW)
        interview = schedule(run.cycle, c.colleague, c.head)
        db.session.commit()
        page, cycle_id = f"/interviews/{interview.id}", run.cycle.id
    assert "Lead the next release" in login_as("head").get(page).get_data(as_text=True)
    mine = login_as("colleague").get(page)
    assert mine.status_code == 200 and "Lead the next release" not in mine.get_data(as_text=True)
    outcomes = login_as("hr").get(f"/interviews/cycles/{cycle_id}/outcomes")
    assert outcomes.status_code == 200
