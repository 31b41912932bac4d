"""Pages read in proportion to what they show (issue 11): rows read do not grow with the
rest of the company; the alignment tree opens collapsed over several departments; the
stored KPI sums behind progress stay equal to the KPIs; people are picked by searching;
`flask seed-scale` writes a consistent company. Speed itself is `make bench`'s business:
nothing here is timed."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from perfsite.extensions import db
from perfsite.models import (
    AuditEvent,
    Cycle,
    Department,
    DepartmentGoal,
    Kpi,
    Person,
    PersonalPlan,
)
from perfsite.planning.services import plans, progress

from .factories import hr_admin, make_person
from .planning_factories import make_goal, make_kpi, make_target


def _attached(company):
    return SimpleNamespace(
        cycle=db.session.get(Cycle, company.cycle.id),
        exec=db.session.get(Person, company.exec.id),
        head=db.session.get(Person, company.head.id),
        staff=db.session.get(Person, company.staff.id),
        colleague=db.session.get(Person, company.colleague.id),
        sales_head=db.session.get(Person, company.sales_head.id),
        eng=db.session.get(Department, company.eng.id),
        sales=db.session.get(Department, company.sales.id))


@pytest.fixture
def planned(app, company):
    """A target served by a goal of Engineering and one of Sales; two KPIs each for
    staff and colleague."""
    with app.app_context():
        o = _attached(company)
        target = make_target(o.cycle, o.exec, title="Faster releases")
        goal = make_goal(o.cycle, o.eng, o.head, title="Weekly deploys", target=target)
        sales_goal = make_goal(o.cycle, o.sales, o.sales_head, title="Win key accounts",
                               target=target)
        for person in (o.staff, o.colleague):
            make_kpi(o.cycle, person, o.head, goal, title="Automate the release", weight="60")
            make_kpi(o.cycle, person, o.head, goal, title="Write runbooks", weight="40")
        db.session.commit()
        return SimpleNamespace(cycle=o.cycle.id, target=target.id, goal=goal.id,
                               sales_goal=sales_goal.id, eng=o.eng.id, sales=o.sales.id,
                               staff=o.staff.id)


def _grow(app, company, planned, department: str, people: int, start: int = 0) -> None:
    """Add `people` to a department, each with a plan of two KPIs on its goal."""
    with app.app_context():
        o = _attached(company)
        dept = o.sales if department == "sales" else o.eng
        head = o.sales_head if department == "sales" else o.head
        goal = db.session.get(DepartmentGoal, planned.sales_goal if department == "sales"
                              else planned.goal)
        for i in range(start, start + people):
            person = make_person(f"{department}{i}", dept, manager=head)
            make_kpi(o.cycle, person, head, goal, title="First", weight="50")
            make_kpi(o.cycle, person, head, goal, title="Second", weight="50")
        db.session.commit()


PAGES = {
    # page: (who looks, url)
    "department plan": ("head", "/planning/{cycle}/departments/{eng}"),
    "tree": ("staff", "/planning/{cycle}/tree"),
    "tree (whole company)": ("exec", "/planning/{cycle}/tree"),
    "person plan": ("staff", "/planning/{cycle}/people/{staff}"),
    "targets list": ("exec", "/planning/{cycle}/targets"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_planning_pages_read_the_same_rows_whatever_the_size_of_the_rest_of_the_company(
        app, company, login_as, count_queries, planned, page):
    """Growing Sales from 2 to 50 people (and 96 KPIs) changes nothing a page about
    Engineering, or the collapsed whole-company tree, or the targets list reads or sends:
    reading the whole cycle would."""
    who, url = PAGES[page]
    url = url.format(**vars(planned))
    client = login_as(who)

    def measure():
        with count_queries() as q:
            response = client.get(url)
            assert response.status_code == 200
        return q.count, q.rows, len(response.data)

    _grow(app, company, planned, "sales", 3)
    measure()  # what is kept under the org chart's version (department names) read once
    small = measure()
    _grow(app, company, planned, "sales", 45, start=3)
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.department_id == planned.sales)) == 50
    statements, rows, size = measure()
    assert (statements, rows) == small[:2], f"{page}: statements and rows read grew"
    assert abs(size - small[2]) < 200, f"{page}: {small[2]} -> {size} bytes"


def test_the_department_plan_shows_its_people_a_page_at_a_time(app, company, login_as,
                                                               count_queries, planned):
    head = login_as("head")
    url = f"/planning/{planned.cycle}/departments/{planned.eng}"
    _grow(app, company, planned, "eng", 60)  # 63 people in Engineering
    app.config["PAGE_SIZE"] = 20
    try:
        with count_queries() as first:
            page = head.get(url).get_data(as_text=True)
        assert page.count('id="person-plan-') == 20 and "Page 1 of 4" in page
        with count_queries() as last:
            page4 = head.get(url, query_string={"page": 4}).get_data(as_text=True)
        assert page4.count('id="person-plan-') == 3
        assert last.rows < first.rows  # the rows read follow the rows shown
    finally:
        app.config["PAGE_SIZE"] = 50


LISTS = {
    # page: (who looks, url); each shows a page of PAGE_SIZE rows at most
    "people list": ("exec", "/people"),
    "people search": ("exec", "/people?q=sales"),
    "audit log": ("hr", "/audit"),
    "home (executive)": ("exec", "/"),
    "home (head)": ("head", "/"),
    "home (staff)": ("staff", "/"),
}


def _log(app, company, events: int) -> None:
    with app.app_context():
        actor = db.session.get(Person, company.head.id)
        db.session.add_all(AuditEvent(action="kpi.updated", actor=actor, object_type="kpi",
                                      object_id=i, object_label=f"KPI {i}",
                                      before={"weight": "40"}, after={"weight": "60"})
                           for i in range(events))
        db.session.commit()


@pytest.mark.parametrize("page", sorted(LISTS))
def test_lists_and_home_read_a_page_whatever_the_size_of_the_company(
        app, company, login_as, count_queries, planned, page):
    """The people list, the audit log and the home pages read a page of rows (and counts),
    not the company: 10 more people and events, or 60 more, read the same rows. Home reads
    the kept to-do list: once made afresh (new people make every kept list stale), then
    kept; both the same at both sizes."""
    who, url = LISTS[page]
    client = login_as(who)
    app.config["PAGE_SIZE"] = 5

    def measure():
        counted = []
        for _time in ("made afresh", "kept"):
            with count_queries() as q:
                response = client.get(url)
                assert response.status_code == 200
            counted.append((q.count, q.rows))
        return counted

    try:
        # a kept to-do list exists from here on, and what is kept under the org chart's
        # version (the people list's department options) has been read
        assert client.get(url).status_code == 200
        _grow(app, company, planned, "sales", 10)
        _log(app, company, 10)
        small = measure()
        if page.startswith("home"):  # the kept list: fewer statements than making it
            assert small[1][0] < small[0][0], small
        _grow(app, company, planned, "sales", 50, start=10)
        _log(app, company, 50)
        assert measure() == small, f"{page}: statements and rows read grew"
    finally:
        app.config["PAGE_SIZE"] = 50


# The fixed cost of a request -----------------------------------------------------------------

def test_a_bare_page_costs_one_statement_the_login_with_roles_and_the_org_version(
        app, company, login_as, count_queries):
    """The session, the person, their roles and the org chart's version in one statement;
    the department tree, read once, is kept under that version."""
    staff = login_as("staff")
    with count_queries() as first:
        assert staff.get("/account/password").status_code == 200
    with count_queries() as q:
        assert staff.get("/account/password").status_code == 200
    statements = [s for s in q.statements if s != "BEGIN"]  # SQLite's explicit BEGIN
    assert len(statements) == 1, statements
    assert "login_session" in statements[0] and "person_role" in statements[0]
    assert "org_version" in statements[0]
    assert len([s for s in first.statements if s != "BEGIN"]) <= 2
    # a department written: the version moves on, and the writing process keeps the new
    # tree at once (another process reads it afresh: the next test)
    version, _links = app.extensions["perfsite_department_links"]
    login_as("hr").form(f"/departments/{company.sales.id}/edit", "/edit").submit(
        {"head_username": "peer"})
    new_version, links = app.extensions["perfsite_department_links"]
    assert new_version != version
    assert (company.sales.id, company.exec_team.id, company.peer.id) in links


def test_query_stats_headers_only_when_switched_on(fresh_app, company):
    from tests.conftest import Browserless

    client = Browserless(fresh_app.test_client())
    client.login("staff")
    assert "X-SQL-Statements" not in client.get("/account/password").headers
    from perfsite import create_app
    from tests.conftest import TEST_CONFIG

    counted = create_app({**TEST_CONFIG, "QUERY_STATS": True,
                          "SQLALCHEMY_DATABASE_URI":
                              fresh_app.config["SQLALCHEMY_DATABASE_URI"]})
    client = Browserless(counted.test_client())
    client.login("staff")
    response = client.get("/account/password")
    assert int(response.headers["X-SQL-Statements"]) in (1, 2, 3)  # the tree kept, or read
    assert int(response.headers["X-SQL-Rows"]) > 0


def test_a_department_changed_through_one_worker_is_seen_by_the_next_request_on_another(
        app, company, login_as):
    """Two app instances on one database stand for two gunicorn workers: the department
    tree that permissions read is kept in a process only under the org chart's version,
    which a department written in the other moves on."""
    from perfsite import create_app
    from tests.conftest import TEST_CONFIG, Browserless

    other = create_app({**TEST_CONFIG,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    head = Browserless(other.test_client())
    assert head.login("head").status_code == 302
    url = f"/people/{company.peer.id}"  # in Sales, which `head` does not manage
    try:
        assert head.get(url).status_code == 403
        done = login_as("hr").form(f"/departments/{company.sales.id}/edit", "/edit").submit(
            {"head_username": "head"})
        assert done.status_code == 302
        assert head.get(url).status_code == 200
    finally:
        with other.app_context():
            db.engine.dispose()


def test_department_names_are_kept_under_the_org_version_and_renamed_everywhere_at_once(
        app, company, login_as, count_queries):
    """The department names and a department field's options (the people list's filter,
    the person form, the department plan's contributors) are read once per version of the
    org chart, not on every page; a department renamed through one app instance is named
    anew by the next request on another."""
    from perfsite import create_app
    from tests.conftest import TEST_CONFIG, Browserless

    exec_ = login_as("exec")
    exec_.get("/people")
    with count_queries() as q:
        assert exec_.get("/people").status_code == 200
    assert not [s for s in q.statements  # the filter's options (the rows' own departments
                # are read with them, `WHERE department.id IN`)
                if s.startswith("SELECT department.id, department.name")], q.statements
    other = create_app({**TEST_CONFIG,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    hr = Browserless(other.test_client())
    assert hr.login("hr").status_code == 302
    try:
        assert "Sales" in hr.get("/people").get_data(as_text=True)
        done = login_as("hr").form(f"/departments/{company.sales.id}/edit", "/edit").submit(
            {"name": "Sales and Marketing"})
        assert done.status_code == 302
        page = hr.get("/people").get_data(as_text=True)
        assert "Sales and Marketing" in page
        assert "Sales and Marketing" in exec_.get("/people").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()


# The alignment tree ---------------------------------------------------------------------------

def test_the_whole_company_tree_opens_collapsed_and_loads_a_department_when_opened(
        app, company, login_as, planned):
    executive = login_as("exec")
    page = executive.get(f"/planning/{planned.cycle}/tree").get_data(as_text=True)
    assert 'id="tree-kpi-' not in page and "Automate the release" not in page
    branch = f"/planning/{planned.cycle}/tree/departments/{planned.eng}"
    assert f'data-hx-get="{branch}"' in page and 'data-hx-trigger="toggle once"' in page
    # without JavaScript the link shows that department's tree
    assert f'href="/planning/{planned.cycle}/tree?department_id={planned.eng}"' in page
    fragment = executive.htmx("GET", branch).get_data(as_text=True)
    assert "<html" not in fragment and "Weekly deploys" in fragment
    assert fragment.count('id="tree-kpi-') == 4 and "Win key accounts" not in fragment
    assert executive.get(branch).status_code == 302  # a plain GET goes to the tree page
    whole = executive.get(f"/planning/{planned.cycle}/tree",
                          query_string={"department_id": planned.eng}).get_data(as_text=True)
    assert whole.count('id="tree-kpi-') == 4


def test_a_head_of_one_department_and_staff_see_their_tree_whole(app, company, login_as,
                                                                 planned):
    for who in ("head", "staff"):
        page = login_as(who).get(f"/planning/{planned.cycle}/tree").get_data(as_text=True)
        assert 'id="tree-kpi-' in page and "toggle once" not in page, who


def test_a_branch_shows_only_what_the_person_may_see(app, company, login_as, planned):
    peer = login_as("peer")  # Sales: may not read Engineering's goals or KPIs
    fragment = peer.htmx("GET", f"/planning/{planned.cycle}/tree/departments/{planned.eng}")
    assert fragment.status_code == 200
    assert "Weekly deploys" not in fragment.get_data(as_text=True)


def test_tree_search_answers_the_results_alone(app, company, login_as, planned):
    executive = login_as("exec")
    url = f"/planning/{planned.cycle}/tree"
    fragment = executive.htmx("GET", url, {"q": "runbooks"}).get_data(as_text=True)
    assert "<html" not in fragment and "alignment-tree" not in fragment
    assert fragment.count("Write runbooks") == 2 and "Liu Yang" in fragment
    page = executive.get(url, query_string={"q": "runbooks"}).get_data(as_text=True)
    assert "Write runbooks" in page and "Back to the whole tree" in page
    staff = login_as("staff").htmx("GET", url, {"q": "runbooks"}).get_data(as_text=True)
    assert staff.count("Write runbooks") == 1  # only their own KPI
    assert "Nothing matches" in executive.htmx("GET", url, {"q": "zzz"}).get_data(as_text=True)


def test_a_goal_shows_at_most_a_page_of_kpis_in_the_tree(app, company, login_as, planned,
                                                        monkeypatch):
    monkeypatch.setattr(progress, "KPIS_PER_GOAL", 3)
    page = login_as("head").get(f"/planning/{planned.cycle}/tree").get_data(as_text=True)
    goal = page.split(f'id="tree-goal-{planned.goal}"')[1]
    assert goal.count('id="tree-kpi-') == 3 and "1 more KPI" in goal


# Stored sums ---------------------------------------------------------------------------------

def _sums():
    return {g.id: (g.kpi_count, Decimal(g.kpi_weight_sum).quantize(Decimal("0.000001")),
                   Decimal(g.kpi_progress_sum).quantize(Decimal("0.0001")))
            for g in db.session.scalars(select(DepartmentGoal).execution_options(
                populate_existing=True))}


def test_stored_kpi_sums_follow_every_change_to_a_kpi(org_chart):
    """Whatever happens to KPIs, each goal's stored sums equal a recount from its KPIs."""
    from perfsite.coaching.services import checkins
    from perfsite.cycles import services as cycles
    from perfsite.models import Phase, utcnow

    o = org_chart
    target = make_target(o.cycle, o.exec)
    first = make_goal(o.cycle, o.eng, o.head, title="First", weight="50", target=target)
    second = make_goal(o.cycle, o.eng, o.head, title="Second", weight="50", target=target)
    kpi = make_kpi(o.cycle, o.staff, o.head, first, title="A", weight="60")
    other = make_kpi(o.cycle, o.staff, o.head, first, title="B", weight="40")
    proposal = make_kpi(o.cycle, o.colleague, o.colleague, first, title="Mine", weight="100")
    db.session.flush()
    plans.update_kpi(other, o.head, expected_version=other.version, weight=Decimal("40"),
                     goal_id=second.id)  # moved to another goal
    plans.decide_proposal(proposal, o.head, accept=False, comment="Not now",
                          expected_version=proposal.version)
    plan = plans.get_plan(o.cycle, o.staff)
    plans.submit_plan(plan, o.staff, expected_version=plan.version)
    plans.approve_plan(plan, o.head, expected_version=plan.version)
    cycles.move_phase(o.cycle, hr_admin(), Phase.IN_PROGRESS)
    checkins.post_check_in(kpi, o.staff, actual_value="4", status="on_track", now=utcnow())
    db.session.flush()
    stored = _sums()
    assert stored[first.id][0] == 1 and stored[second.id][0] == 1
    progress.refresh_goal_sums(db.session.connection())
    assert _sums() == stored
    assert progress.goal_progress([first.id]).goals[first.id] == Decimal("0.4")
    # the rollup from the stored sums equals the KPI-by-KPI one
    whole = progress.rollup(o.cycle.id)
    assert whole.goals[first.id] == progress.weighted([(kpi.weight, whole.kpis[kpi.id])])


