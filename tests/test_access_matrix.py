"""Who gets what, for every route and method in the app.

Every (endpoint, method) of app.url_map must have a row here: a new route without one fails
test_every_route_is_in_the_matrix. Each row says what anonymous, staff, head, HR and
executive get. Object routes point at a colleague of `staff` in Engineering (so staff are
refused, the Engineering head allowed) and at the Engineering department.

Outcomes:
  OK    access granted: 200, or a redirect elsewhere than the login page; a POST with an
        empty form may also answer 400/409/422 (the permission check passed, the form or
        the record's state refused), and a GET answers 409 only where STATE_REFUSED says so.
        A 404 is never "allowed": the object the row points at exists, so a 404 is a
        refusal dressed up (or a broken URL), and it counts as MISSING;
  DENY  403;
  LOGIN redirected to the login page.
"""

from __future__ import annotations

import hashlib
import pkgutil
from importlib import import_module

import pytest

from perfsite import create_app, permissions
from perfsite.extensions import db

from .coaching_factories import matrix_value as coaching_value  # during the cycle
from .conftest import Browserless
from .feedback_factories import matrix_value as feedback_value  # 360 feedback
from .interview_factories import matrix_value as interview_value  # feedback interviews
from .planning_factories import matrix_value  # planning
from .review_factories import matrix_value as review_value  # reviews
from .talent_factories import live_successor  # (removed by the first role allowed to)
from .talent_factories import matrix_value as talent_value  # allocation and talent review

OK, DENY, LOGIN, MISSING = "ok", "deny", "login", "missing"
# `self` is `colleague` (Sam Okafor, Engineering), whose records the object routes point at;
# `staff` is another member of Engineering; `head` heads Engineering; `other_head` heads
# Sales; `exec` heads the Executive Team above both.
ROLES = ("anon", "self", "staff", "head", "other_head", "hr", "exec")
USERNAMES = {"self": "colleague", "staff": "staff", "head": "head", "other_head": "sales.head",
             "hr": "hr", "exec": "exec"}

#                   anon   self  staff  head  other  hr    exec
PUBLIC = (OK, OK, OK, OK, OK, OK, OK)
ALL = (LOGIN, OK, OK, OK, OK, OK, OK)
HR_ONLY = (LOGIN, DENY, DENY, DENY, DENY, OK, DENY)
HR_EXEC = (LOGIN, DENY, DENY, DENY, DENY, OK, OK)
EXEC_ONLY = (LOGIN, DENY, DENY, DENY, DENY, DENY, OK)
# lists: every head sees their own part, HR and executives everything
HEADS_HR_EXEC = (LOGIN, DENY, DENY, OK, OK, OK, OK)
# colleague's own record: the person, their heads, HR and executives
THE_PERSON_AND_READERS = (LOGIN, OK, DENY, OK, DENY, OK, OK)
# Engineering's records: heads over it, HR and executives (not its staff)
DEPARTMENT_READERS = (LOGIN, DENY, DENY, OK, DENY, OK, OK)
# Engineering's plan and goals: its members too
DEPARTMENT_MEMBERS = (LOGIN, OK, OK, OK, DENY, OK, OK)
# change colleague's plan or Engineering's goals: the heads over them
PLANNERS = (LOGIN, DENY, DENY, OK, DENY, DENY, OK)
# the person, or the heads over them (propose / assign a KPI, check in)
THE_PERSON_OR_PLANNERS = (LOGIN, OK, DENY, OK, DENY, DENY, OK)
# a head's coaching page on colleague: their heads and HR
COACHES_AND_HR = (LOGIN, DENY, DENY, OK, DENY, OK, OK)
ONLY_THE_PERSON = (LOGIN, OK, DENY, DENY, DENY, DENY, DENY)
# colleague's reviewer: who approves their plan (the head of Engineering; not the CEO above)
THE_REVIEWER = (LOGIN, DENY, DENY, OK, DENY, DENY, DENY)
# 360 feedback: colleague's raters are approved by their reviewer, or fixed by HR
FEEDBACK_HEADS = (LOGIN, DENY, DENY, OK, DENY, OK, DENY)
# a feedback request's rater (`staff`, asked about colleague) and nobody else
THE_RATER = (LOGIN, DENY, OK, DENY, DENY, DENY, DENY)

