"""The review journey in Chromium: `staff` writes part of a self-review (saved as they type),
closes the page, comes back to the draft, finishes and submits it after a confirmation;
`head` reviews `staff` with the self-review beside their own; `hr` moves the cycle to
calibration and moves the rating with a reason; the calibrated rating, the computed one and
the formula show. Then the same pages in Chinese. An axe check on every page.

Runs on the demo company: "2026 H2" is in review (perfsite.demo), where Liu Yang (`staff`)
has the KPIs "Portal pages shipped" (weight 70) and "On-call incidents closed within a day"
(30), and "2026 H1" is closed with everyone's results.
"""

from __future__ import annotations

import re

from .conftest import check_accessibility, expect, login, logout
from .test_planning import chinese

PORTAL = "Portal pages shipped"
ON_CALL = "On-call incidents closed within a day"
COMPETENCIES = ("Collaboration", "Ownership", "Customer focus", "Learning")


def draft_saved(page, change) -> None:
    """Make a change and wait for the autosave it triggers (800 ms after typing stops)."""
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/draft")) as answer:
        change()
    assert answer.value.status == 200
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")


def score(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).select_option(value)


def submit_with_confirmation(page, heading: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Submit…").click()
    expect(page.locator("h1")).to_have_text(heading)
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit now").click()


def test_a_self_review_a_manager_review_and_a_calibrated_rating(page):
    # staff: start from the to-do, write part of the self-review
    login(page, "staff")
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name="Write your self-review for 2026 H2").click()
    expect(page.locator("h1")).to_have_text("My self-review · 2026 H2")
    check_accessibility(page)
    review_url = page.url
    draft_saved(page, lambda: score(page, f"Score for “{PORTAL}”", "5"))
    draft_saved(page, lambda: page.get_by_label("Achievements").fill(
        "Twelve portal pages live, search included."))

    # The tab is closed; the draft is there when staff comes back.
    context = page.context
    page.close()
    page = context.new_page()
    page.goto(review_url)
    expect(page.get_by_label(f"Score for “{PORTAL}”", exact=True)).to_have_value("5")
    expect(page.get_by_label("Achievements")).to_have_value(
        "Twelve portal pages live, search included.")
    expect(page.locator("#autosave-status")).to_contain_text("Draft last saved at")

    score(page, f"Score for “{ON_CALL}”", "4")
    for name in COMPETENCIES:
        score(page, f"Rating for “{name}”", "4")
    submit_with_confirmation(page, "Submit your self-review?")
    expect(page.locator(".flash-success")).to_contain_text("Your self-review is submitted.")
    expect(page.locator(".page-head")).to_contain_text("Submitted")
    expect(page.locator("#review-form")).to_have_count(0)
    logout(page)

    # head: the team list, then Liu Yang's review beside their self-review
    login(page, "head")
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name="Review 3 reports for 2026 H2").click()
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Write the review of Liu Yang").click()
    expect(page.locator("h1")).to_have_text("Manager review of Liu Yang · 2026 H2")
    portal = page.locator("article", has=page.get_by_role("heading", name=PORTAL))
    expect(portal.locator(".other-review")).to_contain_text("Liu Yang's self-review")
    expect(portal.locator(".other-review")).to_contain_text("5 – Far exceeds expectations")
    expect(page.locator(".other-review").last).to_contain_text(
        "Twelve portal pages live, search included.")
    check_accessibility(page)
    score(page, f"Score for “{PORTAL}”", "4")
    score(page, f"Score for “{ON_CALL}”", "3")
    for name, rating in zip(COMPETENCIES, ("4", "4", "3", "5"), strict=True):
        score(page, f"Rating for “{name}”", rating)
    page.get_by_label("Overall assessment").fill("Reliable delivery; on-call needs runbooks.")
    submit_with_confirmation(page, "Submit your review of Liu Yang?")
    expect(page.locator(".flash-success")).to_contain_text(
        "Your review of Liu Yang is submitted.")
    logout(page)

    # hr: calibration opens; Liu Yang's A becomes a B, with a reason
    login(page, "hr", then="/cycles/")
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Advance to “Calibration”").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, move to “Calibration”").click()
    page.goto("/reviews/")
    with page.expect_navigation():
        page.locator("section", has_text="2026 H2").get_by_role(
            "link", name="Calibration").click()
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    check_accessibility(page)
    row = page.get_by_role("row", name=re.compile("Liu Yang"))
    expect(row).to_contain_text("3.89")
    row.locator("details.move summary").click()
    row.get_by_label("New rating for Liu Yang").select_option("B")
    row.get_by_label("Why Liu Yang's rating moves").fill(
        "On-call work fell short of the team's.")
    row.get_by_role("button", name="Move the rating").click()
    moves = page.locator("#calibration-moves")
    expect(moves).to_contain_text("On-call work fell short of the team's.")
    expect(moves).to_contain_text("A → B")
    check_accessibility(page)

    # Liu Yang's results: the calibrated rating, the computed one, and the formula
    with page.expect_navigation():
        page.get_by_role("row", name=re.compile("Liu Yang")).get_by_role(
            "link", name="Liu Yang").click()
    expect(page.locator("#final-rating")).to_contain_text("B")
    expect(page.locator("#original-rating")).to_contain_text("A")
    page.get_by_text("How is this computed?").click()
    formula = page.locator("#formula")
    expect(formula).to_contain_text("(70 × 4 + 30 × 3) / 100 = 3.70")
    expect(formula).to_contain_text("(4 + 4 + 3 + 5) / 4 = 4.00")
    expect(formula).to_contain_text("(70 × 5 + 30 × 4) / 100 = 4.70")
    expect(formula).to_contain_text("(60 × 3.70 + 30 × 4.00 + 10 × 4.70) / 100 = 3.89")
    expect(formula).to_contain_text("3.89 is in band A (3.75–4.49).")
    check_accessibility(page)


def switch_to_chinese(page) -> None:
    if page.locator("html").get_attribute("lang") == "zh-CN":
        return
    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_review_pages_in_chinese(page):
    login(page, "staff")
    switch_to_chinese(page)
    page.goto("/reviews/")
    check_accessibility(page)
    with page.expect_navigation():
        page.locator("section", has_text="2026 H2").get_by_role(
            "link", name=chinese("Write my self-review")).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    label = chinese("Score for “%(title)s”").replace("%(title)s", PORTAL)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/draft")) as answer:
        page.get_by_label(label, exact=True).select_option("3")
    assert answer.value.status == 200
    saved = chinese("Draft saved at %(time)s.").split("%(time)s")[0].strip()
    expect(page.locator("#autosave-status")).to_contain_text(saved)
    check_accessibility(page)

    # Results of the closed cycle, with the formula, in Chinese
    page.goto("/reviews/")
    with page.expect_navigation():
        page.locator("section", has_text="2026 H1").get_by_role(
            "link", name=chinese("See my results and how they are computed")).click()
    expect(page.locator("#final-rating")).to_contain_text("A")
    page.locator("#formula summary").click()
    expect(page.locator("#formula")).to_contain_text(
        "(60 × 4.00 + 30 × 4.25 + 10 × 4.40) / 100 = 4.12")
    check_accessibility(page)
    logout(page)

    login(page, "hr")
    switch_to_chinese(page)
    page.goto("/reviews/")
    with page.expect_navigation():
        page.locator("section", has_text="2026 H1").get_by_role(
            "link", name=chinese("Calibration")).click()
    expect(page.locator("#calibration-moves")).to_contain_text("S → A")
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    check_accessibility(page)