# People are picked by searching ---------------------------------------------------------------

def test_the_picker_searches_among_whom_the_scope_allows(app, company, login_as):
    hr = login_as("hr")
    found = hr.htmx("GET", "/people/pick/org", {"q": "zhang", "for_id": "manager_username"})
    body = found.get_data(as_text=True)
    assert found.status_code == 200 and body.lstrip().startswith('<ul id="manager_username-')
    assert 'role="option"' in body and 'data-value="head"' in body and "<html" not in body
    assert hr.htmx("GET", "/people/pick/org", {"q": ""}).get_data(as_text=True).count(
        'role="option"') == 0
    assert login_as("head").get("/people/pick/org?q=zhang").status_code == 403
    assert hr.get("/people/pick/nobody?q=x").status_code == 404
    # a hostile field id is refused, not echoed
    odd = hr.htmx("GET", "/people/pick/org", {"q": "zhang", "for_id": '"><script>'})
    assert "<script>" not in odd.get_data(as_text=True)
    # a head picks among the people they manage only
    managed = login_as("head").htmx("GET", "/people/pick/managed", {"q": "a"})
    text = managed.get_data(as_text=True)
    assert "Liu Yang" in text and "Wang Fang" not in text


def test_the_picker_answers_at_most_ten_whatever_the_company(app, company, login_as):
    with app.app_context():
        team = db.session.get(Department, company.eng.id)
        for i in range(15):
            make_person(f"zhang{i}", team, display_name=f"Zhang Number {i}")
        db.session.commit()
    body = login_as("hr").htmx("GET", "/people/pick/org", {"q": "zhang"}).get_data(as_text=True)
    assert body.count('role="option"') == 10


