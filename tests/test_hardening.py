"""Hardening: one record per form however it is posted, no colleague's plan on show, no
silent overwrite, no NUL bytes, case-insensitive KPI titles, draft cycles kept to HR."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from perfsite.errors import Conflict, Invalid
from perfsite.extensions import db
from perfsite.models import (
    AuditEvent,
    CheckIn,
    CoachingComment,
    Cycle,
    Kpi,
    Notification,
    Obstacle,
    Person,
    PrivateNote,
    ResourceRequest,
)
from perfsite.planning.services import plans

from .coaching_factories import running_cycle
from .conftest import Browserless
from .factories import Company, make_cycle
from .planning_factories import make_goal, make_kpi, make_target


def _attached(company) -> Company:
    return Company(**{name: db.session.get(type(getattr(company, name)),
                                           getattr(company, name).id)
                      for name in company.__dataclass_fields__})


@pytest.fixture
def running(app, company):
    with app.app_context():
        run = running_cycle(_attached(company))
        db.session.commit()
        return {"cycle": run.cycle.id, "kpi": run.kpi.id, "colleague_kpi": run.colleague_kpi.id}


def count(app, model, *where) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return found


def clones(app, client: Browserless, n: int) -> list[Browserless]:
    """`n` clients sharing `client`'s login (one browser, n tabs or a double click)."""
    cookie = client.client.get_cookie("session")
    made = []
    for _ in range(n):
        other = Browserless(app.test_client())
        other.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        made.append(other)
    return made


