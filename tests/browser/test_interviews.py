"""The feedback interview journey in Chromium: `head` opens the interview with `staff` (booked
by the demo), types notes that survive a reload, adds two improvement-plan items inline and
completes the record; `staff` disagrees; `hr` resolves the appeal with a changed rating and
closes the cycle (anyway, with a reason); `staff` sees the outcome on My results. Then the
interview page in Chinese at phone width. An axe check on every page.

Runs on the demo company: "2026 H2" is in review; before the journey its reviews of `staff`
are submitted and HR moves it on to the feedback interviews (through the services).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from .conftest import check_accessibility, expect, login, logout


def _to_interviews(app) -> None:
    from perfsite.cycles import services as cycles
    from perfsite.extensions import db
    from perfsite.models import Cycle, Person, Phase, ReviewKind

    from ..review_factories import write_review

    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2026 H2"))
        people = {p.username: p for p in db.session.scalars(select(Person).where(
            Person.username.in_(["staff", "head", "hr"])))}
        write_review(cycle, people["staff"], people["staff"], ReviewKind.SELF, 4, 4)
        write_review(cycle, people["staff"], people["head"], ReviewKind.MANAGER, 3, 3)
        for phase in (Phase.CALIBRATION, Phase.INTERVIEWS):
            cycles.move_phase(cycle, people["hr"], phase)
        db.session.commit()


def note_saved(page, section: str, text: str) -> None:
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/notes/{section}")) as answer:
        page.locator(f"#note-{section}-text").fill(text)
    assert answer.value.status == 200
    expect(page.locator(f"#note-{section}-status")).to_contain_text("Saved at")


def add_item(page, action: str, support: str) -> None:
    form = page.locator("#add-item-form")
    if not form.is_visible():
        page.locator("#add-item summary").click()
    form.get_by_label("Action").fill(action)
    form.get_by_label("Support needed").fill(support)
    with page.expect_response(lambda r: r.url.endswith("/items")) as answer:
        form.get_by_role("button", name="Add the item").click()
    assert answer.value.status == 200
    expect(page.locator("#plan-items")).to_contain_text(action)


def test_interview_notes_plan_appeal_close_and_my_results(page, live_server):
    _to_interviews(live_server.app)

    # head: from the interviews list to Liu Yang's interview
    login(page, "head")
    page.goto("/interviews/")
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").click()
    check_accessibility(page)
    with page.expect_navigation():
        page.locator("#interview-rows").get_by_role(
            "link", name=re.compile("Open.*Liu Yang")).click()
    expect(page.locator("h1")).to_contain_text("Feedback interview: Liu Yang")
    expect(page.locator("#interview-kpis")).to_contain_text("Portal pages shipped")
    check_accessibility(page)
    note_saved(page, "prep", "Ask about the on-call weeks.")
    note_saved(page, "strengths", "Shipped the portal search on time.")
    note_saved(page, "improve", "Share designs earlier.")
    page.reload()
    expect(page.locator("#note-strengths-text")).to_have_value(
        "Shipped the portal search on time.")
    expect(page.locator("#note-improve-text")).to_have_value("Share designs earlier.")
    add_item(page, "Pair with Sam on code reviews", "An hour a week")
    add_item(page, "Present the portal at the forum", "A forum slot")
    expect(page.locator("#plan-items tbody tr")).to_have_count(2)
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Complete the record").click()
    expect(page.locator(".flash-success")).to_contain_text("The record is completed")
    expect(page.locator("#note-strengths-read")).to_contain_text("Shipped the portal search")
    logout(page)

    # staff: acknowledges from the to-do, disagreeing; never sees the preparation
    login(page, "staff")
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name="Read and acknowledge your feedback interview record for 2026 H2"
        ).click()
    expect(page.locator("h1")).to_have_text("My feedback interview · 2026 H2")
    expect(page.locator("body")).not_to_contain_text("Ask about the on-call weeks.")
    check_accessibility(page)
    page.get_by_label("I disagree (HR will review it)").check()
    page.locator("#ack-form").get_by_label("Comment").fill("The on-call weeks cut my time.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my acknowledgement").click()
    expect(page.locator(".flash-success")).to_contain_text("with HR as an appeal")
    logout(page)

    # hr: resolves the appeal from the to-do, changing the rating, then closes the cycle
    login(page, "hr")
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name="Resolve the appeal of Liu Yang (2026 H2)").click()
    check_accessibility(page)
    current = page.locator("#appeal-current-band").inner_text().strip()
    page.get_by_label("Change the rating").check()
    page.get_by_label("New rating").select_option("A" if current != "A" else "B")
    page.get_by_label("Reason").fill("The on-call weeks were agreed extra work.")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve the appeal").click()
    expect(page.locator("#appeal-decision")).to_contain_text("the rating is now")
    page.goto("/interviews/")
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Close the cycle").click()
    expect(page.locator("#missing-interviews")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Reason to close with interviews missing").fill(
        "The remaining interviews are held next week off the record.")
    with page.expect_navigation():
        page.get_by_role("button", name="Close anyway").click()
    expect(page.locator(".flash-success")).to_contain_text("is closed")
    logout(page)

    # staff: My results shows the outcome and the history
    login(page, "staff")
    page.goto("/interviews/")
    with page.expect_navigation():
        page.get_by_role("link", name="Open your interview").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="Results with every step of their computation").click()
    expect(page.locator("h1")).to_contain_text("My results · 2026 H2")
    expect(page.locator("#result-outcome")).to_contain_text("Bonus")
    expect(page.locator("#result-history")).to_contain_text("2026 H1")
    check_accessibility(page)
    logout(page)


def test_interview_page_in_chinese_at_phone_width_and_without_javascript(open_page,
                                                                        live_server):
    _to_interviews(live_server.app)
    page = open_page(viewport={"width": 390, "height": 844})
    login(page, "head")
    page.goto("/interviews/")
    with page.expect_navigation():
        page.locator(".language-switch button").first.click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").click()
    with page.expect_navigation():
        page.locator("#interview-rows a[href^='/interviews/']").first.click()
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways: {width}px"
    interview_url = page.url

    # Without JavaScript the note's "Save" posts the form and the page comes back with it.
    plain = open_page(java_script_enabled=False)
    login(plain, "head")
    plain.goto(interview_url)
    plain.locator("#note-strengths-text").fill("Typed without JavaScript.")
    with plain.expect_navigation():
        plain.locator("#note-strengths button[type=submit]").click()
    expect(plain.locator("#note-strengths-text")).to_have_value("Typed without JavaScript.")
