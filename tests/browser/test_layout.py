"""The site on a phone (390 x 844) and with absurdly long words.

On a phone every main page fits the screen width (no sideways scrolling), the header keeps
to a small part of the height, tables turn into cards whose cells still name their column,
and the inline goal form stays on screen. A 300-letter word in a check-in and an obstacle,
and a 200-letter KPI title (the longest allowed), wrap instead of widening any page, on a
phone and at 1280 px. Screenshots go to /tmp/layout-*.png for a human to look at.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    Cycle,
    Interview,
    Kpi,
    Obstacle,
    Person,
    PersonalPlan,
    Phase,
    ResourceRequest,
    StrategyTarget,
)

from .conftest import expect, login

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
HEADER_SHARE = 0.2  # of the viewport's height, at most
NOT_CHECKED_IN_YET = "On-call incidents closed within a day"  # a KPI of `staff` in 2026 H2
DEMO_LOGINS = ("exec", "hr", "head", "staff", "peer")
EVERYONE = {"home", "planning", "tree", "targets", "target", "check-ins", "to-dos", "reviews",
            "360 feedback", "feedback to give", "interviews", "dashboard"}
# Pages each login must be able to open (the others may refuse it with 403).
MUST_OPEN = {
    "staff": EVERYONE | {"department plan", "person plan", "kpi check-ins", "obstacle",
                         "request", "self-review", "results", "interview"},
    "peer": EVERYONE,
    "head": EVERYONE | {"department plan", "person plan", "kpi check-ins", "obstacle",
                        "request", "people", "departments", "self-review", "manager review",
                        "review team", "results", "interview", "360 report"},
    "hr": EVERYONE | {"people", "departments", "cycles", "cycle", "audit log", "import",
                      "self-review", "results", "calibration", "completion"},
    "exec": EVERYONE | {"people", "departments", "cycles", "cycle", "calibration",
                        "completion"},
}

# What one page measures: its width, its header's height, and the table cells (in the
# stacked, card layout) that do not show their column's name.
MEASURE = """() => {
  const header = document.querySelector('.site-header');
  const problems = [];
  for (const table of document.querySelectorAll('table.table')) {
    const head = table.querySelector('thead');
    const name = table.id || table.className;
    if (head && getComputedStyle(head).display !== 'none') {
      problems.push(`table ${name} is not stacked into cards`);
      continue;
    }
    for (const cell of table.querySelectorAll('tbody td, tbody th')) {
      if (cell.colSpan > 1 || cell.classList.contains('row-actions')) continue;
      if (!cell.textContent.trim() || !cell.getClientRects().length) continue;
      const label = cell.dataset.label;
      const shown = getComputedStyle(cell, '::before').content;
      if (!label || shown !== JSON.stringify(label)) {
        problems.push(`table ${name}: a cell without its label: ` +
                      cell.textContent.trim().slice(0, 40));
      }
    }
  }
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth,
          header: header.getBoundingClientRect().height, problems,
          tables: document.querySelectorAll('table.table').length};
}"""


def _main_pages(app) -> dict[str, str]:
    """The main pages of the demo company: whose they are is in the module docstring of
    perfsite.demo (staff is Liu Yang in Engineering, head is Zhang Min, its head)."""
    with app.app_context():
        staff = db.session.scalar(select(Person).filter_by(username="staff"))
        planning = db.session.scalar(select(Cycle).filter_by(phase=Phase.PLANNING))
        # the cycle with check-ins: "2026 H2", in review by now (perfsite.demo)
        running = db.session.scalar(select(Cycle).filter_by(phase=Phase.REVIEW))
        target = db.session.scalar(select(StrategyTarget).filter_by(cycle_id=planning.id)
                                   .order_by(StrategyTarget.id))
        checked_in_kpi = db.session.scalar(
            select(Kpi.id).join(CheckIn, CheckIn.kpi_id == Kpi.id)
            .join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .where(PersonalPlan.person_id == staff.id, PersonalPlan.cycle_id == running.id)
            .order_by(Kpi.id))
        obstacle = db.session.scalar(select(Obstacle.id).filter_by(raised_by_id=staff.id)
                                     .order_by(Obstacle.id))
        request = db.session.scalar(select(ResourceRequest.id)
                                    .filter_by(raised_by_id=staff.id)
                                    .order_by(ResourceRequest.id))
        closed = db.session.scalar(select(Cycle).filter_by(phase=Phase.CLOSED))
        interview = db.session.scalar(select(Interview.id).filter_by(
            person_id=staff.id, cycle_id=closed.id))
        assert None not in (planning, running, closed, target, checked_in_kpi, obstacle,
                            request, interview)
        return {
            "home": "/",
            "planning": "/planning/",
            "department plan": f"/planning/{planning.id}/departments/{staff.department_id}",
            "person plan": f"/planning/{planning.id}/people/{staff.id}",
            "tree": f"/planning/{planning.id}/tree",
            "targets": f"/planning/{planning.id}/targets",
            "target": f"/planning/targets/{target.id}",
            "check-ins": "/coaching/",
            "kpi check-ins": f"/coaching/kpis/{checked_in_kpi}",
            "obstacle": f"/coaching/obstacles/{obstacle}",
            "request": f"/coaching/requests/{request}",
            "to-dos": "/coaching/todos",
            "people": "/people",
            "departments": "/departments",
            "cycles": "/cycles/",
            "cycle": f"/cycles/{planning.id}",
            "audit log": "/audit",
            "import": "/org/import",
            # reviews: staff's in the cycle in review, their results in the closed one
            "reviews": "/reviews/",
            "self-review": f"/reviews/{running.id}/people/{staff.id}/self",
            "manager review": f"/reviews/{running.id}/people/{staff.id}/manager",
            "review team": f"/reviews/{running.id}/team",
            "results": f"/reviews/{closed.id}/people/{staff.id}/results",
            "calibration": f"/reviews/{closed.id}/calibration",
            "completion": f"/reviews/{closed.id}/completion",
            # 360 feedback, interviews, dashboards
            "360 feedback": "/feedback/",
            "feedback to give": f"/feedback/{running.id}/give",
            "360 report": f"/feedback/{closed.id}/people/{staff.manager_id}/report",
            "interviews": "/interviews/",
            "interview": f"/interviews/{interview}",
            "dashboard": "/dashboards/",
        }


def _shot(page, name: str) -> None:
    page.screenshot(path=f"/tmp/layout-{name.replace(' ', '-')}.png")


def _assert_fits(page, where: str, stacked: bool = True) -> dict:
    measured = page.evaluate(MEASURE)
    assert measured["width"] <= measured["viewport"], (
        f"{where} scrolls sideways: {measured['width']} px wide in a "
        f"{measured['viewport']} px window")
    if stacked:
        assert not measured["problems"], f"{where}: " + "; ".join(measured["problems"])
    return measured


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_main_pages_fit_a_phone(open_page, live_server, console, username):
    console.allow(r"status of 403 \(FORBIDDEN\)")  # a page this login may not open
    pages = _main_pages(live_server.app)
    page = open_page(viewport=PHONE)
    login(page, username)
    opened, tables = set(), 0
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status in (200, 403), f"{username}: {url} answered {response.status}"
        if response.status == 403:
            continue
        opened.add(name)
        measured = _assert_fits(page, f"{username}: {name} ({url})")
        assert measured["header"] < HEADER_SHARE * PHONE["height"], (
            f"{username}: the header takes {measured['header']:.0f} px of {PHONE['height']}")
        tables += measured["tables"]
        _shot(page, f"{username}-{name}")
    missing = MUST_OPEN[username] - opened
    assert not missing, f"{username} could not open {sorted(missing)}"
    assert tables, "no table was checked"


def test_the_inline_goal_form_stays_on_a_phone_screen(open_page, live_server):
    pages = _main_pages(live_server.app)
    page = open_page(viewport=PHONE)
    login(page, "head")
    page.goto(pages["department plan"])
    page.locator("#goals-table").get_by_role("link", name="Edit").first.click()
    form = page.locator("#goals-table form.inline-edit")
    expect(form).to_be_visible()
    expect(form.get_by_label("Serves")).to_be_visible()
    _assert_fits(page, "the department plan with a goal being edited")
    controls = form.locator("input:not([type=hidden]), select, textarea, button")
    assert controls.count() > 5
    for i in range(controls.count()):
        box = controls.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
            f"{controls.nth(i).evaluate('e => e.outerHTML.slice(0, 80)')} runs off the screen")
    form.scroll_into_view_if_needed()
    _shot(page, "head-goal-form")


def test_a_300_letter_word_wraps_on_a_phone_and_a_desktop(open_page, live_server):
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 7  # 315 letters, no space
    title = word[:200]  # a KPI title's most
    app = live_server.app
    with app.app_context():
        kpi = db.session.scalar(select(Kpi).filter_by(title=NOT_CHECKED_IN_YET))
        kpi.title = title
        kpi_url = f"/coaching/kpis/{kpi.id}"
        plan = db.session.get(PersonalPlan, kpi.plan_id)
        plan_url = f"/planning/{plan.cycle_id}/people/{plan.person_id}"
        coaching_url = f"/coaching/people/{plan.person_id}"
        db.session.commit()

    page = open_page(viewport=PHONE)
    login(page, "staff")
    page.goto(kpi_url)
    form = page.locator("#checkin-form")
    form.get_by_label("Value reached so far").fill("60")
    form.get_by_label("Note").fill(word)
    form.get_by_text("Report an obstacle").click()
    form.get_by_label("Obstacle (optional)").fill(word)
    form.get_by_role("button", name="Post check-in").click()
    expect(page.locator("#timeline article").first).to_contain_text(word[:40])
    with app.app_context():
        obstacle = db.session.scalar(select(Obstacle.id).filter_by(description=word))
    assert obstacle, "the obstacle was raised"

    # Pages that show the long word (in the KPI's title, the note or the obstacle).
    staff_pages = {"kpi": kpi_url, "plan": plan_url, "check-ins": "/coaching/",
                   "obstacle": f"/coaching/obstacles/{obstacle}"}
    head_pages = {"to-dos": "/coaching/todos", "home": "/", "obstacle": staff_pages["obstacle"],
                  "coaching": coaching_url, "kpi": kpi_url,
                  "plan": plan_url}
    for viewport in (PHONE, DESKTOP):
        for username, urls in (("staff", staff_pages), ("head", head_pages)):
            page = open_page(viewport=viewport)
            login(page, username)
            for name, url in urls.items():
                assert page.goto(url).status == 200, url
                where = f"{username}: {name} ({url}) at {viewport['width']} px"
                expect(page.locator("main")).to_contain_text(word[:30])
                _assert_fits(page, where, stacked=viewport is PHONE)
                _shot(page, f"long-{viewport['width']}-{username}-{name}")