MATRIX: dict[tuple[str, str], tuple[str, ...]] = {
    # (endpoint, method):            (anon, self, staff, head, other_head, hr, exec)
    ("main.home", "GET"): ALL,
    ("main.healthz", "GET"): PUBLIC,
    ("main.favicon", "GET"): PUBLIC,
    ("main.set_language", "POST"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    # Logging out ends on the login page whoever asks, so every role "lands on login".
    ("auth.logout", "POST"): (LOGIN,) * 7,
    ("auth.change_password", "GET"): ALL,
    ("auth.change_password", "POST"): ALL,
    ("auth.account", "GET"): ALL,  # each person's own (their time zone)
    ("auth.account", "POST"): ALL,
    ("org.people", "GET"): HEADS_HR_EXEC,
    # the people picker's options; the matrix asks the "org" scope (HR picks managers)
    ("org.pick_people", "GET"): HR_ONLY,
    ("org.new_person", "GET"): HR_ONLY,
    ("org.new_person", "POST"): HR_ONLY,
    ("org.person", "GET"): THE_PERSON_AND_READERS,
    ("org.edit_person", "GET"): HR_ONLY,
    ("org.edit_person", "POST"): HR_ONLY,
    ("org.person_row", "GET"): THE_PERSON_AND_READERS,
    ("org.person_inline", "GET"): HR_ONLY,
    ("org.person_inline", "POST"): HR_ONLY,
    ("org.deactivate_person", "POST"): HR_ONLY,
    ("org.activate_person", "POST"): HR_ONLY,
    ("org.reset_password", "POST"): HR_ONLY,
    ("org.departments", "GET"): HEADS_HR_EXEC,
    ("org.new_department", "GET"): HR_ONLY,
    ("org.new_department", "POST"): HR_ONLY,
    ("org.department", "GET"): DEPARTMENT_READERS,
    ("org.edit_department", "GET"): HR_ONLY,
    ("org.edit_department", "POST"): HR_ONLY,
    ("org.department_row", "GET"): DEPARTMENT_READERS,
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
    # planning (tests/test_planning_*.py) -----------------------------------------------
    # person_id is `colleague`, department_id Engineering; target/goal/kpi ids come from
    # tests/planning_factories.py. `exec` heads the executive team above Engineering, so
    # they may plan there too; HR facilitates and only reads.
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
    ("planning.department_plan", "GET"): DEPARTMENT_MEMBERS,
    ("planning.new_goal", "GET"): PLANNERS,
    ("planning.new_goal", "POST"): PLANNERS,
    ("planning.goal_row", "GET"): DEPARTMENT_MEMBERS,
    ("planning.goal_inline", "GET"): PLANNERS,
    ("planning.goal_inline", "POST"): PLANNERS,
    ("planning.delete_goal", "POST"): PLANNERS,
    ("planning.realign_goal", "GET"): PLANNERS,
    ("planning.realign_goal", "POST"): PLANNERS,
    ("planning.goal_actual", "GET"): PLANNERS,
    ("planning.goal_actual", "POST"): PLANNERS,
    ("planning.mark_ready", "POST"): PLANNERS,
    ("planning.copy_department_plans", "POST"): PLANNERS,
    ("planning.person_plan", "GET"): THE_PERSON_AND_READERS,  # never a colleague's
    ("planning.new_kpi", "GET"): THE_PERSON_OR_PLANNERS,  # proposes / assigns
    ("planning.new_kpi", "POST"): THE_PERSON_OR_PLANNERS,
    ("planning.kpi_row", "GET"): THE_PERSON_AND_READERS,
    # The matrix KPI was assigned by the head: the person edits only their own proposals.
    ("planning.kpi_inline", "GET"): PLANNERS,
    ("planning.kpi_inline", "POST"): PLANNERS,
    ("planning.delete_kpi", "POST"): PLANNERS,
    ("planning.decide_kpi", "GET"): PLANNERS,
    ("planning.decide_kpi", "POST"): PLANNERS,
    ("planning.copy_kpi", "GET"): PLANNERS,
    ("planning.copy_kpi", "POST"): PLANNERS,
    ("planning.copy_kpi_people", "GET"): PLANNERS,
    ("planning.copy_previous_plan", "POST"): PLANNERS,
    ("planning.submit_plan", "POST"): ONLY_THE_PERSON,
    ("planning.approve_plan", "POST"): PLANNERS,
    ("planning.return_plan", "POST"): PLANNERS,
    ("planning.reopen_plan", "POST"): PLANNERS,
    ("planning.tree", "GET"): ALL,
    # a department's branch of the tree: shows only what each may see (may be nothing)
    ("planning.tree_branch", "GET"): ALL,
    # during the cycle (tests/test_coaching_*.py) ----------------------------------------
    # The check-in, obstacle, request, comment and notification are `colleague`'s, in a
    # running cycle (tests/coaching_factories.py); the KPI is the planning matrix KPI.
    ("coaching.index", "GET"): ALL,
    ("coaching.kpi", "GET"): THE_PERSON_AND_READERS,
    ("coaching.check_in", "POST"): THE_PERSON_OR_PLANNERS,  # the owner, or their head
    ("coaching.comment", "POST"): PLANNERS,  # heads over colleague; HR does not coach
    ("coaching.comment_read", "POST"): ONLY_THE_PERSON,
    ("coaching.obstacle", "GET"): THE_PERSON_AND_READERS,
    ("coaching.take_obstacle", "POST"): PLANNERS,
    ("coaching.resolve_obstacle", "POST"): PLANNERS,
    ("coaching.request_detail", "GET"): THE_PERSON_AND_READERS,
    ("coaching.decide_request", "POST"): PLANNERS,  # HR sees but does not decide
    ("coaching.person", "GET"): COACHES_AND_HR,
    ("coaching.add_note", "POST"): PLANNERS,
    ("coaching.overview", "GET"): HR_ONLY,
    ("coaching.todo_list", "GET"): ALL,
    ("coaching.todo_badge", "GET"): ALL,
    ("coaching.notification_list", "GET"): ALL,
    ("coaching.read_notification", "POST"): ONLY_THE_PERSON,
    ("coaching.read_all_notifications", "POST"): ALL,
    # reviews (tests/test_review_*.py) ------------------------------------------------------
    # cycle_id is a cycle in review (tests/review_factories.py, see AREA_URL_VALUES) where
    # colleague has submitted their self-review and the head drafts their manager review.
    ("reviews.index", "GET"): ALL,
    ("reviews.team", "GET"): ALL,  # whom I review (nobody, for most)
    ("reviews.self_review", "GET"): THE_PERSON_AND_READERS,
    ("reviews.save_self_draft", "POST"): ONLY_THE_PERSON,
    ("reviews.submit_self_review", "POST"): ONLY_THE_PERSON,
    ("reviews.reopen_self_review", "POST"): HR_ONLY,  # HR reopens, never edits
    ("reviews.manager_review", "GET"): THE_PERSON_AND_READERS,  # the person: from interviews
    ("reviews.save_manager_draft", "POST"): THE_REVIEWER,
    ("reviews.submit_manager_review", "POST"): THE_REVIEWER,
    ("reviews.reopen_manager_review", "POST"): HR_ONLY,
    ("reviews.results", "GET"): THE_PERSON_AND_READERS,
    ("reviews.settings", "GET"): HR_EXEC,
    ("reviews.settings", "POST"): HR_ONLY,
    ("reviews.copy_settings", "POST"): HR_ONLY,
    ("reviews.completion_page", "GET"): HR_EXEC,
    ("reviews.nudge", "POST"): HR_ONLY,
    ("reviews.calibration_page", "GET"): HR_EXEC,
    ("reviews.calibrate", "GET"): HR_EXEC,
    ("reviews.calibrate", "POST"): HR_EXEC,
    # dashboards and exports (tests/test_dashboard_*.py, tests/test_exports.py) -----------
    # cycle_id is the company's cycle; a head's views and exports cover what they manage.
    ("dashboards.index", "GET"): ALL,  # a redirect to the viewer's own dashboard
    ("dashboards.executive", "GET"): HR_EXEC,
    ("dashboards.team", "GET"): (LOGIN, DENY, DENY, OK, OK, DENY, OK),  # heads (exec heads too)
    ("dashboards.hr", "GET"): HR_ONLY,
    ("dashboards.mine", "GET"): ALL,
    ("exports.goals", "GET"): HEADS_HR_EXEC,
    ("exports.check_ins", "GET"): HEADS_HR_EXEC,
    ("exports.completion", "GET"): HR_EXEC,
    ("exports.results", "GET"): HEADS_HR_EXEC,
    ("reports.review", "GET"): THE_PERSON_AND_READERS,  # the results page, printable
    # feedback interviews and outcomes (tests/test_interview_*.py) -------------------------
    # colleague's interview, held by the head (their reviewer); the outcome is staff's.
    ("interviews.index", "GET"): ALL,
    ("interviews.cycle_page", "GET"): ALL,  # each sees the interviews they may read
    ("interviews.schedule", "GET"): THE_REVIEWER,
    ("interviews.schedule", "POST"): THE_REVIEWER,
    ("interviews.interview", "GET"): THE_PERSON_AND_READERS,
    ("interviews.calendar", "GET"): THE_PERSON_AND_READERS,
    ("interviews.propose", "POST"): ONLY_THE_PERSON,
    ("interviews.cancel", "POST"): THE_REVIEWER,
    ("interviews.save_note", "POST"): THE_REVIEWER,  # "strengths": the person writes only theirs
    ("interviews.add_item", "POST"): THE_REVIEWER,
    ("interviews.edit_item", "GET"): THE_REVIEWER,
    ("interviews.edit_item", "POST"): THE_REVIEWER,
    ("interviews.remove_item", "POST"): THE_REVIEWER,
    ("interviews.track_item", "POST"): ONLY_THE_PERSON,  # in the next cycle
    ("interviews.add_draft", "POST"): THE_REVIEWER,
    ("interviews.remove_draft", "POST"): THE_REVIEWER,
    ("interviews.complete", "POST"): THE_REVIEWER,
    ("interviews.acknowledge", "POST"): ONLY_THE_PERSON,
    ("interviews.resolve_appeal", "GET"): HR_ONLY,
    ("interviews.resolve_appeal", "POST"): HR_ONLY,
    ("interviews.outcomes_page", "GET"): HEADS_HR_EXEC,
    ("interviews.save_rules", "POST"): HR_ONLY,
    ("interviews.approve_outcomes", "POST"): EXEC_ONLY,
    ("interviews.override_outcome", "GET"): PLANNERS,  # staff's heads (exec heads above)
    ("interviews.override_outcome", "POST"): PLANNERS,
    ("interviews.close", "GET"): HR_ONLY,
    ("interviews.close", "POST"): HR_ONLY,
    # 360 feedback (tests/test_feedback_*.py) -------------------------------------------------
    # colleague is the person the feedback is on; feedback_request_id is `staff`'s request
    # (a draft) on colleague: the rater alone reads or answers it; the head approves raters.
    ("feedback.index", "GET"): ALL,
    ("feedback.give", "GET"): ALL,  # each sees their own requests
    ("feedback.team", "GET"): ALL,  # the people whose raters I approve (nobody, for most)
    ("feedback.pick_raters", "GET"): ALL,  # anyone nominating searches colleagues
    ("feedback.raters", "GET"): THE_PERSON_AND_READERS,
    ("feedback.nominate", "POST"): ONLY_THE_PERSON,
    ("feedback.add_raters", "POST"): FEEDBACK_HEADS,
    ("feedback.approve", "POST"): FEEDBACK_HEADS,
    ("feedback.remove_rater", "POST"): FEEDBACK_HEADS,
    ("feedback.replace_rater", "POST"): FEEDBACK_HEADS,
    ("feedback.reopen", "POST"): HR_ONLY,  # HR reopens, never reads
    ("feedback.save_draft", "POST"): THE_RATER,
    ("feedback.submit", "POST"): THE_RATER,
    ("feedback.decline", "POST"): THE_RATER,
    ("feedback.admin", "GET"): HR_EXEC,
    ("feedback.recompute", "POST"): HR_ONLY,  # stores everyone's scores again, one batch
    # the person: from the feedback interviews on, when the cycle allows (else told why)
    ("feedback.report_page", "GET"): THE_PERSON_AND_READERS,
    ("feedback.report_csv", "GET"): THE_PERSON_AND_READERS,
    ("feedback.settings", "GET"): HR_EXEC,
    ("feedback.settings", "POST"): HR_ONLY,
    # notifications where people work (tests/test_notify_*.py) --------------------------
    ("notify.channel_list", "GET"): HR_ONLY,
    ("notify.new_channel", "GET"): HR_ONLY,
    ("notify.new_channel", "POST"): HR_ONLY,
    ("notify.edit_channel", "GET"): HR_ONLY,
    ("notify.edit_channel", "POST"): HR_ONLY,
    ("notify.test_channel", "POST"): HR_ONLY,
    ("notify.deliveries", "GET"): HR_ONLY,
    ("notify.retry_delivery", "POST"): HR_ONLY,
    # company sign-in: single sign-on (off here: the login page; signed in: home), HR's
    # settings and sync
    ("signin.sso_start", "GET"): ALL,
    ("signin.sso_callback", "GET"): ALL,
    ("signin.settings", "GET"): HR_ONLY,
    ("signin.test_connection", "POST"): HR_ONLY,
    ("signin.sync_now", "POST"): HR_ONLY,
    ("notify.preferences", "GET"): ALL,  # each person's own
    ("notify.preferences", "POST"): ALL,
    # resource allocation and the talent review (tests/test_talent_*.py) -------------------
    # Allocations: executives allocate, executives and HR read the overview. Talent data of
    # colleague: HR, executives and the heads over them, never colleague, staff or the
    # other head; position_id is colleague's key position, successor_id staff named for it.
    ("talent.index", "GET"): HEADS_HR_EXEC,
    ("talent.allocations_page", "GET"): HR_EXEC,
    ("talent.export_allocations", "GET"): HR_EXEC,
    ("talent.allocate", "GET"): EXEC_ONLY,
    ("talent.allocate", "POST"): EXEC_ONLY,
    ("talent.split", "POST"): EXEC_ONLY,
    ("talent.review_page", "GET"): HEADS_HR_EXEC,
    ("talent.person_page", "GET"): COACHES_AND_HR,
    ("talent.assess", "POST"): PLANNERS,
    ("talent.move", "POST"): HR_EXEC,
    ("talent.agree", "POST"): PLANNERS,
    ("talent.settings", "GET"): HR_ONLY,
    ("talent.settings", "POST"): HR_ONLY,
    ("talent.key_positions", "GET"): HEADS_HR_EXEC,
    ("talent.mark_key_position", "POST"): HR_ONLY,
    ("talent.name_successor", "POST"): COACHES_AND_HR,
    ("talent.remove_successor", "POST"): COACHES_AND_HR,
}

# How to fill each URL parameter, from the company fixture (see factories.make_company).
# A value may also be a function of (company, app) that creates what it needs.
URL_VALUES = {
    "person_id": lambda company, app: company.colleague.id,
    "department_id": lambda company, app: company.eng.id,
    "cycle_id": lambda company, app: company.cycle.id,
    "scope": lambda company, app: "org",
    "import_id": lambda company, app: _org_import_by_hr(company, app),
    # planning
    "target_id": matrix_value("target_id"),
    "goal_id": matrix_value("goal_id"),
    "kpi_id": matrix_value("kpi_id"),
    # during the cycle
    "check_in_id": coaching_value("check_in_id"),
    "comment_id": coaching_value("comment_id"),
    "obstacle_id": coaching_value("obstacle_id"),
    "request_id": coaching_value("request_id"),
    "notification_id": coaching_value("notification_id"),
    # feedback interviews and outcomes
    "interview_id": interview_value("interview_id"),
    "item_id": interview_value("item_id"),
    "draft_id": interview_value("draft_id"),
    "outcome_id": interview_value("outcome_id"),
    "section": lambda company, app: "strengths",
    # 360 feedback
    "feedback_request_id": feedback_value("feedback_request_id"),
    # notifications where people work
    "channel_id": lambda company, app: _notify_objects(company, app)["channel_id"],
    "message_id": lambda company, app: _notify_objects(company, app)["message_id"],
    # resource allocation and the talent review
    "position_id": talent_value("position_id"),
    "successor_id": live_successor,  # named again once an allowed role removed it
}


def _notify_objects(company, app) -> dict:
    """A chat channel (pointing where nothing listens) and a failed delivery to it."""
    if not hasattr(company, "_notify_matrix"):
        from perfsite.models import OutboxMessage, utcnow
        from perfsite.notify import channels

        with app.app_context():
            hr = db.session.get(type(company.hr), company.hr.id)
            channel = channels.create_channel(hr, kind="slack", name="Company", locale="en",
                                              department_id=None,
                                              url="http://127.0.0.1:9/hooks/nowhere")
            db.session.flush()
            message = OutboxMessage(transport="slack", channel_id=channel.id, kind="test",
                                    title="Test", content={}, status="given_up",
                                    attempts=3, last_error="HTTP 500", created_at=utcnow())
            db.session.add(message)
            db.session.commit()
            company._notify_matrix = {"channel_id": channel.id, "message_id": message.id}
    return company._notify_matrix


# An area's routes whose ids point elsewhere than URL_VALUES says: endpoint prefix -> values.
AREA_URL_VALUES = {
    "reviews.": {"cycle_id": review_value("cycle_id")},  # colleague's reviews, in review
    "interviews.": {"cycle_id": interview_value("cycle_id")},  # in its feedback interviews
    "feedback.": {"cycle_id": feedback_value("cycle_id")},  # 360 feedback, in review
}


def _url_value(endpoint: str, arg: str):
    for prefix, values in AREA_URL_VALUES.items():
        if endpoint.startswith(prefix) and arg in values:
            return values[arg]
    return URL_VALUES[arg]


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


# GET routes whose allowed answer may be 409: the reader may look, the cycle says not yet
# (and the page says why).
STATE_REFUSED = {
    ("feedback.report_csv", "GET"),  # the person, before the feedback interviews
}
# What "allowed" may answer: 200 or a redirect (not to login); a POST with an empty form
# may be refused by the form (400/422) or by the record's state (409).
ALLOWED_STATUSES = {"GET": {200, 301, 302, 303}, "POST": {200, 302, 303, 400, 409, 422}}


def _outcome(response, method: str = "GET", route: tuple[str, str] | None = None) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303) and "/login" in location:
        return LOGIN
    if status == 401:
        return LOGIN
    if status == 403:
        return DENY
    assert status < 500, response.get_data(as_text=True)[-2000:]
    assert status != 405
    allowed = ALLOWED_STATUSES[method] | ({409} if route in STATE_REFUSED else set())
    return OK if status in allowed else MISSING


