"""Check-in pages, obstacle and request decisions, coaching, to-dos and notifications
through the test client (CSRF on, htmx and plain POST)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from perfsite.coaching.services import notes, obstacles, requests
from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    Cycle,
    Department,
    Kpi,
    Notification,
    Obstacle,
    Person,
    PrivateNote,
    ResourceRequest,
    utcnow,
)

from .coaching_factories import approved_plan, running_cycle
from .factories import Company, make_person


@pytest.fixture
def running(app, company):
    """An in-progress cycle around the company's Engineering; plain ids."""
    with app.app_context():
        attached = _attached(company)
        run = running_cycle(attached)
        db.session.commit()
        return {"cycle": run.cycle.id, "kpi": run.kpi.id, "other": run.other.id,
                "colleague_kpi": run.colleague_kpi.id}


def _attached(company) -> Company:
    people = {n: db.session.get(Person, getattr(company, n).id)
              for n in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
    departments = {n: db.session.get(Department, getattr(company, n).id)
                   for n in ("exec_team", "eng", "sales")}
    return Company(cycle=db.session.get(Cycle, company.cycle.id), **people, **departments)


def check_in_data(**extra):
    return {"actual_value": "4", "status": "at_risk", "confidence": "3",
            "note": "Design review slipped", **extra}


# Posting a check-in ---------------------------------------------------------------------------

def test_htmx_check_in_answers_the_new_entry_and_a_fresh_form_and_moves_progress(
        app, company, running, login_as):
    staff = login_as("staff")
    response = staff.htmx("POST", f"/coaching/kpis/{running['kpi']}/check-ins",
                          check_in_data(), token_from=f"/coaching/kpis/{running['kpi']}")
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "todos-changed"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<article") and "Design review slipped" in html
    assert 'id="checkin-form"' in html and 'data-hx-swap-oob="outerHTML"' in html
    assert "<html" not in html
    with app.app_context():
        kpi = db.session.get(Kpi, running["kpi"])
        assert str(kpi.actual_value) == "4.0000"
        assert db.session.scalar(select(CheckIn.status)) == "at_risk"


def test_plain_post_check_in_redirects_back_to_the_kpi(app, company, running, login_as):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    response = staff.post_form(f"{url}/check-ins", check_in_data(), token_from=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = staff.get(url).get_data(as_text=True)
    assert "Check-in posted." in page and "Design review slipped" in page


def test_check_in_without_a_value_is_422_with_the_message_by_the_field(app, company, running,
                                                                       login_as):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    response = staff.htmx("POST", f"{url}/check-ins", check_in_data(actual_value=""),
                          token_from=url)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#checkin-form"
    html = response.get_data(as_text=True)
    assert "Give the value reached so far." in html and 'id="actual_value-error"' in html
    plain = staff.post_form(f"{url}/check-ins", check_in_data(actual_value=""), token_from=url)
    assert plain.status_code == 422 and "Give the value reached so far." in plain.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_check_in_with_an_obstacle_and_a_request_raises_both_for_the_head(app, company, running,
                                                                          login_as):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    staff.post_form(f"{url}/check-ins", check_in_data(
        obstacle="No staging environment", request_kind="tools", request_what="Staging server",
        request_why="To test the portal"), token_from=url)
    head_home = login_as("head").get("/").get_data(as_text=True)
    assert "Obstacle from Liu Yang on “Portal features”" in head_home
    assert "Decide Liu Yang&#39;s request: Staging server" in head_home


def test_check_in_on_someone_elses_kpi_is_refused_and_changes_nothing(app, company, running,
                                                                      login_as):
    url = f"/coaching/kpis/{running['colleague_kpi']}"
    for user in ("staff", "sales.head", "hr"):
        response = login_as(user).post_form(f"{url}/check-ins", check_in_data())
        assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    # Their head records it for them: a check-in by the head, on the same timeline.
    head = login_as("head")
    assert head.form(url, "/check-ins").submit({"actual_value": "2"}).status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(CheckIn))
        assert entry.author_id == company.head.id and entry.kpi.actual_value == 2


def test_staff_cannot_read_a_colleagues_check_ins(app, company, running, login_as):
    assert login_as("staff").get(f"/coaching/kpis/{running['colleague_kpi']}").status_code == 403
    for reader in ("head", "hr", "exec"):
        assert login_as(reader).get(f"/coaching/kpis/{running['colleague_kpi']}").status_code == 200


# Obstacles and requests -----------------------------------------------------------------------

def _raise_items(app, company, running):
    with app.app_context():
        kpi = db.session.get(Kpi, running["kpi"])
        staff = db.session.get(Person, company.staff.id)
        obstacle = obstacles.raise_obstacle(kpi, staff, description="Blocked", now=utcnow())
        item = requests.raise_request(kpi, staff, kind="training", what="A course",
                                      why="To learn", now=utcnow())
        db.session.commit()
        return obstacle.id, item.id


def test_head_resolves_an_obstacle_inline_and_staff_sees_the_outcome(app, company, running,
                                                                     login_as):
    obstacle_id, _request_id = _raise_items(app, company, running)
    head = login_as("head")
    url = f"/coaching/obstacles/{obstacle_id}"
    page = head.get(url).get_data(as_text=True)
    version = re.search(r'name="resolve-version"[^>]*value="(\d+)"', page).group(1)
    empty = head.htmx("POST", f"{url}/resolve", {"resolve-version": version}, token_from=url)
    assert empty.status_code == 422 and "Say how the obstacle was resolved." in empty.get_data(
        as_text=True)
    done = head.htmx("POST", f"{url}/resolve", {"resolve-version": version,
                                                "resolve-resolution": "Set up a staging box"},
                     token_from=url)
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "todos-changed"
    assert 'id="obstacle-card"' in done.get_data(as_text=True)
    staff = login_as("staff")
    assert "Set up a staging box" in staff.get(url).get_data(as_text=True)
    notes_page = staff.get("/coaching/notifications").get_data(as_text=True)
    assert "Zhang Min resolved your obstacle on “Portal features”." in notes_page


def test_stale_obstacle_version_is_a_409_conflict(app, company, running, login_as):
    obstacle_id, _request_id = _raise_items(app, company, running)
    head = login_as("head")
    url = f"/coaching/obstacles/{obstacle_id}"
    response = head.htmx("POST", f"{url}/resolve", {"resolve-version": "99",
                                                    "resolve-resolution": "x"}, token_from=url)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Obstacle, obstacle_id).status == "open"