def test_person_form_picks_the_manager_and_suggests_on_a_typo(app, company, login_as):
    hr = login_as("hr")
    page = hr.get(f"/people/{company.staff.id}/edit").get_data(as_text=True)
    assert "data-people-picker" in page and 'data-hx-get="/people/pick/org"' in page
    form = hr.form(f"/people/{company.staff.id}/edit", "/edit")
    typo = form.submit({"manager_username": "hea"})
    assert typo.status_code == 422
    message = typo.get_data(as_text=True)
    assert "No person has this username. Did you mean: " in message
    assert "Zhang Min (head)" in message
    assert form.submit({"manager_username": "sales.head"}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, company.staff.id).manager_id == company.sales_head.id


def test_department_head_is_picked_the_same_way(app, company, login_as):
    hr = login_as("hr")
    page = hr.get(f"/departments/{company.sales.id}/edit").get_data(as_text=True)
    assert "data-people-picker" in page
    done = hr.form(f"/departments/{company.sales.id}/edit", "/edit").submit(
        {"head_username": "peer"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Department, company.sales.id).head_id == company.peer.id


def test_copy_a_kpi_to_the_whole_department_without_listing_it(app, company, login_as,
                                                              planned):
    with app.app_context():
        o = _attached(company)
        make_person("extra.eng", o.eng, manager=o.head, display_name="Extra Eng")
        db.session.commit()
        kpi_id = db.session.scalar(select(Kpi.id).join(PersonalPlan).where(
            PersonalPlan.person_id == planned.staff, Kpi.title == "Write runbooks"))
    head = login_as("head")
    url = f"/planning/kpis/{kpi_id}/copy"
    empty = head.form(url, "/copy").submit({})
    assert empty.status_code == 422 and "Choose at least one person." in empty.get_data(
        as_text=True)
    done = head.form(url, "/copy").submit({"whole_department": "y"})
    assert done.status_code == 302
    with app.app_context():
        titles = db.session.scalars(
            select(Person.username).join(PersonalPlan, PersonalPlan.person_id == Person.id)
            .join(Kpi, Kpi.plan_id == PersonalPlan.id)
            .where(Kpi.title == "Write runbooks")).all()
        assert sorted(titles) == ["colleague", "extra.eng", "staff"]


# The audit log is not counted ----------------------------------------------------------------

def test_audit_log_pages_without_counting_the_log(app, company, login_as, count_queries):
    app.config["PAGE_SIZE"] = 5
    try:
        hr = login_as("hr")
        with count_queries() as q:
            page = hr.get("/audit").get_data(as_text=True)
        assert not any("count(" in s.lower() for s in q.statements)
        assert "Page 1" in page and 'rel="next"' in page
        last = hr.get("/audit", query_string={"page": 999}).get_data(as_text=True)
        assert "No events match." in last and 'rel="prev"' not in last
        # whose events: picked by searching, not typed blind
        assert "data-people-picker" in page and 'data-hx-get="/people/pick/org"' in page
    finally:
        app.config["PAGE_SIZE"] = 50


# seed-scale ------------------------------------------------------------------------------------

def test_seed_scale_writes_a_consistent_company_and_refuses_to_write_twice(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-scale", "--people", "240", "--audit-events", "500"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        people = db.session.scalar(select(func.count(Person.id)))
        assert people == 240
        assert db.session.scalar(select(func.count(Department.id))) == 60
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 500
        for username in ("exec", "hr", "head", "staff", "peer"):
            assert db.session.scalar(select(Person.id).where(Person.username == username))
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.manager_id.is_(None))) == 1
        # every plan's KPI weights add up to 100, every department's goal weights too
        sums = db.session.execute(select(func.sum(Kpi.weight)).group_by(Kpi.plan_id)).scalars()
        assert {Decimal(s) for s in sums} == {Decimal(100)}
        goal_sums = db.session.execute(select(func.sum(DepartmentGoal.weight)).group_by(
            DepartmentGoal.cycle_id, DepartmentGoal.department_id)).scalars()
        assert {Decimal(s) for s in goal_sums} == {Decimal(100)}
        stored = _sums()
        progress.refresh_goal_sums(db.session.connection())
        assert _sums() == stored
        db.session.rollback()
    again = runner.invoke(args=["seed-scale", "--people", "240"])
    assert again.exit_code != 0 and "empty database" in again.output


