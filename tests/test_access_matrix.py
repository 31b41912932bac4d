"""Who gets what, for every route and method in the app.

Every (endpoint, method) of app.url_map must have a row here: a new route without one fails
test_every_route_is_in_the_matrix. Each row says what anonymous, staff, head, HR and
executive get. Object routes point at a colleague of `staff` in Engineering (so staff are
refused, the Engineering head allowed) and at the Engineering department.

Outcomes:
  OK    access granted: any answer below 500 except 401/403/405 and a login redirect
        (a POST with an empty form may fairly answer 400/422: the permission check passed);
  DENY  403;
  LOGIN redirected to the login page.
"""

from __future__ import annotations

import pytest

from perfsite import create_app

from .coaching_factories import matrix_value as coaching_value  # during the cycle (issue 4)
from .planning_factories import matrix_value  # planning (issue 3)

OK, DENY, LOGIN = "ok", "deny", "login"
ROLES = ("anon", "staff", "head", "hr", "exec")
USERNAMES = {"staff": "staff", "head": "head", "hr": "hr", "exec": "exec"}

ALL = (LOGIN, OK, OK, OK, OK)
HR_ONLY = (LOGIN, DENY, DENY, OK, DENY)
HR_EXEC = (LOGIN, DENY, DENY, OK, OK)
MANAGERS = (LOGIN, DENY, OK, OK, OK)  # heads (their subtree), HR and executives
PUBLIC = (OK, OK, OK, OK, OK)
# planning (issue 3)
EXEC_ONLY = (LOGIN, DENY, DENY, DENY, OK)
PLANNERS = (LOGIN, DENY, OK, DENY, OK)  # the head over the department (and their head)
ONLY_THE_PERSON = (LOGIN, DENY, DENY, DENY, DENY)  # none of the five is `colleague`