def test_hr_sees_an_obstacle_but_cannot_move_it(app, company, running, login_as):
    obstacle_id, request_id = _raise_items(app, company, running)
    hr = login_as("hr")
    page = hr.get(f"/coaching/obstacles/{obstacle_id}").get_data(as_text=True)
    assert "Blocked" in page and "Resolve" not in page.split('id="obstacle-card"')[1]
    assert hr.post_form(f"/coaching/obstacles/{obstacle_id}/resolve",
                        {"resolve-resolution": "x"}).status_code == 403
    assert hr.post_form(f"/coaching/requests/{request_id}/decide",
                        {"decision": "approve"}).status_code == 403


def test_head_approves_a_request_and_a_double_submit_decides_once(app, company, running,
                                                                  login_as):
    _obstacle_id, request_id = _raise_items(app, company, running)
    head = login_as("head")
    url = f"/coaching/requests/{request_id}"
    page = head.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    data = {"decision": "approve", "version": version, "comment": "Booked"}
    first = head.post_form(f"{url}/decide", data, token_from=url)
    assert first.status_code == 302
    second = head.post_form(f"{url}/decide", data, token_from="/")
    assert second.status_code == 409  # decided: nobody may decide it again
    assert "decided already" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ResourceRequest, request_id).status == "approved"
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.kind == "request_approved")) == 1