def test_seed_scale_logins_work(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-scale", "--people", "200",
                               "--audit-events", "0"]).exit_code == 0
    from tests.conftest import Browserless

    with app.app_context():
        cycle = db.session.scalar(select(Cycle.id).where(Cycle.phase == "in_progress"))
    for username in ("exec", "head", "staff"):
        client = Browserless(app.test_client())
        assert client.login(username).status_code == 302
        page = client.get(f"/planning/{cycle}/tree")
        assert page.status_code == 200
        assert re.search(r"Alignment tree", page.get_data(as_text=True))


def test_a_new_goal_starts_with_empty_sums(org_chart):
    o = org_chart
    goal = make_goal(o.cycle, o.eng, o.head, title="Fresh")
    db.session.flush()
    assert (goal.kpi_count, goal.kpi_weight_sum) == (0, 0)
    assert progress.goal_of(goal) == Decimal(0)


# Lists that grow with a team, a page at a time (issue 21) --------------------------------------

@pytest.fixture
def in_review(app, company):
    """A cycle in review around Engineering (tests/review_factories.py)."""
    from .review_factories import review_cycle

    with app.app_context():
        made = review_cycle(_attached(company))
        db.session.commit()
        return made.cycle.id


def _grow_reviewed_team(app, company, cycle_id: int, people: int, start: int = 0) -> None:
    """`people` more in Engineering under the head, each with a plan in the cycle, their
    self-review submitted, their manager review in draft, and a nomination waiting for
    the head's approval."""
    from perfsite.models import FeedbackRequest, FeedbackStatus, Review, ReviewStatus

    with app.app_context():
        o = _attached(company)
        peer = db.session.get(Person, company.peer.id)
        for i in range(start, start + people):
            person = make_person(f"team{i}", o.eng, manager=o.head,
                                 display_name=f"Team Member {i:03d}")
            db.session.add(PersonalPlan(cycle_id=cycle_id, person=person, status="approved"))
            db.session.add(Review(cycle_id=cycle_id, person=person, kind="self",
                                  author=person, status=ReviewStatus.SUBMITTED.value))
            db.session.add(Review(cycle_id=cycle_id, person=person, kind="manager",
                                  author=o.head, status=ReviewStatus.DRAFT.value))
            db.session.add(FeedbackRequest(cycle_id=cycle_id, subject=person, rater=peer,
                                           rater_group="peer", nominated_by_id=person.id,
                                           status=FeedbackStatus.NOMINATED.value))
        db.session.commit()


