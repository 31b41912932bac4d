"""Journeys through performance planning in Chromium.

The demo company's planning seed: Engineering's goals weigh 50/30/20 ("Keep platform uptime
at 99.9%" is the 20); Liu Yang (`staff`) has a draft plan whose KPI weights add up to 90.
"""

from __future__ import annotations

import re

from babel.support import Translations

from perfsite import ROOT

from .conftest import check_accessibility, expect, login, logout

UPTIME_GOAL = "Keep platform uptime at 99.9%"
# An invalid weight makes the server answer 422; a stale save answers 409. The browser logs
# both as "Failed to load resource: ... status of 4xx", which these tests expect.
EXPECTED_REFUSALS = r"status of (409|422)"


def chinese(message: str) -> str:
    """The message as the zh_Hans_CN catalogue has it (the message itself when untranslated)."""
    catalogue = Translations.load(str(ROOT / "perfsite" / "translations"), ["zh_Hans_CN"])
    return catalogue.gettext(message)


def mark_document(page) -> None:
    """Tag the current document; `assert_same_document` fails if the browser navigated."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page navigated"


def open_engineering_plan(page) -> None:
    """From the planning home page to the department plan of the user's department."""
    page.goto("/planning/")
    page.locator("a", has_text="My department's plan").first.click()
    expect(page.locator("#goals-table")).to_be_visible()


def edit_goal_weight(page, title: str, weight: str):
    """Open the goal's row for editing, type the weight, and save; returns the response."""
    page.get_by_role("link", name=f"Edit {title}").click()
    row = page.locator("#goals-table tr.editing")
    row.get_by_label("Weight (%)").fill(weight)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        row.get_by_role("button", name="Save").click()
    return answer.value


# --- from a strategy target down to a person's KPI -----------------------------------------

def test_exec_publishes_a_target_and_head_decomposes_it_into_goals_and_a_kpi(page, console):
    console.allow(EXPECTED_REFUSALS)

    # The executive writes the target as a draft and publishes it.
    login(page, "exec", then="/planning/")
    page.get_by_role("link", name="Strategy targets").click()
    page.locator("#new-target").click()
    page.get_by_label("Title").fill("Enter two new markets")
    page.get_by_label("Description").fill("Singapore and Malaysia by the end of June.")
    page.get_by_label("Measured as").select_option("numeric")
    page.get_by_label("Baseline").fill("0")
    page.get_by_label("Target value").fill("2")
    page.get_by_label("Unit").fill("markets")
    page.get_by_label("Deadline").fill("2027-06-30")
    page.get_by_label("Owner").select_option(label="Chen Jing")
    page.get_by_role("button", name="Save").click()
    page.locator("#publish-target").click()
    expect(page.locator(".flash-success")).to_contain_text("“Enter two new markets” is published")
    check_accessibility(page)
    target_url = page.url
    logout(page)

    # The head of Engineering adds a goal serving it, with Sales contributing.
    login(page, "head", then=target_url)
    page.locator("#decompose-target").click()
    page.get_by_label("Goal", exact=True).fill("Open the Singapore office")
    expect(page.get_by_label("Serves").locator("option:checked")).to_have_text(
        re.compile("Enter two new markets"))
    page.get_by_label("Target value").fill("1")
    page.get_by_label("Weight (%)").fill("10")
    page.get_by_label("Due date").fill("2027-05-31")
    page.get_by_role("group", name="Contributing departments").get_by_label("Sales").check()
    page.get_by_role("button", name="Add the goal").click()

    figure = page.locator("#goal-weight-total-figure")
    status = page.locator("#department-plan-status")
    expect(page.locator("#goals-table")).to_contain_text("Open the Singapore office")
    expect(figure).to_have_text("Goal weights: 110%")
    expect(page.locator("#goal-weight-total")).to_contain_text("over by 10%")
    expect(status).to_have_text("Draft")

    # Weights are fixed in place: the total and the plan status follow without a navigation.
    mark_document(page)
    assert edit_goal_weight(page, UPTIME_GOAL, "5").status == 200
    expect(figure).to_have_text("Goal weights: 95%")
    expect(page.locator("#goals-table tr.editing")).to_have_count(0)

    for invalid in ("-5", "150"):  # a number field: the browser lets no letters in
        assert edit_goal_weight(page, UPTIME_GOAL, invalid).status == 422
        row = page.locator("#goals-table tr.editing")
        expect(row.locator(".error")).to_be_visible()
        expect(row.get_by_label("Weight (%)")).to_have_value(invalid)
        expect(figure).to_have_text("Goal weights: 95%")
        row.get_by_role("link", name="Cancel").click()
        expect(row).to_have_count(0)

    assert edit_goal_weight(page, UPTIME_GOAL, "10").status == 200
    expect(figure).to_have_text("Goal weights: 100%")
    page.locator("#mark-plan-ready").click()
    expect(status).to_have_text("Ready")
    assert_same_document(page)
    check_accessibility(page)

    # The head assigns Liu Yang a KPI serving the new goal.
    page.locator("#people-plans").get_by_role("link", name="Assign a KPI to Liu Yang").click()
    page.get_by_label("KPI", exact=True).fill("Scout Singapore partners")
    page.get_by_label("Serves the department goal").select_option(label="Open the Singapore office")
    page.get_by_label("Measured as").select_option("numeric")
    page.get_by_label("Baseline").fill("0")
    page.get_by_label("Target value").fill("3")
    page.get_by_label("Unit").fill("partners")
    page.get_by_label("Weight (%)").fill("5")
    page.get_by_label("Due date").fill("2027-04-30")
    page.get_by_role("button", name="Assign the KPI").click()
    expect(page.locator("#kpis-table")).to_contain_text("Scout Singapore partners")
    expect(page.locator("#kpi-weight-total-figure")).to_have_text("KPI weights: 95%")