def test_escalating_without_an_executive_is_422(app, company, running, login_as):
    _obstacle_id, request_id = _raise_items(app, company, running)
    head = login_as("head")
    url = f"/coaching/requests/{request_id}"
    response = head.form(url, "/decide").submit({"comment": "Budget"},
                                                button="decision=escalate", htmx=True)
    assert response.status_code == 422
    assert "Choose the executive to escalate to." in response.get_data(as_text=True)


def test_hr_overview_lists_open_and_overdue_items_and_filters(app, company, running, login_as):
    _raise_items(app, company, running)
    with app.app_context():
        old = db.session.get(Obstacle, db.session.scalar(select(Obstacle.id)))
        old.created_at = utcnow() - timedelta(days=30)
        db.session.commit()
    hr = login_as("hr")
    page = hr.get("/coaching/overview").get_data(as_text=True)
    assert "Blocked" in page and "A course" in page and "Overdue" in page
    overdue = hr.get("/coaching/overview?state=overdue").get_data(as_text=True)
    assert "Blocked" in overdue and "A course" not in overdue
    only_requests = hr.htmx("GET", "/coaching/overview", {"kind": "request"})
    html = only_requests.get_data(as_text=True)
    assert 'id="overview-results"' in html and "Blocked" not in html and "<html" not in html
    sales = hr.get(f"/coaching/overview?department_id={company.sales.id}").get_data(as_text=True)
    assert "Blocked" not in sales


# Coaching and private notes -------------------------------------------------------------------

def test_head_comments_and_staff_reads_it_on_the_kpi_then_marks_it_read(app, company, running,
                                                                         login_as):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    staff.post_form(f"{url}/check-ins", check_in_data(), token_from=url)
    with app.app_context():
        check_in_id = db.session.scalar(select(CheckIn.id))
    head = login_as("head")
    response = head.htmx("POST", f"/coaching/check-ins/{check_in_id}/comments",
                         {f"c{check_in_id}-body": "Try smaller releases"}, token_from=url)
    assert response.status_code == 200 and "Try smaller releases" in response.get_data(
        as_text=True)
    home = staff.get("/").get_data(as_text=True)
    assert "Read Zhang Min&#39;s comment on “Portal features”" in home
    with app.app_context():
        comment_id = db.session.scalar(select(func.max(Notification.id)))  # exists
        from perfsite.models import CoachingComment

        comment_id = db.session.scalar(select(CoachingComment.id))
    read = staff.htmx("POST", f"/coaching/comments/{comment_id}/read", token_from=url)
    assert read.status_code == 200 and read.headers["HX-Trigger"] == "todos-changed"
    assert "Read Zhang Min" not in staff.get("/").get_data(as_text=True)


def test_private_notes_never_reach_the_person_they_are_about(app, company, running, login_as):
    secret = "Consider for promotion next year"
    head = login_as("head")
    url = f"/coaching/people/{company.staff.id}"
    response = head.post_form(f"{url}/notes", {"body": secret}, token_from=url)
    assert response.status_code == 302
    assert secret in head.get(url).get_data(as_text=True)
    assert secret in login_as("hr").get(url).get_data(as_text=True)
    staff = login_as("staff")
    # Not the coaching page, not the fragment, not a note POST, nowhere the person can go.
    assert staff.get(url).status_code == 403
    assert staff.htmx("GET", url).status_code == 403
    assert staff.post_form(f"{url}/notes", {"body": "x"}).status_code == 403
    for path in ("/", "/coaching/", "/coaching/todos", "/coaching/notifications",
                 f"/coaching/kpis/{running['kpi']}", f"/people/{company.staff.id}",
                 f"/planning/{running['cycle']}/people/{company.staff.id}"):
        page = staff.get(path)
        assert page.status_code == 200, path
        assert secret not in page.get_data(as_text=True), path
    colleague = login_as("colleague")
    assert colleague.get(url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(PrivateNote.id))) == 1
        # (the plans approved as the cycle was set up are the only notifications)
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.kind != "plan_approved")) == 0