MATRIX: dict[tuple[str, str], tuple[str, str, str, str, str]] = {
    # (endpoint, method):            (anon, staff, head, hr, exec)
    ("main.home", "GET"): ALL,
    ("main.healthz", "GET"): PUBLIC,
    ("main.set_language", "POST"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    # Logging out ends on the login page whoever asks, so every role "lands on login".
    ("auth.logout", "POST"): (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    ("auth.change_password", "GET"): ALL,
    ("auth.change_password", "POST"): ALL,
    ("org.people", "GET"): MANAGERS,
    ("org.new_person", "GET"): HR_ONLY,
    ("org.new_person", "POST"): HR_ONLY,
    ("org.person", "GET"): MANAGERS,
    ("org.edit_person", "GET"): HR_ONLY,
    ("org.edit_person", "POST"): HR_ONLY,
    ("org.person_row", "GET"): MANAGERS,
    ("org.person_inline", "GET"): HR_ONLY,
    ("org.person_inline", "POST"): HR_ONLY,
    ("org.deactivate_person", "POST"): HR_ONLY,
    ("org.activate_person", "POST"): HR_ONLY,
    ("org.reset_password", "POST"): HR_ONLY,
    ("org.departments", "GET"): MANAGERS,
    ("org.new_department", "GET"): HR_ONLY,
    ("org.new_department", "POST"): HR_ONLY,
    ("org.department", "GET"): MANAGERS,
    ("org.edit_department", "GET"): HR_ONLY,
    ("org.edit_department", "POST"): HR_ONLY,
    ("org.department_row", "GET"): MANAGERS,
    ("org.department_inline", "GET"): HR_ONLY,
    ("org.department_inline", "POST"): HR_ONLY,
    ("org.deactivate_department", "POST"): HR_ONLY,
    ("org.import_start", "GET"): HR_ONLY,
    ("org.export_people", "GET"): HR_ONLY,
    # org chart import (tests/test_org_import.py) ------------------------------------
    ("org.import_upload", "POST"): HR_ONLY,
    ("org.import_preview", "GET"): HR_ONLY,
    ("org.import_commit", "POST"): HR_ONLY,
    ("org.import_sample", "GET"): HR_ONLY,
    ("cycles.index", "GET"): HR_EXEC,
    ("cycles.new", "GET"): HR_ONLY,
    ("cycles.new", "POST"): HR_ONLY,
    ("cycles.detail", "GET"): HR_EXEC,
    ("cycles.edit", "GET"): HR_ONLY,
    ("cycles.edit", "POST"): HR_ONLY,
    ("cycles.move_phase", "GET"): HR_ONLY,
    ("cycles.move_phase", "POST"): HR_ONLY,
    ("audit.index", "GET"): HR_ONLY,
    # planning (issue 3; tests/test_planning_*.py) -------------------------------------
    # person_id is `colleague` (Engineering, managed by `head`), department_id Engineering;
    # target/goal/kpi ids come from tests/planning_factories.py. `exec` heads the executive
    # team above Engineering, so they may plan there too; HR facilitates and only reads.
    ("planning.index", "GET"): ALL,
    ("planning.my_plan", "GET"): ALL,
    ("planning.target_list", "GET"): ALL,
    ("planning.new_target", "GET"): EXEC_ONLY,
    ("planning.new_target", "POST"): EXEC_ONLY,
    ("planning.target", "GET"): ALL,
    ("planning.edit_target", "GET"): EXEC_ONLY,
    ("planning.edit_target", "POST"): EXEC_ONLY,
    ("planning.publish_target", "POST"): EXEC_ONLY,
    ("planning.retire_target", "GET"): EXEC_ONLY,
    ("planning.retire_target", "POST"): EXEC_ONLY,
    ("planning.target_history", "GET"): ALL,
    ("planning.department_plan", "GET"): ALL,  # staff belong to Engineering
    ("planning.new_goal", "GET"): PLANNERS,
    ("planning.new_goal", "POST"): PLANNERS,
    ("planning.goal_row", "GET"): ALL,
    ("planning.goal_inline", "GET"): PLANNERS,
    ("planning.goal_inline", "POST"): PLANNERS,
    ("planning.delete_goal", "POST"): PLANNERS,
    ("planning.realign_goal", "GET"): PLANNERS,
    ("planning.realign_goal", "POST"): PLANNERS,
    ("planning.goal_actual", "GET"): PLANNERS,
    ("planning.goal_actual", "POST"): PLANNERS,
    ("planning.mark_ready", "POST"): PLANNERS,
    ("planning.copy_department_plans", "POST"): PLANNERS,
    ("planning.person_plan", "GET"): MANAGERS,  # staff never see a colleague's plan
    ("planning.new_kpi", "GET"): PLANNERS,
    ("planning.new_kpi", "POST"): PLANNERS,
    ("planning.kpi_row", "GET"): MANAGERS,
    ("planning.kpi_inline", "GET"): PLANNERS,
    ("planning.kpi_inline", "POST"): PLANNERS,
    ("planning.delete_kpi", "POST"): PLANNERS,
    ("planning.decide_kpi", "GET"): PLANNERS,
    ("planning.decide_kpi", "POST"): PLANNERS,
    ("planning.kpi_actual", "GET"): PLANNERS,
    ("planning.kpi_actual", "POST"): PLANNERS,
    ("planning.copy_kpi", "GET"): PLANNERS,
    ("planning.copy_kpi", "POST"): PLANNERS,
    ("planning.copy_previous_plan", "POST"): PLANNERS,
    ("planning.submit_plan", "POST"): ONLY_THE_PERSON,  # colleague's own plan: nobody else
    ("planning.approve_plan", "POST"): PLANNERS,
    ("planning.return_plan", "POST"): PLANNERS,
    ("planning.reopen_plan", "POST"): PLANNERS,
    ("planning.tree", "GET"): ALL,
    # during the cycle (issue 4; tests/test_coaching_*.py) -----------------------------------
    # The check-in, obstacle, request, comment and notification are `colleague`'s, in a
    # running cycle (tests/coaching_factories.py); the KPI is the planning matrix KPI.
    ("coaching.index", "GET"): ALL,
    ("coaching.kpi", "GET"): MANAGERS,  # staff never read a colleague's check-ins
    ("coaching.check_in", "POST"): ONLY_THE_PERSON,
    ("coaching.comment", "POST"): PLANNERS,  # heads over colleague; HR does not coach
    ("coaching.comment_read", "POST"): ONLY_THE_PERSON,
    ("coaching.obstacle", "GET"): MANAGERS,
    ("coaching.take_obstacle", "POST"): PLANNERS,
    ("coaching.resolve_obstacle", "POST"): PLANNERS,
    ("coaching.request_detail", "GET"): MANAGERS,
    ("coaching.decide_request", "POST"): PLANNERS,  # HR sees but does not decide
    ("coaching.person", "GET"): MANAGERS,
    ("coaching.add_note", "POST"): PLANNERS,
    ("coaching.overview", "GET"): HR_ONLY,
    ("coaching.todo_list", "GET"): ALL,
    ("coaching.todo_badge", "GET"): ALL,
    ("coaching.notification_list", "GET"): ALL,
    ("coaching.read_notification", "POST"): ONLY_THE_PERSON,
    ("coaching.read_all_notifications", "POST"): ALL,
}

# How to fill each URL parameter, from the company fixture (see factories.make_company).
# A value may also be a function of (company, app) that creates what it needs.
URL_VALUES = {
    "person_id": lambda company, app: company.colleague.id,
    "department_id": lambda company, app: company.eng.id,
    "cycle_id": lambda company, app: company.cycle.id,
    "import_id": lambda company, app: _org_import_by_hr(company, app),
    # planning (issue 3)
    "target_id": matrix_value("target_id"),
    "goal_id": matrix_value("goal_id"),
    "kpi_id": matrix_value("kpi_id"),
    # during the cycle (issue 4)
    "check_in_id": coaching_value("check_in_id"),
    "comment_id": coaching_value("comment_id"),
    "obstacle_id": coaching_value("obstacle_id"),
    "request_id": coaching_value("request_id"),
    "notification_id": coaching_value("notification_id"),
}


def _org_import_by_hr(company, app) -> int:
    """An uncommitted org-chart import uploaded by the HR admin (for the import routes)."""
    from perfsite.extensions import db
    from perfsite.models import OrgImport

    with app.app_context():
        org_import = OrgImport(filename="people.csv", created_by_id=company.hr.id, rows=[
            {"row": 2, "values": {"username": "new.person", "display_name": "New Person",
                                  "email": "new.person@example.com"}}])
        db.session.add(org_import)
        db.session.commit()
        return org_import.id

# Extra query-string arguments some routes need to do anything at all.
QUERY = {
    ("cycles.move_phase", "GET"): {"to": "in_progress"},
    ("cycles.move_phase", "POST"): {},
}
FORM = {
    ("cycles.move_phase", "POST"): {"to": "in_progress"},
    ("main.set_language", "POST"): {"locale": "zh_CN"},
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix():
    app = create_app({"TESTING": True})
    routes = {(rule.endpoint, method) for rule, method in _routes(app)}
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without an access-matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def _outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login" in location:
        return LOGIN
    if response.status_code == 401:
        return LOGIN
    if response.status_code == 403:
        return DENY
    assert response.status_code < 500, response.get_data(as_text=True)[-2000:]
    assert response.status_code != 405
    return OK


CASES = [(endpoint, method, role, expected)
         for (endpoint, method), outcomes in MATRIX.items()
         for role, expected in zip(ROLES, outcomes, strict=True)]


@pytest.mark.parametrize(("endpoint", "method", "role", "expected"), CASES,
                         ids=[f"{e}-{m}-{r}" for e, m, r, _ in CASES])
def test_access(app, company, client, login_as, endpoint, method, role, expected):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {arg: URL_VALUES[arg](company, app) for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values, **QUERY.get((endpoint, method), {}))
    user = client if role == "anon" else login_as(USERNAMES[role])
    if method == "GET":
        response = user.get(url)
    else:
        response = user.post_form(url, FORM.get((endpoint, method), {}))
    assert _outcome(response) == expected, (
        f"{role} {method} {url}: got {response.status_code} {response.headers.get('Location')}")
