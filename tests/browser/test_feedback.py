"""The 360 feedback journey in Chromium: `staff` nominates three peers (one from Sales, picked
by searching); `head` approves them; `peer` (Wang Fang, Sales) fills in the card, which saves
as they type and turns into a submitted card in place; the report shows nothing of the peer
group while review runs, however many answered (groups are released as review closes); HR
advances the cycle to calibration, cannot move it back over the answers (the page says
why), and the report then shows the averages without names; in Chinese too. An axe check on
every page.

Runs on the demo company: "2026 H2" is in review (perfsite.demo), where `staff` has not
nominated anyone yet and has two feedback requests of their own waiting.
"""

from __future__ import annotations

from .conftest import check_accessibility, expect, login, logout
from .test_planning import assert_same_document, chinese, mark_document
from .test_reviews import switch_to_chinese


def _answer_as_service(live_server, usernames) -> None:
    """Other peers answer (through the services, as their cards would)."""
    from sqlalchemy import select

    from perfsite.extensions import db
    from perfsite.feedback.services import answers
    from perfsite.models import Cycle, FeedbackRequest, Person, utcnow

    with live_server.app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2026 H2"))
        staff = db.session.scalar(select(Person).where(Person.username == "staff"))
        for username in usernames:
            rater = db.session.scalar(select(Person).where(Person.username == username))
            request = db.session.scalar(select(FeedbackRequest).where(
                FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.subject_id == staff.id,
                FeedbackRequest.rater_id == rater.id))
            values = {"keep_doing": f"Keep it up ({username})", "improve": ""}
            for competency in answers.competencies_of(cycle):
                values[answers.rating_field(competency)] = "2"
            answers.submit(request, rater, expected_version=request.version, values=values,
                           now=utcnow())
        db.session.commit()


def test_nominate_approve_answer_in_place_and_a_report_that_waits_for_three(
        page, live_server, console):
    # staff nominates three peers, one from Sales found with the picker
    login(page, "staff", then="/feedback/")
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Nominate my raters").click()
    expect(page.locator("h1")).to_have_text("My raters · 2026 H2")
    raters_url = page.url
    field = page.get_by_label("Colleagues to ask")
    field.fill("sam.okafor, wu.xia")
    search = page.get_by_role("combobox", name="Find someone by name")
    expect(search).to_be_visible()
    search.fill("Wang Fang")
    option = page.get_by_role("option", name="Wang Fang")
    expect(option).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    expect(field).to_have_value("sam.okafor, wu.xia, peer")
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Nominate", exact=True).click()
    table = page.locator("table")
    for name in ("Sam Okafor", "Wu Xia", "Wang Fang"):
        expect(table).to_contain_text(name)
    expect(table).to_contain_text("Sales")
    expect(table.get_by_text("Awaiting approval")).to_have_count(3)
    logout(page)

    # head approves; his own feedback is asked for automatically
    login(page, "head", then=raters_url.replace(live_server.url, ""))
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Approve 3 nominations").click()
    expect(page.locator(".flash-success")).to_contain_text("Raters approved")
    expect(page.locator("table")).not_to_contain_text("Awaiting approval")
    expect(page.locator("table")).to_contain_text("Zhang Min")
    report_url = raters_url.replace("/raters", "/report")
    page.goto(report_url)
    expect(page.locator(".feedback-hidden")).to_contain_text(
        "Peers: results are shown once the review phase has closed")
    check_accessibility(page)
    logout(page)

    # peer fills in the card: drafts save as they type, submit turns it in place
    login(page, "peer", then="/feedback/")
    with page.expect_navigation():
        page.get_by_role("link", name="Feedback to give").first.click()
    card = page.locator("article.feedback-card").filter(has_text="Liu Yang")
    expect(card).to_have_count(1)
    check_accessibility(page)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/draft")) as saved:
        card.get_by_label("Keep doing").fill("Clear, early updates on the portal.")
    assert saved.value.status == 200
    expect(card.locator(".autosave")).to_contain_text("Draft saved at")
    mark_document(page)
    console.allow(r"status of 422")
    card.get_by_role("button", name="Submit feedback").click()  # nothing rated yet
    expect(card.locator(".error").first).to_contain_text("Rate this competency")
    for group in card.locator("fieldset.rating").all():
        group.get_by_label("4", exact=False).first.check()
    card.get_by_role("button", name="Submit feedback").click()
    expect(card.locator(".status-submitted")).to_contain_text("Submitted")
    expect(card.locator("form")).to_have_count(0)
    assert_same_document(page)
    check_accessibility(page)
    logout(page)

    # one peer of three: nothing; three, while review runs: still nothing
    login(page, "head", then=report_url.replace(live_server.url, ""))
    expect(page.locator(".feedback-hidden")).to_contain_text("Peers")
    expect(page.locator("main")).not_to_contain_text("Clear, early updates")
    _answer_as_service(live_server, ["sam.okafor", "wu.xia"])
    page.reload()
    expect(page.locator(".feedback-hidden")).to_contain_text("Peers")
    expect(page.locator("main")).not_to_contain_text("Clear, early updates")
    logout(page)

    # HR closes review (the groups are released) and cannot move the cycle back over answers
    login(page, "hr", then="/cycles/")
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").first.click()
    cycle_url = page.url
    expect(page.locator("#move-back-refused")).to_contain_text("cannot move back")
    expect(page.get_by_role("link", name="Back to “In progress”")).to_have_count(0)
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Advance to “Calibration”").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, move to “Calibration”").click()
    page.goto(cycle_url)
    expect(page.locator(".phases [aria-current=step]")).to_contain_text("Calibration")
    expect(page.locator("#move-back-refused")).to_contain_text("cannot move back")
    logout(page)

    login(page, "head", then=report_url.replace(live_server.url, ""))
    expect(page.locator(".feedback-hidden")).to_have_count(0)
    report = page.locator(".feedback-report")
    expect(report).to_contain_text("Clear, early updates on the portal.")
    for name in ("Wang Fang", "Sam Okafor", "Wu Xia"):
        expect(report).not_to_contain_text(name)
    expect(report.locator("svg[role=img]")).to_have_count(1)
    expect(report.locator("table")).to_contain_text("Peers")
    check_accessibility(page)

    # the same report in Chinese
    switch_to_chinese(page)
    page.goto(report_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h2").first).to_contain_text(chinese("360 feedback"))
    expect(page.locator(".feedback-report")).to_contain_text("Clear, early updates")
    check_accessibility(page)