# To-dos, the badge and notifications ----------------------------------------------------------

def test_badge_loads_lazily_with_its_count_and_reloads_itself_on_todos_changed(
        app, company, running, login_as, count_queries):
    staff = login_as("staff")
    home = staff.get("/").get_data(as_text=True)
    # Pages carry the badge without its count: no to-do queries on every page.
    assert 'id="todo-count"' not in home
    assert 'data-hx-trigger="load, todos-changed from:body"' in home
    fragment = staff.htmx("GET", "/coaching/todos/badge").get_data(as_text=True)
    assert fragment.lstrip().startswith('<li id="todo-badge"')
    # two KPIs due, and the notification that the plan was approved to read
    assert re.search(r'id="todo-count">(\d+)<', fragment).group(1) == "3"
    url = f"/coaching/kpis/{running['kpi']}"
    posted = staff.form(url, "/check-ins").submit(check_in_data(), htmx=True)
    assert "todos-changed" in posted.headers["HX-Trigger"]
    fragment = staff.htmx("GET", "/coaching/todos/badge").get_data(as_text=True)
    assert re.search(r'id="todo-count">(\d+)<', fragment).group(1) == "2"
    with count_queries() as password_page:
        assert staff.get("/account/password").status_code == 200
    assert not any("check_in" in statement for statement in password_page.statements)


def test_notifications_mark_read_single_and_all(app, company, running, login_as):
    with app.app_context():
        staff = db.session.get(Person, company.staff.id)
        from perfsite.coaching.services import notifications

        first = notifications.notify(staff, "obstacle_resolved", "", actor="Zhang Min", kpi="A")
        notifications.notify(staff, "request_approved", "", actor="Zhang Min", what="B")
        db.session.commit()
        first_id = first.id
    client = login_as("staff")
    page = client.get("/coaching/notifications").get_data(as_text=True)
    assert "Zhang Min approved your request “B”." in page
    response = client.htmx("POST", f"/coaching/notifications/{first_id}/read",
                           token_from="/coaching/notifications")
    assert response.status_code == 200 and "read" in response.get_data(as_text=True)
    assert login_as("colleague").post_form(
        f"/coaching/notifications/{first_id}/read").status_code == 403
    client.post_form("/coaching/notifications/read-all", token_from="/coaching/notifications")
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.recipient_id == company.staff.id,
            Notification.read_at.is_(None))) == 0


def test_notifications_are_shown_in_the_readers_language(app, company, running, login_as):
    with app.app_context():
        staff = db.session.get(Person, company.staff.id)
        from perfsite.coaching.services import notifications

        notifications.notify(staff, "request_approved", "", actor="Zhang Min", what="B")
        db.session.commit()
    client = login_as("staff")
    client.post_form("/language", {"locale": "zh_CN"})
    page = client.get("/coaching/notifications").get_data(as_text=True)
    assert "approved your request" not in page


# Queries do not grow with the team ------------------------------------------------------------

def _grow_team(app, company, running, people: int, start: int = 0):
    """More Engineering staff, each with an approved plan, a check-in, an obstacle and a
    request for the head, and a comment from the head."""
    with app.app_context():
        c = _attached(company)
        cycle = db.session.get(Cycle, running["cycle"])
        goal = db.session.get(Kpi, running["kpi"]).goal
        second = db.session.get(Kpi, running["other"]).goal
        for i in range(start, start + people):
            person = make_person(f"team{i}", c.eng, manager=c.head)
            kpi, _other = approved_plan(cycle, person, c.head, [(f"K{i}", goal, "50"),
                                                                 (f"L{i}", second, "50")])
            from perfsite.coaching.services import checkins

            check_in = checkins.post_check_in(
                kpi, person, actual_value="1", status="at_risk", obstacle="Blocked",
                request={"kind": "tools", "what": "Laptop", "why": "Old one broke"},
                now=utcnow())
            notes.comment_on(check_in, c.head, body="Keep going", now=utcnow())
        db.session.commit()


