"""Planning pages and htmx fragments through the test client: inline rows with out-of-band
totals, 422 and 409 answers, the plan's journey, object-level access, query counts."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import (
    AuditEvent,
    Cycle,
    Department,
    DepartmentGoal,
    Kpi,
    Person,
    PersonalPlan,
    PlanStatus,
    StrategyTarget,
)
from perfsite.planning.services import targets

from .factories import hr_admin, make_person
from .planning_factories import make_goal, make_kpi, make_target


def _objects(company):
    return SimpleNamespace(
        cycle=db.session.get(Cycle, company.cycle.id),
        exec=db.session.get(Person, company.exec.id),
        head=db.session.get(Person, company.head.id),
        staff=db.session.get(Person, company.staff.id),
        colleague=db.session.get(Person, company.colleague.id),
        sales_head=db.session.get(Person, company.sales_head.id),
        eng=db.session.get(Department, company.eng.id),
        sales=db.session.get(Department, company.sales.id),
    )


@pytest.fixture
def planned(app, company):
    """A published target; Engineering's goal (weight 60) serving it; Liu Yang's draft plan
    with KPIs weighing 60 + 30 = 90; a Sales goal."""
    with app.app_context():
        o = _objects(company)
        target = make_target(o.cycle, o.exec, title="Faster releases")
        goal = make_goal(o.cycle, o.eng, o.head, title="Weekly deploys", weight="60",
                         target=target)
        kpi = make_kpi(o.cycle, o.staff, o.head, goal, title="Automate the release", weight="60")
        make_kpi(o.cycle, o.staff, o.head, goal, title="Write runbooks", weight="30")
        sales_goal = make_goal(o.cycle, o.sales, o.sales_head, title="Win key accounts")
        db.session.commit()
        return SimpleNamespace(cycle=o.cycle.id, target=target.id, goal=goal.id, kpi=kpi.id,
                               sales_goal=sales_goal.id, eng=o.eng.id, sales=o.sales.id,
                               staff=o.staff.id, colleague=o.colleague.id, head=o.head.id)


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def _goal_form(goal_id: int, version: str, **changes) -> dict:
    p = f"goal{goal_id}-"
    data = {p + "title": "Weekly deploys", p + "alignment": "", p + "metric_type": "numeric",
            p + "baseline": "0", p + "target_value": "10", p + "unit": "", p + "weight": "60",
            p + "due_date": "", p + "version": version}
    data.update({p + k: v for k, v in changes.items()})
    return data


# Strategy targets ----------------------------------------------------------------------------

def test_executive_publishes_a_target_and_only_then_staff_see_it(app, company, login_as):
    executive = login_as("exec")
    page = executive.get(f"/planning/{company.cycle.id}/targets/new").get_data(as_text=True)
    response = executive.post_form(f"/planning/{company.cycle.id}/targets/new", {
        "title": "Grow revenue 20%", "description": "", "metric_type": "percentage",
        "baseline": "0", "target_value": "20", "unit": "%", "deadline": "2027-06-30",
        "owner_id": str(company.exec.id), "reason": "", "version": _value(page, "version")})
    assert response.status_code == 302
    target_url = response.headers["Location"]
    staff = login_as("staff")
    assert staff.get(target_url).status_code == 403  # a draft is the executives' business
    listing = staff.get(f"/planning/{company.cycle.id}/targets").get_data(as_text=True)
    assert "Grow revenue" not in listing
    detail = executive.get(target_url).get_data(as_text=True)
    published = executive.post_form(target_url + "/publish",
                                    {"version": _value(detail, "version")})
    assert published.status_code == 302
    page = staff.get(f"/planning/{company.cycle.id}/targets").get_data(as_text=True)
    assert "Grow revenue 20%" in page
    assert staff.get(target_url).status_code == 200


def test_draft_targets_are_not_listed_for_staff(app, company, login_as):
    with app.app_context():
        o = _objects(company)
        make_target(o.cycle, o.exec, title="Secret draft", publish=False)
        db.session.commit()
    assert "Secret draft" not in login_as("staff").get(
        f"/planning/{company.cycle.id}/targets").get_data(as_text=True)
    assert "Secret draft" in login_as("exec").get(
        f"/planning/{company.cycle.id}/targets").get_data(as_text=True)


def test_revising_a_published_target_needs_a_reason_and_keeps_history(app, company, login_as,
                                                                       planned):
    executive = login_as("exec")
    url = f"/planning/targets/{planned.target}/edit"
    page = executive.get(url).get_data(as_text=True)
    data = {"title": "Faster releases", "description": "", "metric_type": "percentage",
            "baseline": "10", "target_value": "30", "unit": "", "deadline": "",
            "owner_id": str(company.exec.id), "reason": "", "version": _value(page, "version")}
    refused = executive.post_form(url, data)
    assert refused.status_code == 422
    assert "Give a reason" in refused.get_data(as_text=True)
    saved = executive.post_form(url, {**data, "reason": "The board wants more"})
    assert saved.status_code == 302
    history = executive.get(f"/planning/targets/{planned.target}/history").get_data(as_text=True)
    assert "Revision 2" in history and "Revision 1" in history
    assert "The board wants more" in history
    # the head sees the flag on their home page
    home = login_as("head").get("/").get_data(as_text=True)
    assert 'id="home-realignment"' in home and "Weekly deploys" in home


def test_head_realigns_a_flagged_goal_with_a_reason(app, company, login_as, planned):
    with app.app_context():
        o = _objects(company)
        retired = db.session.get(StrategyTarget, planned.target)
        targets.retire_target(retired, o.exec, reason="Strategy changed",
                              expected_version=retired.version)
        other = make_target(o.cycle, o.exec, title="Happier customers")
        db.session.commit()
        other_id = other.id
    head = login_as("head")
    url = f"/planning/goals/{planned.goal}/realign"
    page = head.get(url).get_data(as_text=True)
    assert "retired" in page
    no_reason = head.post_form(url, {"alignment": f"target:{other_id}", "reason": "",
                                     "version": _value(page, "version")})
    assert no_reason.status_code == 422
    done = head.post_form(url, {"alignment": f"target:{other_id}", "reason": "Customers now",
                                "version": _value(page, "version")})
    assert done.status_code == 302
    with app.app_context():
        goal = db.session.get(DepartmentGoal, planned.goal)
        assert not goal.needs_realignment and goal.target_id == other_id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "goal.realigned"))
        assert event.before["target_id"] == planned.target
        assert event.after["reason"] == "Customers now"
    assert 'id="home-realignment"' not in head.get("/").get_data(as_text=True)


# Department plan: inline rows ----------------------------------------------------------------

def test_goal_row_turns_into_its_form_in_place(company, login_as, planned):
    response = login_as("head").htmx("GET", f"/planning/goals/{planned.goal}/inline")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<tr id="goal-{planned.goal}" class="editing">')
    assert 'data-hx-post="/planning/goals/' in body and f'id="goal{planned.goal}-weight"' in body
    assert f'<label class="" for="goal{planned.goal}-weight">' in body


def test_saving_a_goal_row_returns_the_row_and_the_weight_total_out_of_band(app, company,
                                                                            login_as, planned):
    head = login_as("head")
    form = head.htmx("GET", f"/planning/goals/{planned.goal}/inline").get_data(as_text=True)
    version = _value(form, f"goal{planned.goal}-version")
    response = head.htmx("POST", f"/planning/goals/{planned.goal}/inline",
                         _goal_form(planned.goal, version, weight="100"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'<tr id="goal-{planned.goal}" class="">' in body and "100%" in body
    assert 'id="goal-weight-total" aria-live="polite" data-hx-swap-oob="innerHTML"' in body
    assert "Engineering&#39;s goals add up to 100%." in body
    # "100%" once, beside a tick that says it is complete; no "100.00%", no "✓ 100%"
    assert "Goal weights: 100%" in body and "✓ Complete" in body
    assert "100.00" not in body and "✓ 100%" not in body


def test_goal_row_with_a_bad_weight_answers_422_inside_the_row(app, company, login_as, planned):
    head = login_as("head")
    form = head.htmx("GET", f"/planning/goals/{planned.goal}/inline").get_data(as_text=True)
    response = head.htmx("POST", f"/planning/goals/{planned.goal}/inline",
                         _goal_form(planned.goal, _value(form, f"goal{planned.goal}-version"),
                                    weight="33.333"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith("<tr") and "<html" not in body
    assert 'aria-invalid="true"' in body and "at most two decimals" in body
    with app.app_context():
        assert db.session.get(DepartmentGoal, planned.goal).weight == Decimal("60.00")


def test_goal_row_edit_works_without_javascript(app, company, login_as, planned):
    head = login_as("head")
    page = head.get(f"/planning/goals/{planned.goal}/inline").get_data(as_text=True)
    assert "<html" in page
    response = head.post_form(f"/planning/goals/{planned.goal}/inline",
                              _goal_form(planned.goal, _value(page, f"goal{planned.goal}-version"),
                                         weight="100"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/planning/{planned.cycle}/departments/{planned.eng}#goal-{planned.goal}")


def test_second_save_of_the_same_goal_is_refused_with_409_and_shows_both(app, company, login_as,
                                                                         planned):
    first, second = login_as("head"), login_as("exec")  # exec heads the company
    url = f"/planning/goals/{planned.goal}/inline"
    version = _value(first.htmx("GET", url).get_data(as_text=True), f"goal{planned.goal}-version")
    assert _value(second.htmx("GET", url).get_data(as_text=True),
                  f"goal{planned.goal}-version") == version
    assert first.htmx("POST", url, _goal_form(planned.goal, version, weight="70")).status_code \
        == 200
    clash = second.htmx("POST", url, _goal_form(planned.goal, version, weight="45",
                                                title="Daily deploys"))
    body = clash.get_data(as_text=True)
    assert clash.status_code == 409
    assert f'id="goal-{planned.goal}-conflict"' in body and "70%" in body  # what changed
    assert 'value="45"' in body and 'value="Daily deploys"' in body  # what they typed
    newer = _value(body, f"goal{planned.goal}-version")
    assert newer != version
    with app.app_context():
        assert db.session.get(DepartmentGoal, planned.goal).weight == Decimal("70.00")
    again = second.htmx("POST", url, _goal_form(planned.goal, newer, weight="45"))
    assert again.status_code == 200


def test_head_cannot_touch_another_departments_goals(company, login_as, planned):
    head = login_as("head")
    assert head.get(f"/planning/goals/{planned.sales_goal}/inline").status_code == 403
    assert head.get(f"/planning/goals/{planned.sales_goal}/row").status_code == 403
    assert head.post_form(f"/planning/goals/{planned.sales_goal}/inline",
                          _goal_form(planned.sales_goal, "1")).status_code == 403
    assert head.post_form(f"/planning/goals/{planned.sales_goal}/delete",
                          {}).status_code == 403
    assert head.get(f"/planning/{planned.cycle}/departments/{planned.sales}").status_code == 403
    assert head.get(
        f"/planning/{planned.cycle}/departments/{planned.sales}/goals/new").status_code == 403


def test_marking_the_department_plan_ready_says_what_is_missing(app, company, login_as, planned):
    head = login_as("head")
    url = f"/planning/{planned.cycle}/departments/{planned.eng}/ready"
    response = head.htmx("POST", url, {})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "Engineering&#39;s goals add up to 60%; 40 short of 100%." in body
    page = head.post_form(url, {})
    assert page.status_code == 422 and "40 short" in page.get_data(as_text=True)


# A person's plan --------------------------------------------------------------------------------

def test_plan_at_90_cannot_be_submitted_through_the_page(app, company, login_as, planned):
    staff = login_as("staff")
    page = staff.get(f"/planning/{planned.cycle}/people/{planned.staff}").get_data(as_text=True)
    assert "Liu Yang&#39;s KPIs add up to 90%; 10 short of 100%." in page
    plan_url = f"/planning/{planned.cycle}/people/{planned.staff}"
    response = staff.form(plan_url, "/submit").submit()
    # Without JavaScript the refusal comes back on the plan's own address (so a reload
    # does not post again), with the reason shown once.
    assert response.status_code == 303 and response.headers["Location"].endswith(
        plan_url + "#plan")
    body = staff.get(plan_url).get_data(as_text=True)
    # Once in the message at the top, once in the plan's weight box (it used to be three).
    assert body.count("10 short of 100%") == 2 and "Not submitted yet" in body
    _assert_still_draft(app, planned)


def test_plan_at_90_cannot_be_submitted_through_the_fragment(app, company, login_as, planned):
    staff = login_as("staff")
    page = staff.get(f"/planning/{planned.cycle}/people/{planned.staff}").get_data(as_text=True)
    response = staff.htmx("POST", f"/planning/{planned.cycle}/people/{planned.staff}/submit",
                          {"plan-version": _value(page, "plan-version")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert body.lstrip().startswith('<section id="plan"') and "10 short of 100%" in body
    _assert_still_draft(app, planned)


def test_plan_at_90_cannot_be_submitted_by_a_crafted_post(app, company, login_as, planned):
    staff = login_as("staff")
    url = f"/planning/{planned.cycle}/people/{planned.staff}"
    response = staff.htmx("POST", f"{url}/submit", {}, token_from=url)  # no version at all
    assert response.status_code in (409, 422)
    response = staff.htmx("POST", f"{url}/submit", {"plan-version": "1"}, token_from=url)
    assert response.status_code == 422
    assert "10 short of 100%" in response.get_data(as_text=True)
    _assert_still_draft(app, planned)


def _assert_still_draft(app, planned):
    with app.app_context():
        plan = db.session.scalar(select(PersonalPlan).where(
            PersonalPlan.person_id == planned.staff))
        assert plan.status == PlanStatus.DRAFT


def _kpi_form(kpi_id, version, goal_id, **changes):
    p = f"kpi{kpi_id}-"
    data = {p + "title": "Automate the release", p + "goal_id": str(goal_id),
            p + "metric_type": "numeric", p + "baseline": "0", p + "target_value": "10",
            p + "unit": "", p + "weight": "60", p + "due_date": "", p + "version": version}
    data.update({p + k: v for k, v in changes.items()})
    return data


def test_head_fixes_a_kpi_weight_inline_and_the_plan_status_follows(app, company, login_as,
                                                                     planned):
    head = login_as("head")
    url = f"/planning/kpis/{planned.kpi}/inline"
    form = head.htmx("GET", url).get_data(as_text=True)
    assert form.lstrip().startswith(f'<tr id="kpi-{planned.kpi}" class="editing">')
    version = _value(form, f"kpi{planned.kpi}-version")
    response = head.htmx("POST", url, _kpi_form(planned.kpi, version, planned.goal, weight="70"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'<tr id="kpi-{planned.kpi}"' in body and "70%" in body
    assert 'id="plan-status" aria-live="polite" data-hx-swap-oob="innerHTML"' in body
    assert "Liu Yang&#39;s KPIs add up to 100%." in body


def test_kpi_row_errors_come_back_in_the_row_with_422(company, login_as, planned):
    head = login_as("head")
    url = f"/planning/kpis/{planned.kpi}/inline"
    form = head.htmx("GET", url).get_data(as_text=True)
    version = _value(form, f"kpi{planned.kpi}-version")
    response = head.htmx("POST", url, _kpi_form(planned.kpi, version, planned.sales_goal))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith("<tr")
    assert "Not a valid choice" in body or "department goal" in body


def test_staff_proposes_submits_and_head_accepts_and_approves(app, company, login_as, planned):
    staff = login_as("staff")
    new = f"/planning/{planned.cycle}/people/{planned.staff}/kpis/new"
    page = staff.get(new).get_data(as_text=True)
    assert "Propose a KPI" in page
    proposed = staff.post_form(new, {"title": "Mentor an intern", "goal_id": str(planned.goal),
                                     "metric_type": "milestone", "baseline": "", "target_value": "",
                                     "unit": "", "weight": "10", "due_date": ""})
    assert proposed.status_code == 302
    plan_url = f"/planning/{planned.cycle}/people/{planned.staff}"
    page = staff.get(plan_url).get_data(as_text=True)
    assert "add up to 100%" in page and "Proposed, awaiting the head" in page
    submitted = staff.htmx("POST", plan_url + "/submit",
                           {"plan-version": _value(page, "plan-version")})
    assert submitted.status_code == 200 and "Submitted" in submitted.get_data(as_text=True)

    head = login_as("head")
    page = head.get(plan_url).get_data(as_text=True)
    refused = head.htmx("POST", plan_url + "/approve",
                        {"plan-version": _value(page, "plan-version")})
    assert refused.status_code == 422 and "Accept or decline" in refused.get_data(as_text=True)
    with app.app_context():
        proposal = db.session.scalar(select(Kpi).where(Kpi.title == "Mentor an intern"))
        proposal_id, version = proposal.id, proposal.version
    no_comment = head.htmx("POST", f"/planning/kpis/{proposal_id}/decide",
                           {f"decide{proposal_id}-version": str(version),
                            f"decide{proposal_id}-comment": "", "decision": "decline"})
    assert no_comment.status_code == 422
    assert no_comment.get_data(as_text=True).lstrip().startswith(f'<tr id="kpi-{proposal_id}"')
    accepted = head.htmx("POST", f"/planning/kpis/{proposal_id}/decide",
                         {f"decide{proposal_id}-version": str(version),
                          f"decide{proposal_id}-comment": "Good idea", "decision": "accept"})
    assert accepted.status_code == 200 and "Proposal accepted" in accepted.get_data(as_text=True)
    page = head.get(plan_url).get_data(as_text=True)
    approved = head.post_form(plan_url + "/approve", {"plan-version": _value(page, "plan-version")})
    assert approved.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(PersonalPlan).where(
            PersonalPlan.person_id == planned.staff))
        assert plan.status == PlanStatus.APPROVED and plan.approved_by_id == planned.head


def test_staff_cannot_approve_their_own_plan(app, company, login_as, planned):
    staff = login_as("staff")
    response = staff.post_form(f"/planning/{planned.cycle}/people/{planned.staff}/approve", {})
    assert response.status_code == 403
    response = staff.post_form(f"/planning/{planned.cycle}/people/{planned.staff}/return",
                               {"return-comment": "no"})
    assert response.status_code == 403


def test_staff_cannot_see_another_persons_draft(app, company, login_as, planned):
    with app.app_context():
        o = _objects(company)
        goal = db.session.get(DepartmentGoal, planned.goal)
        kpi = make_kpi(o.cycle, o.colleague, o.head, goal, title="Colleague's KPI")
        db.session.commit()
        kpi_id = kpi.id
    staff = login_as("staff")
    assert staff.get(f"/planning/{planned.cycle}/people/{planned.colleague}").status_code == 403
    assert staff.get(f"/planning/kpis/{kpi_id}/row").status_code == 403
    assert staff.get(f"/planning/kpis/{kpi_id}/inline").status_code == 403
    tree = staff.get(f"/planning/{planned.cycle}/tree").get_data(as_text=True)
    assert "Colleague&#39;s KPI" not in tree and "Automate the release" in tree


def test_staff_cannot_edit_an_assigned_kpi(company, login_as, planned):
    staff = login_as("staff")
    assert staff.get(f"/planning/kpis/{planned.kpi}/inline").status_code == 403
    assert staff.post_form(f"/planning/kpis/{planned.kpi}/delete", {}).status_code == 403


def test_returned_plan_shows_the_comment_to_the_person(app, company, login_as, planned):
    with app.app_context():
        kpi = db.session.get(Kpi, planned.kpi)
        kpi.weight = Decimal("70")
        db.session.commit()
    staff = login_as("staff")
    plan_url = f"/planning/{planned.cycle}/people/{planned.staff}"
    page = staff.get(plan_url).get_data(as_text=True)
    assert staff.post_form(plan_url + "/submit",
                           {"plan-version": _value(page, "plan-version")}).status_code == 302
    head = login_as("head")
    page = head.get(plan_url).get_data(as_text=True)
    missing = head.post_form(plan_url + "/return", {
        "return-comment": "", "return-version": _value(page, "return-version")})
    assert missing.status_code == 422
    returned = head.post_form(plan_url + "/return", {
        "return-comment": "Make the runbooks measurable",
        "return-version": _value(page, "return-version")})
    assert returned.status_code == 302
    page = staff.get(plan_url).get_data(as_text=True)
    assert "Make the runbooks measurable" in page and "Returned" in page


def test_copy_a_kpi_to_several_people_from_its_page(app, company, login_as, planned):
    with app.app_context():
        o = _objects(company)
        extra = make_person("extra.eng", o.eng, manager=o.head, display_name="Extra Eng")
        db.session.commit()
        extra_id = extra.id
    head = login_as("head")
    # The page never lists everyone: people are picked by searching (org/picker.py).
    page = head.get(f"/planning/kpis/{planned.kpi}/copy").get_data(as_text=True)
    assert "Sam Okafor" not in page and "data-people-picker" in page
    search = f"/planning/kpis/{planned.kpi}/copy/people"
    assert f'data-hx-get="{search}"' in page
    options = head.htmx("GET", search, {"q": "eng", "for_id": "people"})
    assert "Extra Eng" in options.get_data(as_text=True)
    assert "Wang Fang" not in head.htmx("GET", search, {"q": "wang"}).get_data(as_text=True)
    assert "Liu Yang" not in head.htmx("GET", search, {"q": "liu"}).get_data(as_text=True)
    unknown = head.form(f"/planning/kpis/{planned.kpi}/copy", "/copy").submit(
        {"people": "colleague, extra.en"})
    assert unknown.status_code == 422
    assert "Did you mean: Extra Eng (extra.eng)?" in unknown.get_data(as_text=True)
    response = head.form(f"/planning/kpis/{planned.kpi}/copy", "/copy").submit(
        {"people": "colleague, extra.eng"})
    assert response.status_code == 302
    assert extra_id  # copied to both, below
    with app.app_context():
        copies = db.session.scalars(select(Kpi).where(Kpi.title == "Automate the release")).all()
        assert len(copies) == 3


def test_alignment_tree_shows_the_chain_with_weighted_progress(company, login_as, planned):
    page = login_as("staff").get(f"/planning/{planned.cycle}/tree").get_data(as_text=True)
    target_at = page.index(f'id="tree-target-{planned.target}"')
    goal_at = page.index(f'id="tree-goal-{planned.goal}"')
    kpi_at = page.index(f'id="tree-kpi-{planned.kpi}"')
    assert target_at < goal_at < kpi_at
    assert "<details open>" in page and "<summary>" in page
    assert "Win key accounts" not in page  # Sales' goal is not staff's business


def test_alignment_tree_filters_by_department(company, login_as, planned):
    page = login_as("exec").get(f"/planning/{planned.cycle}/tree",
                                query_string={"department_id": planned.sales}).get_data(
        as_text=True)
    assert "Win key accounts" in page and "Weekly deploys" not in page


def test_planning_pages_render_in_chinese(company, login_as, planned):
    head = login_as("head")
    head.post_form("/language", {"locale": "zh_CN"})
    for url in (f"/planning/{planned.cycle}/departments/{planned.eng}",
                f"/planning/{planned.cycle}/people/{planned.staff}",
                f"/planning/{planned.cycle}/tree", f"/planning/{planned.cycle}/targets", "/"):
        response = head.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_nothing_changes_through_the_pages_in_a_closed_cycle(app, company, login_as, planned):
    from perfsite.cycles import services as cycles
    from perfsite.models import Phase

    with app.app_context():
        cycle = db.session.get(Cycle, planned.cycle)
        for phase in list(Phase)[2:]:
            cycles.move_phase(cycle, hr_admin(), phase)
        db.session.commit()
    head = login_as("head")
    page = head.get(f"/planning/{planned.cycle}/departments/{planned.eng}").get_data(as_text=True)
    inline = f"/planning/goals/{planned.goal}/inline"
    assert "read-only" in page and f'data-hx-get="{inline}"' not in page
    form = head.get(f"/planning/goals/{planned.goal}/inline").get_data(as_text=True)
    response = head.post_form(f"/planning/goals/{planned.goal}/inline",
                              _goal_form(planned.goal, _value(form, f"goal{planned.goal}-version"),
                                         weight="100", reason="late change"))
    assert response.status_code == 409
    assert "Closed" in response.get_data(as_text=True)


# Query counts ---------------------------------------------------------------------------------

def _grow_engineering(app, company, planned, people: int, start: int = 0) -> None:
    """Add people to Engineering, each with a plan of two KPIs."""
    with app.app_context():
        o = _objects(company)
        goal = db.session.get(DepartmentGoal, planned.goal)
        for i in range(start, start + people):
            person = make_person(f"grown{i}", o.eng, manager=o.head)
            make_kpi(o.cycle, person, o.head, goal, title="First", weight="50")
            make_kpi(o.cycle, person, o.head, goal, title="Second", weight="50")
        db.session.commit()


@pytest.mark.parametrize("page", ["department", "tree", "person"])
def test_planning_pages_issue_the_same_queries_for_5_or_50_people(app, company, login_as,
                                                                  count_queries, planned, page):
    head = login_as("head")
    url = {"department": f"/planning/{planned.cycle}/departments/{planned.eng}",
           "tree": f"/planning/{planned.cycle}/tree",
           "person": f"/planning/{planned.cycle}/people/{planned.staff}"}[page]

    def queries():
        with count_queries() as q:
            assert head.get(url).status_code == 200
        return q.count

    # Pages of 3 people: both sizes fill the first page of the department plan, so both
    # count it (a page shorter than a page is not counted: paging.paginate)
    app.config["PAGE_SIZE"] = 3
    try:
        queries()  # department names are kept under the org chart's version from here on
        _grow_engineering(app, company, planned, 2)  # Engineering: head, staff, colleague + 2
        small = queries()
        _grow_engineering(app, company, planned, 45, start=2)  # 50 people
        with app.app_context():
            assert len(db.session.scalars(select(Person).where(
                Person.department_id == planned.eng)).all()) == 50
        assert queries() == small
    finally:
        app.config["PAGE_SIZE"] = 50


def test_a_double_clicked_assign_creates_one_kpi(app, company, login_as, planned):
    head = login_as("head")
    url = f"/planning/{planned.cycle}/people/{planned.colleague}/kpis/new"
    data = {"title": "Pair with Liu Yang", "goal_id": str(planned.goal), "metric_type": "numeric",
            "baseline": "0", "target_value": "4", "unit": "sessions", "weight": "20",
            "due_date": ""}
    first, second = head.post_form(url, data), head.post_form(url, data)
    assert first.status_code == 302
    assert second.status_code == 422
    assert "already has a KPI with this title" in second.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Kpi).where(Kpi.title == "Pair with Liu Yang"))
                   .all()) == 1


def test_retiring_a_target_through_its_page_needs_a_reason(app, company, login_as, planned):
    executive = login_as("exec")
    url = f"/planning/targets/{planned.target}/retire"
    page = executive.get(url).get_data(as_text=True)
    assert executive.post_form(url, {"reason": "", "version": _value(page, "version")}) \
        .status_code == 422
    done = executive.post_form(url, {"reason": "Strategy changed",
                                     "version": _value(page, "version")})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(StrategyTarget, planned.target).status == "retired"
        assert db.session.get(DepartmentGoal, planned.goal).needs_realignment