@pytest.mark.parametrize(("status", "method", "expected"), [
    (200, "GET", OK), (302, "GET", OK), (422, "POST", OK), (409, "POST", OK),
    (404, "GET", MISSING), (404, "POST", MISSING), (409, "GET", MISSING), (422, "GET", MISSING),
    (403, "GET", DENY), (401, "POST", LOGIN),
])
def test_allowed_means_the_expected_answer_never_a_404(status, method, expected):
    from werkzeug.wrappers import Response

    assert _outcome(Response(status=status), method) == expected
    login = Response(status=302, headers={"Location": "/login?next=/x"})
    assert _outcome(login, method) == LOGIN


ROUTES = sorted(MATRIX)


def role_order(outcomes) -> list[tuple[str, str]]:
    """The roles of one route, refused ones first: a role allowed to post may change what
    the others find (HR deactivating `colleague` before `colleague` tries)."""
    pairs = list(zip(ROLES, outcomes, strict=True))
    return sorted(pairs, key=lambda pair: (pair[1] == OK, pair[0] != "self"))


def database_digest(app) -> str:
    """Every row of every table (but the login sessions the requests themselves touch, and
    the kept to-do lists, which any GET of home, "my dashboard" or the to-dos makes afresh
    when stale: a copy of what the records say, not a record), hashed: equal digests mean
    the request changed nothing."""
    from perfsite.extensions import db

    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in ("login_session", "todo_count"):
                continue
            rows = db.session.execute(table.select().order_by(*table.primary_key.columns))
            digest.update(f"{table.name}:{[tuple(r) for r in rows]!r}".encode())
    return digest.hexdigest()