TEAM_LISTS = {
    # page: (who looks, url)
    "reviews team": ("head", "/reviews/{cycle}/team"),
    "reviews team by name": ("head", "/reviews/{cycle}/team?sort=name&dir=desc"),
    "reviews team, page 2": ("head", "/reviews/{cycle}/team?sort=self&page=2"),
    "reviews overview": ("head", "/reviews/"),
    "360 team": ("head", "/feedback/{cycle}/team"),
    "360 team, page 2": ("head", "/feedback/{cycle}/team?page=2"),
    "360 HR overview": ("hr", "/feedback/{cycle}/admin"),
    "360 HR overview, page 2": ("hr", "/feedback/{cycle}/admin?page=2"),
}


@pytest.mark.parametrize("page", sorted(TEAM_LISTS))
def test_team_lists_read_a_page_whatever_the_size_of_the_team(
        app, company, login_as, count_queries, in_review, page):
    """The reviews a head writes, the people whose raters they approve and HR's stuck
    nominations read a page of rows and counts: a team of 17 or of 62 reads the same."""
    who, url = TEAM_LISTS[page]
    url = url.format(cycle=in_review)
    client = login_as(who)
    app.config["PAGE_SIZE"] = 5

    def measure():
        with count_queries() as q:
            response = client.get(url)
            assert response.status_code == 200
        return q.count, q.rows

    try:
        _grow_reviewed_team(app, company, in_review, 15)  # three pages and more
        small = measure()
        _grow_reviewed_team(app, company, in_review, 45, start=15)
        assert measure() == small, f"{page}: statements and rows read grew"
    finally:
        app.config["PAGE_SIZE"] = 50


