"""One rule, one place: what a new user hit before the rules were gathered in
perfsite/permissions.py, and the guards that keep them there."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from perfsite import ROOT
from perfsite.coaching.services import notes, reminders, todos
from perfsite.extensions import db
from perfsite.models import AuditEvent, Kpi, Phase, PlanStatus, utcnow
from perfsite.planning.services import bulk, plans

from .coaching_factories import NOW, running_cycle
from .factories import Company, hr_admin, make_cycle, make_person
from .planning_factories import make_goal, make_kpi, make_target


def _attached(company) -> Company:
    return Company(**{name: db.session.get(type(getattr(company, name)),
                                           getattr(company, name).id)
                      for name in company.__dataclass_fields__})


# Rules live in one place --------------------------------------------------------------------

STATE_LITERAL = re.compile(
    r"""\.(status|phase|proposal_status|origin)\s*(==|!=|in)\s*[\('"]""")


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
def test_templates_decide_nothing_by_state_or_phase_literals():
    """Whether a button shows is a predicate's answer (can.can_x), never a template's own
    comparison of a status or phase code."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if STATE_LITERAL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
def test_views_decide_no_phase_themselves():
    """Views ask predicates; only permissions/ speaks of phases."""
    offenders = []
    for path in (ROOT / "perfsite").rglob("*.py"):
        if path.name != "views.py" and not path.name.endswith("_views.py"):
            continue  # views.py, plan_views.py; not interviews.py
        text = path.read_text()
        for pattern in ("is_allowed(", "require_phase(", "Phase.PLANNING", "Phase.REVIEW",
                        "Phase.IN_PROGRESS", "'approved'", '"approved"', "'submitted'"):
            if pattern in text:
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders


# What a phase allows is asked, never re-decided -------------------------------------------

# The phase table and the order of phases: read only by permissions/phases.py (and models/).
PHASE_TABLES = {"ALLOWED_PHASES", "ACTIVE_PHASES", "PHASE_ORDER"}
PHASE_ATTRIBUTES = {"phase", "current_phase"}
# Modules whose `phase` is something else than a cycle's: the org import's own steps.
NOT_A_CYCLE_PHASE = {"perfsite/org/import_jobs.py"}


def _is_phase_member(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "Phase")


def _speaks_of_phase(node: ast.AST) -> bool:
    return any(_is_phase_member(n) or (isinstance(n, ast.Attribute)
                                       and n.attr in PHASE_ATTRIBUTES)
               for n in ast.walk(node))


def phase_decisions(source: str) -> list[tuple[int, str]]:
    """Where `source` decides something by a phase itself: compares a phase (`cycle.phase
    == "review"`, `phase is Phase.CLOSED`, `Cycle.phase.in_(...)`) or reads the phase table
    or the order of phases. Naming a phase as a value (`move_phase(cycle, hr,
    Phase.REVIEW)`, a phase hook `(Phase.PLANNING, act)`, a label per phase) decides
    nothing."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in PHASE_TABLES \
                or isinstance(node, ast.alias) and node.name in PHASE_TABLES:
            found.append((getattr(node, "lineno", 0), getattr(node, "id", None) or node.name))
        elif isinstance(node, ast.Compare) and _speaks_of_phase(node):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("in_", "notin_", "is_", "is_not") \
                and _speaks_of_phase(node.func.value):
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
def test_no_phase_is_compared_outside_permissions_and_models():
    """What a phase allows is permissions/phases.py's table: code asks `can.is_allowed`,
    `can.phase_clause`, `can.next_phase`/`previous_phase`/`is_one_step`/`closes_cycle`;
    it never compares a cycle's phase or reads the table itself."""
    offenders = []
    for path in sorted((ROOT / "perfsite").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] in ("permissions", "models") \
                or relative.as_posix() in NOT_A_CYCLE_PHASE:
            continue
        offenders += [f"{relative}:{line}: {what}"
                      for line, what in phase_decisions(path.read_text())]
    assert not offenders, "phases decided outside permissions/:\n" + "\n".join(offenders)


# States: what a record's state allows is a model's check (a hybrid property, the same in
# Python and SQL: `plan.is_approved`, `PersonalPlan.is_approved`, `~Review.is_submitted`) or a
# predicate's (`can.can_submit_plan`) to say; no other module compares a state code itself.
STATE_COMPARISONS_LEFT: dict[str, int] = {}
STATE_ATTRIBUTES = {"status", "proposal_status", "state"}


def _is_state_member(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id.endswith("Status"))


def _speaks_of_state(node: ast.AST) -> bool:
    """A state member, or a record's state attribute (not a form's field named `state`)."""
    return any(_is_state_member(n) or (
        isinstance(n, ast.Attribute) and n.attr in STATE_ATTRIBUTES
        and not (isinstance(n.value, ast.Name) and n.value.id == "form"))
        for n in ast.walk(node))


def state_decisions(source: str) -> list[tuple[int, str]]:
    """Where `source` compares a record's state code itself (`plan.status ==
    PlanStatus.DRAFT`, `Review.status != ReviewStatus.SUBMITTED.value`,
    `FeedbackRequest.status.in_(...)`). Setting a state is the service's job and no
    comparison."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and _speaks_of_state(node) and any(
                isinstance(n, ast.Constant) and isinstance(n.value, str)
                or _is_state_member(n) or isinstance(n, ast.Name) and n.id.isupper()
                for n in ast.walk(node)):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("in_", "notin_") \
                and _speaks_of_state(node.func.value):
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
def test_no_state_is_compared_outside_permissions_and_models():
    """A search for state literals (`x.status == "approved"`, `X.status.in_([...])`,
    `x.state is XStatus.DRAFT`) outside permissions/ and models/ finds none."""
    counts = {}
    for path in sorted((ROOT / "perfsite").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] in ("permissions", "models"):
            continue
        found = state_decisions(path.read_text())
        if found:
            counts[relative.as_posix()] = len(found)
    grown = {name: (n, STATE_COMPARISONS_LEFT.get(name, 0)) for name, n in counts.items()
             if n > STATE_COMPARISONS_LEFT.get(name, 0)}
    assert not grown, f"new state comparisons (found, allowed): {grown}; ask a predicate"
    shrunk = {name: (counts.get(name, 0), n) for name, n in STATE_COMPARISONS_LEFT.items()
              if counts.get(name, 0) < n}
    assert not shrunk, f"fewer state comparisons than listed: lower the counts: {shrunk}"


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
@pytest.mark.parametrize(("source", "decides"), [
    ("ok = plan.status == PlanStatus.DRAFT", True),
    ("q = select(Review).where(Review.status != 'submitted')", True),
    ("q = select(F).where(F.status.in_(ACTIVE))", True),
    ("plan.status = PlanStatus.SUBMITTED.value", False),
    ("ok = error.status != 403", False),
    ("ok = plan.is_open", False),
])
def test_the_state_guard_finds_what_it_should(source, decides):
    assert bool(state_decisions(source)) is decides


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
@pytest.mark.parametrize(("source", "decides"), [
    ("late = cycle.current_phase is Phase.REVIEW", True),
    ("if cycle.phase != 'draft': pass", True),
    ("q = select(Cycle).where(Cycle.phase.in_(['review']))", True),
    ("from perfsite.permissions.phases import ALLOWED_PHASES", True),
    ("ok = target in (Phase.REVIEW, Phase.CLOSED)", True),
    ("move_phase(cycle, hr, Phase.REVIEW)", False),
    ("late = can.is_allowed(cycle, 'check_in_late')", False),
    ("q = select(Cycle).where(can.phase_clause('check_in'))", False),
])
def test_the_phase_guard_finds_what_it_should(source, decides):
    assert bool(phase_decisions(source)) is decides


# The to-do list asks the same predicates --------------------------------------------------

def test_only_the_approver_gets_the_approve_to_do_not_every_head_above(org_chart):
    c = org_chart
    goal = make_goal(c.cycle, c.eng, c.head)
    kpi = make_kpi(c.cycle, c.staff, c.head, goal)
    plans.submit_plan(kpi.plan, c.staff, expected_version=kpi.plan.version)
    assert [t.kind for t in todos.todos_for(c.head, NOW)] == ["plan_approve"]
    # The CEO heads the team above Engineering and may approve it, but it is not theirs to do.
    assert "plan_approve" not in [t.kind for t in todos.todos_for(c.exec, NOW)]


def test_a_plan_reopened_in_progress_is_on_its_owners_to_do_list(org_chart):
    c = org_chart
    run = running_cycle(c)
    plan = run.kpi.plan
    plans.reopen_plan(plan, c.head, reason="New priorities", expected_version=plan.version)
    kinds = [t.kind for t in todos.todos_for(c.staff, NOW)]
    assert "plan_submit" in kinds
    # and no check-in is asked of a plan that takes none
    assert all(t.values.get("kpi_id") not in {run.kpi.id, run.other.id}
               for t in todos.todos_for(c.staff, NOW) if t.kind == "check_in_due")


def test_reminders_compute_everyones_to_dos_in_the_same_queries_for_5_or_50_people(
        org_chart, count_queries):
    c = org_chart
    running_cycle(c)
    db.session.commit()

    def queries():
        with count_queries() as q:
            reminders.pending_digests(NOW)
        return q.count

    for i in range(5):
        make_person(f"few{i}", c.eng, manager=c.head)
    db.session.commit()
    few = queries()
    for i in range(45):
        make_person(f"many{i}", c.eng, manager=c.head)
    db.session.commit()
    assert queries() == few


# Copying never doubles a plan ---------------------------------------------------------------

def test_copying_last_cycle_never_adds_to_a_plan_that_has_kpis(org_chart):
    c = org_chart
    last = make_cycle("2026 H2", Phase.PLANNING, start_date=date(2026, 7, 1),
                      end_date=date(2026, 12, 31))
    old_goal = make_goal(last, c.eng, c.head, title="Platform")
    make_kpi(last, c.staff, c.head, old_goal, title="Uptime", weight="100")
    new_goal = make_goal(c.cycle, c.eng, c.head, title="Platform")
    make_kpi(c.cycle, c.staff, c.head, new_goal, title="Already planned", weight="90")
    result = bulk.copy_previous_plans(c.cycle, c.head, [c.staff])
    assert result.kpis == 0 and result.skipped
    plan = plans.get_plan(c.cycle, c.staff)
    assert [k.title for k in plan.kpis] == ["Already planned"]
    assert plans.kpi_weight_total(plan, c.staff).total == 90


def test_the_copy_button_shows_only_for_an_empty_plan(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        goal = make_goal(c.cycle, c.eng, c.head)
        make_kpi(c.cycle, c.staff, c.head, goal, weight="90")
        db.session.commit()
    head = login_as("head")
    staff_plan = head.get(f"/planning/{company.cycle.id}/people/{company.staff.id}")
    assert "Start from last cycle" not in staff_plan.get_data(as_text=True)
    empty_plan = head.get(f"/planning/{company.cycle.id}/people/{company.colleague.id}")
    assert "Start from last cycle" in empty_plan.get_data(as_text=True)


# Only what the server allows is offered ------------------------------------------------------

def test_a_closed_cycle_offers_no_revise_or_retire(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        target = make_target(c.cycle, c.exec, title="Grow")
        for phase in list(Phase)[2:]:
            from perfsite.cycles import services as cycles

            cycles.move_phase(c.cycle, hr_admin(), phase)
        db.session.commit()
        target_id = target.id
    page = login_as("exec").get(f"/planning/targets/{target_id}").get_data(as_text=True)
    assert 'id="edit-target"' not in page and "Retire" not in page
    response = login_as("exec").get(f"/planning/targets/{target_id}/edit")
    assert "Not possible while the cycle is in the “Closed” phase." in response.get_data(
        as_text=True)


def test_copy_to_offers_nobody_whose_plan_is_approved(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        goal = make_goal(c.cycle, c.eng, c.head)
        kpi = make_kpi(c.cycle, c.staff, c.head, goal, title="Share me")
        done = make_kpi(c.cycle, c.colleague, c.head, goal, title="Colleague's")
        plans.submit_plan(done.plan, c.colleague, expected_version=done.plan.version)
        plans.approve_plan(done.plan, c.head, expected_version=done.plan.version)
        extra = make_person("newbie", c.eng, manager=c.head, display_name="New Bie")
        db.session.commit()
        kpi_id, extra_name = kpi.id, extra.display_name
    # People are picked by searching (org/picker.py): the search offers only plans that
    # may take the KPI.
    head = login_as("head")
    search = f"/planning/kpis/{kpi_id}/copy/people"
    assert extra_name in head.htmx("GET", search, {"q": "bie"}).get_data(as_text=True)
    assert "Sam Okafor" not in head.htmx("GET", search, {"q": "sam"}).get_data(as_text=True)


# htmx answers show their own messages and update every part they change ---------------------

def test_an_htmx_action_shows_its_message_in_place_and_leaves_nothing_queued(
        app, company, login_as):
    with app.app_context():
        run = running_cycle(_attached(company))
        from perfsite.coaching.services import obstacles

        obstacle = obstacles.raise_obstacle(run.kpi, db.session.get(type(company.staff),
                                                                    company.staff.id),
                                            description="Blocked", now=utcnow())
        db.session.commit()
        obstacle_id = obstacle.id
    head = login_as("head")
    url = f"/coaching/obstacles/{obstacle_id}"
    response = head.form(url, "/resolve").submit({"resolve-resolution": "Unblocked"},
                                                 htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="flashes" class="flashes" role="status" aria-live="polite" data-hx-swap-oob="true"' \
        in body and "Obstacle resolved" in body
    next_page = head.get("/coaching/").get_data(as_text=True)
    assert "Obstacle resolved" not in next_page  # nothing left for the next page


def test_a_check_in_posted_with_htmx_replaces_the_empty_messages(app, company, login_as):
    with app.app_context():
        run = running_cycle(_attached(company))
        db.session.commit()
        kpi_id = run.kpi.id
    staff = login_as("staff")
    page = staff.get(f"/coaching/kpis/{kpi_id}").get_data(as_text=True)
    assert "No check-ins yet." in page and "None raised." in page
    response = staff.form(f"/coaching/kpis/{kpi_id}", "/check-ins").submit(
        {"actual_value": "2", "obstacle": "Waiting for access"}, htmx=True)
    body = response.get_data(as_text=True)
    assert '<p id="timeline-empty" data-hx-swap-oob="delete"></p>' in body
    assert 'id="kpi-items" data-hx-swap-oob="true"' in body and "Waiting for access" in body
    assert "None raised." not in body


def test_planning_actions_through_htmx_refresh_the_to_do_badge(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        goal = make_goal(c.cycle, c.eng, c.head)
        make_kpi(c.cycle, c.staff, c.head, goal)
        db.session.commit()
    staff = login_as("staff")
    url = f"/planning/{company.cycle.id}/people/{company.staff.id}"
    response = staff.form(url, "/submit").submit(htmx=True)
    assert response.status_code == 200 and "todos-changed" in response.headers["HX-Trigger"]


# A resource request started but not finished ---------------------------------------------

def test_a_request_kind_without_what_or_why_is_422_with_the_fields_marked(app, company,
                                                                          login_as):
    with app.app_context():
        run = running_cycle(_attached(company))
        db.session.commit()
        kpi_id = run.kpi.id
    staff = login_as("staff")
    response = staff.form(f"/coaching/kpis/{kpi_id}", "/check-ins").submit(
        {"actual_value": "2", "request_kind": "tools"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="request_what-error"' in body and "Say what you need." in body
    assert 'id="request_why-error"' in body and "Say why you need it." in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Kpi)) > 0
        from perfsite.models import CheckIn

        assert db.session.scalar(select(func.count(CheckIn.id))) == 0


# A malformed version is a 4xx everywhere ------------------------------------------------

@pytest.mark.parametrize("version", ["abc", "", "9" * 40])
def test_a_malformed_version_is_a_4xx_everywhere(app, company, login_as, version):
    with app.app_context():
        c = _attached(company)
        run = running_cycle(c)
        from perfsite.coaching.services import obstacles

        obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked",
                                            now=utcnow())
        goal = make_goal(c.cycle, c.eng, c.head)
        db.session.commit()
        ids = {"obstacle": obstacle.id, "goal": goal.id}
    hr, head = login_as("hr"), login_as("head")
    checks = [
        (hr, f"/people/{company.staff.id}/edit", "/edit", "version"),
        (hr, f"/departments/{company.eng.id}/edit", "/edit", "version"),
        (head, f"/coaching/obstacles/{ids['obstacle']}", "/take", "take-version"),
        (head, f"/planning/goals/{ids['goal']}/inline", "/inline", f"goal{ids['goal']}-version"),
    ]
    for client, page, action, field in checks:
        response = client.form(page, action).submit({field: version})
        assert 400 <= response.status_code < 500, (page, response.status_code)


# The audit log, read by people ---------------------------------------------------------------

def test_the_audit_log_names_actions_and_shows_names_not_ids(app, company, login_as):
    with app.app_context():
        c = _attached(company)
        from perfsite.org import services as org

        org.update_person(c.staff, c.hr, expected_version=c.staff.version,
                          manager_id=c.exec.id)
        db.session.commit()
    hr = login_as("hr")
    page = hr.get("/audit?action=person.updated").get_data(as_text=True)
    assert "Person changed" in page and "person.updated" not in page.split("<tbody>")[1]
    assert "Manager" in page and "<del>Zhang Min</del> → <ins>Chen Jing</ins>" in page
    assert '"manager_id"' not in page
    hr.post_form("/language", {"locale": "zh_CN"})
    chinese = hr.get("/audit?action=person.updated").get_data(as_text=True)
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        assert gettext("Person changed") in chinese


def test_a_private_note_about_an_hr_member_is_not_in_the_log_they_read(app, company,
                                                                       login_as):
    with app.app_context():
        c = _attached(company)
        second_hr = make_person("hr2", c.eng, manager=c.head, roles=("hr_admin",),
                                display_name="Second HR")
        note = notes.add_private_note(second_hr, c.head, body="Confidential", now=utcnow())
        db.session.commit()
        note_id = note.id
    hr2 = login_as("hr2")
    page = hr2.get("/audit?object_type=private_note").get_data(as_text=True)
    events = page.split('id="audit-events"')[1]
    assert "No events match." in events and "Second HR" not in events
    other = login_as("hr").get("/audit?object_type=private_note").get_data(as_text=True)
    other_events = other.split('id="audit-events"')[1]
    assert "No events match." not in other_events and "Second HR" in other_events
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "private_note.added")) == note_id


# The home page names every open cycle the person is in ---------------------------------------

def test_home_lists_every_open_cycle_with_my_plan_in_it(app, company, login_as):
    with app.app_context():
        running_cycle(_attached(company))
        db.session.commit()
    home = login_as("staff").get("/").get_data(as_text=True)
    assert "2027 H1" in home and "2026 H2" in home
    assert home.count("Open my plan") == 2


def test_plan_status_codes_stay_out_of_the_pages(app, company, login_as):
    """Plans show their state as words in both languages."""
    with app.app_context():
        c = _attached(company)
        goal = make_goal(c.cycle, c.eng, c.head)
        make_kpi(c.cycle, c.staff, c.head, goal)
        db.session.commit()
    page = login_as("staff").get(f"/planning/{company.cycle.id}/people/{company.staff.id}")
    assert str(PlanStatus.DRAFT.label) in page.get_data(as_text=True)


@pytest.mark.once  # reads the source: once per CI run (the SQLite pass)
def test_readme_says_where_the_rules_live():
    readme = Path(ROOT / "README.md").read_text()
    for place in ("permissions.py", "errors.py", "rules.py", "submissions.py", "web.py"):
        assert place in readme, place