def request_as(app, company, client, login_as, endpoint, method, role, *, user=None,
               check_writes=True):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {arg: _url_value(endpoint, arg)(company, app) for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values, **QUERY.get((endpoint, method), {}))
    if user is None:
        user = client if role == "anon" else login_as(USERNAMES[role])
    before = database_digest(app) if method != "GET" and check_writes else None
    if method == "GET":
        response = user.get(url)
    else:
        response = user.post_form(url, FORM.get((endpoint, method), {}))
    outcome = _outcome(response, method, (endpoint, method))
    if before is not None and outcome in (DENY, LOGIN) and endpoint != "auth.logout":
        assert database_digest(app) == before, f"{role} {method} {url} was refused but wrote"
    return url, response, outcome


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}-{m}" for e, m in ROUTES])
def test_access(app, company, client, login_as, endpoint, method):
    """Each of the seven roles gets what the matrix says, on one set of records."""
    wrong = []
    for role, expected in role_order(MATRIX[(endpoint, method)]):
        url, response, outcome = request_as(app, company, client, login_as, endpoint, method,
                                            role)
        if outcome != expected:
            wrong.append(f"{role} {method} {url}: expected {expected}, got "
                         f"{response.status_code} {response.headers.get('Location')}")
    assert not wrong, "\n".join(wrong)