@pytest.mark.parametrize("path", ["/", "/coaching/todos", "/coaching/", "/coaching/overview"])
def test_head_pages_issue_the_same_queries_for_5_or_50_staff(app, company, running, login_as,
                                                             count_queries, path):
    user = login_as("hr" if path == "/coaching/overview" else "head")

    def queries():
        with count_queries() as q:
            assert user.get(path).status_code == 200
        return q.count

    queries()  # department names are kept under the org chart's version from here on
    _grow_team(app, company, running, 2)  # Engineering: head, staff, colleague + 2 = 5 people
    small = queries()
    _grow_team(app, company, running, 45, start=2)
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.department_id == company.eng.id)) == 50
    assert queries() == small


def test_kpi_page_queries_do_not_grow_with_check_ins(app, company, running, login_as,
                                                     count_queries):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"

    def queries():
        with count_queries() as q:
            assert staff.get(url).status_code == 200
        return q.count

    staff.post_form(f"{url}/check-ins", check_in_data(), token_from=url)
    small = queries()
    for n in range(8):
        staff.post_form(f"{url}/check-ins", check_in_data(note=f"n{n}", obstacle="x"),
                        token_from=url)
    assert queries() == small


# The cycle setting ----------------------------------------------------------------------------

def test_hr_sets_when_items_become_overdue_on_the_cycle_form(app, login_as, company):
    hr = login_as("hr")
    form = {"name": "2028 H1", "start_date": "2028-01-01", "end_date": "2028-06-30",
            "rating_scale_max": "5", "anonymity_threshold": "3", "checkin_interval_days": "14"}
    assert "Obstacles and requests overdue after (days)" in hr.get("/cycles/new").get_data(
        as_text=True)
    bad = hr.post_form("/cycles/new", {**form, "overdue_after_days": "0"}, token_from="/cycles/new")
    assert bad.status_code == 422
    assert hr.post_form("/cycles/new", {**form, "overdue_after_days": "10"},
                        token_from="/cycles/new").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Cycle.overdue_after_days).where(
            Cycle.name == "2028 H1")) == 10


# The latest status on plans and the alignment tree ---------------------------------------------

def test_latest_check_in_status_shows_on_the_plan_and_the_tree(app, company, running, login_as):
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    staff.post_form(f"{url}/check-ins", check_in_data(status="off_track"), token_from=url)
    for path in (f"/planning/{running['cycle']}/people/{company.staff.id}",
                 f"/planning/{running['cycle']}/tree"):
        page = login_as("head").get(path).get_data(as_text=True)
        row = page.split(f'kpi-{running["kpi"]}"', 1)[1].split("</tr>" if "people" in path
                                                                else "</li>", 1)[0]
        assert "Off track" in row and f'href="{url}"' in row, path


def test_plan_page_reads_latest_statuses_in_one_query_whatever_the_check_ins(
        app, company, running, login_as, count_queries):
    head = login_as("head")
    path = f"/planning/{running['cycle']}/tree"

    def queries():
        with count_queries() as q:
            assert head.get(path).status_code == 200
        return q.count

    queries()  # the first request fills the per-process caches (department tree and names)
    small = queries()
    staff = login_as("staff")
    url = f"/coaching/kpis/{running['kpi']}"
    staff.post_form(f"{url}/check-ins", check_in_data(), token_from=url)
    other = f"/coaching/kpis/{running['other']}"
    staff.post_form(f"{other}/check-ins", check_in_data(), token_from=other)
    assert queries() == small