def post_in_parallel(app, client, form, data, n=10, **kwargs):
    """Post the same form (same one-time token) `n` times at once; the statuses."""
    statuses = []
    barrier = threading.Barrier(n)

    def post(tab):
        barrier.wait()
        statuses.append(form.submit(data, client=tab, **kwargs).status_code)

    threads = [threading.Thread(target=post, args=(tab,)) for tab in clones(app, client, n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


# One record per form -----------------------------------------------------------------------

def test_ten_parallel_check_ins_with_obstacle_and_request_store_one_of_each(
        app, company, running, login_as):
    staff = login_as("staff")
    form = staff.form(f"/coaching/kpis/{running['kpi']}", "/check-ins")
    statuses = post_in_parallel(app, staff, form, {
        "actual_value": "3", "status": "at_risk", "note": "Late review",
        "obstacle": "No test data", "request_kind": "tools", "request_what": "A licence",
        "request_why": "To test"})
    assert all(status < 400 for status in statuses), statuses
    assert count(app, CheckIn) == 1
    assert count(app, Obstacle) == 1
    assert count(app, ResourceRequest) == 1
    assert count(app, AuditEvent, AuditEvent.action == "check_in.posted") == 1


def test_ten_parallel_private_notes_store_one(app, company, running, login_as):
    head = login_as("head")
    form = head.form(f"/coaching/people/{company.staff.id}", "/notes")
    statuses = post_in_parallel(app, head, form, {"body": "Ready for a bigger project"})
    assert all(status < 400 for status in statuses), statuses
    assert count(app, PrivateNote) == 1


def test_a_coaching_comment_posted_twice_gives_one_comment_and_one_notification(
        app, company, running, login_as):
    staff = login_as("staff")
    staff.form(f"/coaching/kpis/{running['kpi']}", "/check-ins").submit({"actual_value": "2"})
    head = login_as("head")
    form = head.form(f"/coaching/kpis/{running['kpi']}", "/comments")
    body_field = next(name for name in form.fields if name.endswith("body"))
    first = form.submit({body_field: "Good progress"})
    second = form.submit({body_field: "Good progress"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]  # the first one's answer
    assert count(app, CoachingComment) == 1
    assert count(app, Notification, Notification.kind == "coaching_comment") == 1
    statuses = post_in_parallel(app, head, form, {body_field: "Good progress"})
    assert all(status < 400 for status in statuses)
    assert count(app, CoachingComment) == 1


def test_ten_parallel_cycle_creations_store_one(app, company, login_as):
    hr = login_as("hr")
    form = hr.form("/cycles/new", "/cycles/new")
    statuses = post_in_parallel(app, hr, form, {
        "name": "2028 H1", "start_date": "2028-01-01", "end_date": "2028-06-30"})
    assert all(status < 400 for status in statuses), statuses
    assert count(app, Cycle, Cycle.name == "2028 H1") == 1
    assert count(app, AuditEvent, AuditEvent.action == "cycle.created",
                 AuditEvent.object_label == "2028 H1") == 1


def test_two_cycle_forms_with_the_same_name_save_one_and_tell_the_other(app, company, login_as):
    hr = login_as("hr")
    data = {"name": "2028 H2", "start_date": "2028-07-01", "end_date": "2028-12-31"}
    first = hr.form("/cycles/new", "/cycles/new").submit(data)
    second = hr.form("/cycles/new", "/cycles/new").submit(data)  # another tab: new token
    assert first.status_code == 302 and second.status_code == 422
    assert "Another cycle already has this name." in second.get_data(as_text=True)
    assert count(app, Cycle, Cycle.name == "2028 H2") == 1


def test_a_create_form_without_its_token_is_refused(app, company, login_as):
    hr = login_as("hr")
    form = hr.form("/cycles/new", "/cycles/new")
    response = form.submit({"name": "No token", "start_date": "2028-01-01",
                            "end_date": "2028-06-30", "form_token": ""})
    assert response.status_code == 422
    assert "This form has expired" in response.get_data(as_text=True)
    assert count(app, Cycle, Cycle.name == "No token") == 0


# No colleague's plan on show ----------------------------------------------------------------

def test_staff_see_only_their_own_plan_on_the_department_plan(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        goal = make_goal(c.cycle, c.eng, c.head, title="Ship it")
        make_kpi(c.cycle, c.colleague, c.head, goal, title="Colleague's secret KPI",
                 weight="70")
        make_kpi(c.cycle, c.staff, c.head, goal, title="Mine", weight="40")
        db.session.commit()
    url = f"/planning/{company.cycle.id}/departments/{company.eng.id}"
    staff_page = login_as("staff").get(url).get_data(as_text=True)
    assert "Ship it" in staff_page  # the department's goals are theirs to see
    assert "Liu Yang" in staff_page and "40%" in staff_page
    assert "Sam Okafor" not in staff_page and "70%" not in staff_page
    assert "Zhang Min" not in staff_page.split('id="people-heading"')[1]
    head_page = login_as("head").get(url).get_data(as_text=True)
    assert "Sam Okafor" in head_page and "70%" in head_page


def test_another_heads_target_page_lists_only_the_goals_their_tree_shows(app, company,
                                                                         login_as):
    with app.app_context():
        c = _attached(company)
        target = make_target(c.cycle, c.exec, title="Grow")
        make_goal(c.cycle, c.eng, c.head, title="Engineering's goal", target=target)
        make_goal(c.cycle, c.sales, c.sales_head, title="Sales goal", target=target)
        db.session.commit()
        target_id = target.id
    sales_head = login_as("sales.head")
    page = sales_head.get(f"/planning/targets/{target_id}").get_data(as_text=True)
    tree = sales_head.get(f"/planning/{company.cycle.id}/tree").get_data(as_text=True)
    assert "Sales goal" in page and "Sales goal" in tree
    assert "Engineering&#39;s goal" not in page and "Engineering&#39;s goal" not in tree
    exec_page = login_as("exec").get(f"/planning/targets/{target_id}").get_data(as_text=True)
    assert "Engineering&#39;s goal" in exec_page and "Sales goal" in exec_page


# No silent overwrite -------------------------------------------------------------------------

@pytest.mark.parametrize("version", [None, "", "abc", "1.5", str(2**70)])
def test_an_edit_without_a_valid_version_is_refused_and_changes_nothing(
        app, company, login_as, version):
    hr = login_as("hr")
    form = hr.form(f"/people/{company.staff.id}/edit", "/edit")
    data = {"display_name": "Overwritten"}
    if version is None:
        form.fields.pop("version")
    else:
        data["version"] = version
    response = form.submit(data)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Person, company.staff.id).display_name == "Liu Yang"


def test_services_refuse_a_missing_version(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    from perfsite.planning.services import goals

    with pytest.raises(Conflict):
        goals.update_goal(goal, c.head, expected_version=None, title="Changed")
    with pytest.raises(Conflict):
        goals.update_goal(goal, c.head, expected_version="garbage", title="Changed")


# Text and numbers --------------------------------------------------------------------------

def test_nul_and_control_characters_are_stripped_from_text(app, company, running, login_as):
    staff = login_as("staff")
    staff.form(f"/coaching/kpis/{running['kpi']}", "/check-ins").submit(
        {"actual_value": "2", "note": "Half\x00done\x07 today"})
    with app.app_context():
        assert db.session.scalar(select(CheckIn.note)) == "Halfdone today"


def test_kpi_titles_are_unique_in_a_plan_whatever_their_case(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    make_kpi(c.cycle, c.staff, c.head, goal, title="Uptime", weight="50")
    with pytest.raises(Invalid, match="already has a KPI"):
        make_kpi(c.cycle, c.staff, c.head, goal, title="UPTIME", weight="50")
    # The database holds the rule too, whoever writes past the service.
    plan = plans.get_plan(c.cycle, c.staff)
    db.session.add(Kpi(plan=plan, title="uptime", goal_id=goal.id, metric_type="numeric",
                       baseline=0, target_value=1, weight=Decimal(10), origin="assigned"))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_baseline_too_fine_to_store_is_refused_not_rounded_to_zero(org_chart):
    c = org_chart
    with pytest.raises(Invalid, match="four decimals"):
        make_goal(c.cycle, c.eng, c.head, baseline=Decimal("1e-7"))


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "1E+1000000000", "1e309"])
def test_hostile_numbers_in_a_weight_are_a_message_not_a_crash(app, company, login_as, value):
    head = login_as("head")
    url = f"/planning/{company.cycle.id}/departments/{company.eng.id}/goals/new"
    form = head.form(url, "/goals/new")
    response = form.submit({"title": "Goal", "weight": value, "metric_type": "numeric",
                            "target_value": "10"})
    assert response.status_code == 422
    assert count(app, AuditEvent, AuditEvent.action == "goal.created") == 0


# Draft cycles ----------------------------------------------------------------------------------

def test_staff_cannot_open_a_draft_cycles_pages(app, company, login_as):
    with app.app_context():
        draft = make_cycle("2029 H1", phase="draft")
        db.session.commit()
        draft_id = draft.id
    staff = login_as("staff")
    for path in (f"/planning/{draft_id}/targets", f"/planning/{draft_id}/tree",
                 f"/planning/{draft_id}/people/{company.staff.id}",
                 f"/planning/?cycle_id={draft_id}"):
        assert staff.get(path).status_code == 403, path
    assert login_as("hr").get(f"/planning/{draft_id}/targets").status_code == 200