# The matrix can fail: loosen an object predicate to "any head may" and it must notice.

LOOSENED = ["can_view_person", "can_edit_person", "can_deactivate_person",
            "can_reset_password", "can_view_department", "can_edit_department",
            "can_view_department_plan", "can_manage_department_goals", "can_add_goal",
            "can_edit_goal", "can_set_goal_actual", "can_view_goal", "can_view_plan_of",
            "can_manage_plan_of", "can_assign_kpi", "can_edit_kpi",
            "can_decide_proposal", "can_copy_kpi", "can_submit_plan", "can_approve_plan",
            "can_return_plan", "can_reopen_plan", "can_view_kpi", "can_check_in",
            "can_coach", "can_comment_on", "can_view_coaching_page", "can_write_private_note",
            "can_view_item", "can_take_obstacle", "can_resolve_obstacle",
            "can_decide_request", "can_mark_comment_read", "can_read_notification",
            "can_view_cycle", "can_edit_cycle", "can_create_targets", "can_edit_target",
            "can_publish_target", "can_retire_target",
            # reviews
            "can_read_self_review", "can_read_manager_review", "can_write_self_review",
            "can_write_manager_review", "can_reopen_review", "can_view_results",
            "can_calibrate", "can_edit_review_settings", "can_view_review_settings",
            "can_view_review_completion", "can_nudge_reviewers", "can_view_calibration",
            # 360 feedback
            "can_view_nominations", "can_approve_nominations", "can_view_feedback_report",
            # resource allocation and the talent review
            "can_see_talent", "can_assess_potential", "can_agree_action",
            "can_name_successor"]