def test_the_reviews_team_pages_keep_the_sort_and_count_the_whole_team(
        app, company, login_as, in_review):
    _grow_reviewed_team(app, company, in_review, 60)  # 62 with staff and colleague
    head = login_as("head")
    url = f"/reviews/{in_review}/team"
    first = head.get(url, query_string={"sort": "name", "dir": "desc"}).get_data(as_text=True)
    assert first.count('id="team-person-') == 50 and "62 people" in first
    assert "Page 1 of 2" in first
    assert f'href="{url}?sort=name&amp;dir=desc&amp;page=2"' in first
    second = head.get(url, query_string={"sort": "name", "dir": "desc", "page": 2}
                      ).get_data(as_text=True)
    assert second.count('id="team-person-') == 12 and "Page 2 of 2" in second
    # descending by name: the last page ends with the first names of the alphabet
    assert "Liu Yang" in second and "Team Member 059" in first
    assert "Team Member 059" not in second
    # htmx asks for the rows alone
    fragment = head.htmx("GET", url, {"sort": "name", "page": 2}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="team-rows">')
    # a page past the end is empty, not an error
    assert head.get(url, query_string={"page": 99}).status_code == 200
    overview = head.get("/reviews/").get_data(as_text=True)
    assert "Reviews I write: 0 of 62 submitted" in overview


def test_the_360_team_and_hr_overview_page_with_what_waits(app, company, login_as, in_review):
    _grow_reviewed_team(app, company, in_review, 55)
    head = login_as("head")
    team = head.get(f"/feedback/{in_review}/team").get_data(as_text=True)
    assert team.count("/raters\">") == 50 and "Page 1 of 2" in team
    second = head.get(f"/feedback/{in_review}/team?page=2").get_data(as_text=True)
    assert second.count("/raters\">") == 7  # staff and colleague too
    assert "Team Member 054" in second or "Team Member 054" in team
    hr = login_as("hr")
    admin = hr.get(f"/feedback/{in_review}/admin").get_data(as_text=True)
    assert admin.count("Team Member") == 50 and 'rel="next"' in admin
    rest = hr.get(f"/feedback/{in_review}/admin?page=2").get_data(as_text=True)
    assert rest.count("Team Member") == 5 and 'rel="prev"' in rest
    assert "No more stuck nominations." in hr.get(
        f"/feedback/{in_review}/admin?page=3").get_data(as_text=True)


def test_who_approves_whom_in_sql_equals_the_predicate(org_chart):
    """approved_by_clause (lists) and approver_id (one person) agree for every person and
    every possible approver, with and without managers, with heads missing or heading
    their own department."""
    from perfsite import permissions as can
    from perfsite.models import Department

    o = org_chart
    lone = Department(name="Lone team", code="LONE", parent=o.eng)
    empty = Department(name="No head", code="NOHEAD")
    db.session.add_all([lone, empty])
    db.session.flush()
    boss = make_person("lone.boss", lone)
    lone.head_id = boss.id
    make_person("lone.member", lone)
    make_person("nohead.a", empty, manager=o.exec)
    make_person("nohead.b", empty)
    make_person("eng.nomanager", o.eng)
    o.staff.manager_id = None  # falls back to the responsible head
    db.session.flush()
    db.session.expire_all()
    people = db.session.scalars(select(Person)).all()
    for approver in people:
        expected = {p.id for p in people if can.approver_id(p) == approver.id}
        found = set(db.session.scalars(select(Person.id).where(
            can.approved_by_clause(approver))))
        assert found == expected, approver.username
        assert set(db.session.scalars(select(Person.id).where(
            can.reviewed_by_clause(approver)))) == expected


GROWING = {
    # page: (who looks, url, asked by htmx)
    "to-do badge": ("staff", "/coaching/todos/badge", True),
    "dashboard: company": ("exec", "/dashboards/company?cycle_id={cycle}", False),
    "dashboard: department head": ("head", "/dashboards/team?cycle_id={cycle}", False),
    "dashboard: HR": ("hr", "/dashboards/hr?cycle_id={cycle}", False),
    "dashboard: mine": ("staff", "/dashboards/me?cycle_id={cycle}", False),
}


@pytest.mark.parametrize("page", sorted(GROWING))
def test_the_badge_and_dashboards_read_the_same_whatever_the_size_of_the_company(
        app, company, login_as, count_queries, planned, page):
    """Engineering and Sales grow from 24 to 84 people (and 120 more KPIs): the badge reads
    its kept row, the dashboards their sums and a page of people, the same statements and
    rows either way."""
    who, url, htmx = GROWING[page]
    url = url.format(**vars(planned))
    client = login_as(who)
    app.config["PAGE_SIZE"] = 5

    def measure():
        client.get(url, headers={"HX-Request": "true"} if htmx else {})  # counts, keeps
        with count_queries() as q:
            response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
            assert response.status_code == 200
        return q.count, q.rows

    try:
        for department in ("eng", "sales"):
            _grow(app, company, planned, department, 10)  # more than a page or a top list
        small = measure()
        for department in ("eng", "sales"):
            _grow(app, company, planned, department, 30, start=10)
        assert measure() == small, f"{page}: statements and rows read grew"
    finally:
        app.config["PAGE_SIZE"] = 50


def test_assignable_people_decides_as_can_assign_kpi_row_by_row(org_chart):
    """The department plan asks once for its page of rows; the answer equals the predicate
    asked row by row, for everyone, with plans in each state and in each phase."""
    from perfsite import permissions as can
    from perfsite.cycles import services as cycles
    from perfsite.models import Phase
    from perfsite.planning.services.plans import draft_plan

    from .coaching_factories import approved_plan

    o = org_chart
    goal = make_goal(o.cycle, o.eng, o.head, title="Weekly deploys")
    approved_plan(o.cycle, o.staff, o.head, [("Done", goal, "100")])
    make_kpi(o.cycle, o.colleague, o.head, goal, title="Draft", weight="100")
    db.session.flush()
    people = db.session.scalars(select(Person)).all()

    def plans():
        saved = {p.person_id: p for p in db.session.scalars(
            select(PersonalPlan).where(PersonalPlan.cycle_id == o.cycle.id))}
        return [saved.get(p.id) or draft_plan(o.cycle, p) for p in people]

    for moment in ("planning", "in progress"):
        rows = plans()
        for user in people:
            expected = {plan.person.id for plan in rows if can.can_assign_kpi(user, plan)}
            assert can.assignable_people(user, rows) == expected, (moment, user.username)
        head = next(p for p in people if p.id == o.head.id)
        assert o.colleague.id in can.assignable_people(head, rows)  # a draft
        assert o.staff.id not in can.assignable_people(head, rows)  # approved
        if moment == "planning":
            cycles.move_phase(o.cycle, hr_admin(), Phase.IN_PROGRESS)
            db.session.flush()


def test_plans_waiting_decided_in_sql_equal_the_predicates_row_by_row(org_chart):
    """plans_waiting_for decides its list in SQL (approver, manages and phase twins); it
    equals asking approver_id and can_approve_plan of every plan, for everyone, in cycles
    whose phase does and does not allow deciding plans, with people without a manager."""
    from perfsite import permissions as can
    from perfsite.models import Department, PersonalPlan, Phase, PlanStatus

    from .factories import make_cycle

    o = org_chart
    empty = Department(name="No head", code="NOHEAD")
    db.session.add(empty)
    db.session.flush()
    make_person("nohead.a", empty, manager=o.exec)
    make_person("nohead.b", empty)
    make_person("eng.nomanager", o.eng)
    o.staff.manager_id = None  # falls back to the responsible head
    cycles = [make_cycle("Planning", Phase.PLANNING), make_cycle("Running", Phase.IN_PROGRESS),
              make_cycle("Reviewing", Phase.REVIEW)]
    people = db.session.scalars(select(Person)).all()
    statuses = [PlanStatus.SUBMITTED, PlanStatus.SUBMITTED, PlanStatus.DRAFT,
                PlanStatus.APPROVED]
    for number, person in enumerate(people):
        for cycle in cycles:
            db.session.add(PersonalPlan(cycle=cycle, person=person,
                                        status=statuses[number % len(statuses)].value))
    db.session.flush()
    db.session.expire_all()
    every_plan = db.session.scalars(select(PersonalPlan)).all()
    asked = 0
    for user in db.session.scalars(select(Person)).all():
        expected = {plan.id for plan in every_plan
                    if can.approver_id(plan.person) == user.id
                    and can.can_approve_plan(user, plan)}
        assert {plan.id for plan in plans.plans_waiting_for(user)} == expected, user.username
        for cycle in cycles:
            assert {plan.id for plan in plans.plans_waiting_for(user, cycle)} == {
                plan.id for plan in every_plan
                if plan.id in expected and plan.cycle_id == cycle.id}
        asked += len(expected)
    assert asked > 0


def test_the_head_dashboard_pages_its_people_without_counting_them(app, company, login_as,
                                                                   count_queries, planned):
    """The team grid pages by department name, person name and id, across departments,
    reading only the page's rows (their place from the kept figures) and no COUNT over
    everyone in scope (issue 21): the same people, in the same order, as the plain query."""
    from .factories import make_department

    head = login_as("head")
    url = "/dashboards/team"
    _grow(app, company, planned, "eng", 11)  # 13 people with a plan in Engineering
    with app.app_context():
        o = _attached(company)
        for name, people in (("Platform", 3), ("Data", 2)):  # before and after Engineering
            dept = make_department(name[:4].upper(), name, parent=o.eng)
            goal = make_goal(o.cycle, dept, o.head, title=f"{name} goal")
            for i in range(people):
                person = make_person(f"{name.lower()}{i}", dept, manager=o.head)
                make_kpi(o.cycle, person, o.head, goal, title="First", weight="100")
        db.session.commit()
        expected = db.session.scalars(
            select(Person.display_name).join(PersonalPlan, PersonalPlan.person_id == Person.id)
            .join(Department, Department.id == Person.department_id)
            .where(PersonalPlan.cycle_id == planned.cycle, Person.active.is_(True),
                   Department.name.in_(["Data", "Engineering", "Platform"]))
            .order_by(Department.name, Person.display_name, Person.id)).all()
    assert len(expected) == 18
    app.config["PAGE_SIZE"] = 5
    try:
        shown = []
        for number, (rows, more) in enumerate([(5, True), (5, True), (5, True), (3, False)],
                                              start=1):
            with count_queries() as q:
                page = head.get(url, query_string={"cycle_id": planned.cycle,
                                                   "page": number}).get_data(as_text=True)
            assert not any(re.search(r"count\(\*\)", s, re.I) for s in q.statements)
            grid = page.split('id="team-grid"')[1].split("</table>")[0]
            names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]+)</a>', grid)
            assert len(names) == rows, (number, names)
            assert ('rel="next"' in page) is more and ('rel="prev"' in page) is (number > 1)
            shown += names
        assert shown == expected
    finally:
        app.config["PAGE_SIZE"] = 50