def test_staff_proposes_a_kpi_and_submits_and_head_approves_the_plan(page, console):
    console.allow(EXPECTED_REFUSALS)
    login(page, "staff", then="/planning/")
    page.locator("a", has_text="My plan").first.click()
    plan_url = page.url
    expect(page.locator("#kpi-weight-total-figure")).to_have_text("KPI weights: 90%")
    expect(page.locator("#plan-status")).to_contain_text("10 short")

    # A plan at 90% is refused, and the message says by how much.
    page.locator("#submit-plan").click()
    expect(page.locator("#plan-errors")).to_have_text(
        "Not submitted yet: Liu Yang's KPIs add up to 90%; 10 short of 100%.")
    # Said once, in the error: the box's own line gives way to it.
    expect(page.locator("#plan")).not_to_contain_text("short of 100%.Not")
    expect(page.locator("#kpi-weight-total-message")).to_have_count(0)
    expect(page.locator("#plan-state")).to_have_text("Draft")

    page.locator("#propose-kpi").click()
    page.get_by_label("KPI", exact=True).fill("Write the on-call handbook")
    page.get_by_label("Serves the department goal").select_option(label=UPTIME_GOAL)
    page.get_by_label("Measured as").select_option("milestone")
    page.get_by_label("Weight (%)").fill("10")
    page.get_by_role("button", name="Propose the KPI").click()
    expect(page.locator("#kpi-weight-total-figure")).to_have_text("KPI weights: 100%")
    page.locator("#submit-plan").click()
    expect(page.locator("#plan-state")).to_have_text("Submitted")
    logout(page)

    # The head accepts the proposal, then approves the plan.
    login(page, "head", then=plan_url)
    proposal = page.locator("#kpis-table tr", has_text="Write the on-call handbook")
    page.get_by_label("Decide on the proposal Write the on-call handbook").click()
    proposal.get_by_label("Comment").fill("Useful, go ahead")
    proposal.get_by_role("button", name="Accept").click()
    expect(page.locator("#kpis-table tr", has_text="Write the on-call handbook")
           ).to_contain_text("Proposal accepted")
    page.locator("#approve-plan").click()
    expect(page.locator("#plan-state")).to_have_text("Approved")
    check_accessibility(page)


def test_staff_sees_their_plan_in_chinese_and_is_told_in_chinese_what_is_missing(page, console):
    console.allow(EXPECTED_REFUSALS)
    login(page, "staff", then="/planning/")
    page.locator("a", has_text="My plan").first.click()
    with page.expect_navigation():
        page.locator("form.language-switch button").filter(has_text="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#kpi-weight-total-figure")).to_have_text(
        chinese("KPI weights: %(total)s") % {"total": "90%"})
    expect(page.locator("#submit-plan")).to_have_text(chinese("Submit my plan to my head"))
    expect(page.get_by_role("navigation", name=re.compile("."))
           .get_by_role("link", name=chinese("Planning"), exact=True)).to_be_visible()
    check_accessibility(page)

    page.locator("#submit-plan").click()
    owner = chinese("%(name)s's KPIs") % {"name": "Liu Yang"}
    expect(page.locator("#plan-errors")).to_have_text(
        chinese("Not submitted yet: %(problems)s") % {"problems": chinese(
            "%(owner)s add up to %(total)s%%; %(missing)s short of 100%%.")
            % {"owner": owner, "total": "90", "missing": "10"}})
    expect(page.locator("#plan-state")).to_have_text(chinese("Draft"))


# --- two people editing the same goal --------------------------------------------------------

def test_second_save_of_the_same_goal_is_refused_and_keeps_what_was_typed(open_page, console):
    console.allow(EXPECTED_REFUSALS)
    head, executive = open_page(), open_page()
    login(head, "head")
    open_engineering_plan(head)
    login(executive, "exec", then=head.url)
    for page in (head, executive):
        page.get_by_role("link", name=f"Edit {UPTIME_GOAL}").click()
    goal_id = head.locator("#goals-table tr.editing").get_attribute("id").removeprefix("goal-")

    head_row = head.locator("#goals-table tr.editing")
    head_row.get_by_label("Weight (%)").fill("25")
    head_row.get_by_role("button", name="Save").click()
    expect(head.locator("#goal-weight-total-figure")).to_have_text("Goal weights: 105%")

    exec_row = executive.locator("#goals-table tr.editing")
    exec_row.get_by_label("Weight (%)").fill("15")
    with executive.expect_response(lambda r: r.request.method == "POST") as answer:
        exec_row.get_by_role("button", name="Save").click()
    assert answer.value.status == 409
    expect(executive.locator(f"#goal-{goal_id}-conflict")).to_contain_text("25%")
    expect(exec_row.get_by_label("Weight (%)")).to_have_value("15")
    check_accessibility(executive)

    # Having seen the newer version, the second person saves their value over it.
    with executive.expect_response(lambda r: r.request.method == "POST") as answer:
        exec_row.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(executive.locator("#goal-weight-total-figure")).to_have_text("Goal weights: 95%")
    expect(executive.locator(f"#goal-{goal_id}")).to_contain_text("15%")


# --- without JavaScript -----------------------------------------------------------------------

def test_head_edits_a_goal_through_full_pages_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    login(page, "head")
    open_engineering_plan(page)
    page.get_by_role("link", name=f"Edit {UPTIME_GOAL}").click()
    expect(page).to_have_url(re.compile(r"/goals/\d+/inline$"))
    page.get_by_label("Weight (%)").fill("15")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#goal-weight-total-figure")).to_have_text("Goal weights: 95%")
    expect(page.locator("#goals-table tr", has_text=UPTIME_GOAL)).to_contain_text("15%")