OTHER_HEAD_REFUSED = [(endpoint, method) for (endpoint, method), outcomes in MATRIX.items()
                      if outcomes[ROLES.index("other_head")] == DENY]


def holders(name: str) -> list:
    """perfsite.permissions and each of its modules that holds the predicate `name`: a
    predicate also calls its neighbours by their module's name (can_assign_kpi asks
    can_manage_plan_of), so a replacement goes wherever the original is."""
    original = getattr(permissions, name)
    modules = [permissions] + [import_module(f"perfsite.permissions.{info.name}")
                               for info in pkgutil.iter_modules(permissions.__path__)]
    return [module for module in modules if getattr(module, name, None) is original]


@pytest.fixture(scope="session")
def predicates_asked(_shared_app):
    """For each object predicate, the routes refused to `other_head` that ask it: found
    once by recording which predicates each such request calls."""
    from .conftest import _empty_all_tables
    from .factories import make_company

    app = _shared_app
    asked: dict[str, list] = {name: [] for name in LOOSENED}
    with app.app_context():
        made = make_company()
        db.session.commit()
        for name in made.__dataclass_fields__:
            db.session.refresh(getattr(made, name))
        db.session.expunge_all()
    originals = {name: getattr(permissions, name) for name in LOOSENED}
    places = {name: holders(name) for name in LOOSENED}
    current: list = []

    def recorder(name):
        def recorded(*args, **kwargs):
            if current:
                asked[name].append(current[0])
            return originals[name](*args, **kwargs)
        return recorded

    try:
        for name in LOOSENED:
            for module in places[name]:
                setattr(module, name, recorder(name))
        user = Browserless(app.test_client())
        user.login(USERNAMES["other_head"])
        for route in OTHER_HEAD_REFUSED:
            current[:] = [route]
            request_as(app, made, None, None, *route, "other_head", user=user,
                       check_writes=False)
    finally:
        for name, original in originals.items():
            for module in places[name]:
                setattr(module, name, original)
        _empty_all_tables(app)
    return {name: list(dict.fromkeys(routes)) for name, routes in asked.items()}


@pytest.mark.parametrize("name", LOOSENED)
def test_the_matrix_notices_an_object_predicate_loosened_to_any_head(
        app, company, client, login_as, monkeypatch, predicates_asked, name):
    original = getattr(permissions, name)

    def any_head_may(user, obj, *args, **kwargs):
        return True if permissions.is_head(user) else original(user, obj, *args, **kwargs)

    for module in holders(name):
        monkeypatch.setattr(module, name, any_head_may)
    routes = predicates_asked[name] or OTHER_HEAD_REFUSED
    other_head = login_as(USERNAMES["other_head"])
    caught = [route for route in routes
              if request_as(app, company, client, login_as, *route, "other_head",
                            user=other_head, check_writes=False)[2] != DENY]
    assert caught, f"loosening {name} to 'any head may' went unnoticed by the matrix"
