"""What a new user hit before the rules were gathered in one place, seen in Chromium: htmx
answers that show their own message and update every part they change, a readable audit
log in both languages, and only the actions the server allows on offer."""

from __future__ import annotations

import re

from sqlalchemy import select

from perfsite.extensions import db

from .conftest import check_accessibility, expect, login


def test_head_resolves_an_obstacle_and_the_message_shows_there_not_on_the_next_page(page):
    login(page, "head")
    page.goto("/coaching/todos")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Obstacle from Sam Okafor")).click()
    page.evaluate("window.__sameDocument = true")
    card = page.locator("#obstacle-card")
    card.get_by_label("Resolution").fill("Asked the partner team for long-lived keys.")
    card.get_by_role("button", name="Resolve").click()
    expect(page.locator("#flashes")).to_contain_text("Obstacle resolved; Sam Okafor has been told.")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    check_accessibility(page)
    page.goto("/coaching/")
    expect(page.locator("#flashes")).to_be_empty()


def test_the_first_check_in_replaces_no_check_ins_yet_and_none_raised(page):
    login(page, "staff")
    page.goto("/coaching/")
    with page.expect_navigation():
        page.get_by_role("link", name="On-call incidents closed within a day",
                         exact=True).click()
    expect(page.locator("#timeline-empty")).to_have_text("No check-ins yet.")
    expect(page.locator("#kpi-items")).to_contain_text("None raised.")
    form = page.locator("#checkin-form")
    form.get_by_label("Value reached so far").fill("70")
    form.get_by_text("Report an obstacle").click()
    form.get_by_label("Obstacle (optional)").fill("Pager alerts have no runbooks.")
    form.get_by_role("button", name="Post check-in").click()
    expect(page.locator("#timeline article").first).to_contain_text("70")
    expect(page.locator("#timeline-empty")).to_have_count(0)
    expect(page.locator("#kpi-items")).to_contain_text("Pager alerts have no runbooks.")
    expect(page.locator("#kpi-items")).not_to_contain_text("None raised.")


def test_hr_reads_the_audit_log_in_words_in_english_and_chinese(page):
    login(page, "hr")
    page.goto("/audit?action=plan.submitted")
    events = page.locator("#audit-events")
    expect(events).to_contain_text("Plan submitted")
    expect(events).to_contain_text("Submitted")
    expect(events).not_to_contain_text("plan.submitted")
    expect(events).not_to_contain_text('"status"')
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    expect(page.locator("#audit-events")).to_contain_text("已提交")


def test_a_closed_cycle_offers_no_revise_or_retire(page, live_server):
    from perfsite.cycles import services as cycles
    from perfsite.models import Cycle, Person, Phase, StrategyTarget

    with live_server.app.app_context():
        hr = db.session.scalar(select(Person).where(Person.username == "hr"))
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2027 H1"))
        while cycle.current_phase is not Phase.CLOSED:
            cycles.move_phase(cycle, hr, cycles.next_phase(cycle))
        target_id = db.session.scalar(select(StrategyTarget.id).where(
            StrategyTarget.cycle_id == cycle.id))
        db.session.commit()
    login(page, "exec")
    page.goto(f"/planning/targets/{target_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#edit-target")).to_have_count(0)
    expect(page.get_by_role("link", name="Retire")).to_have_count(0)
