"""Issue 11 in Chromium: people are picked by searching, with the keyboard; the executive's
alignment tree opens a department when asked."""

from __future__ import annotations

import re

from .conftest import check_accessibility, expect, login


def test_hr_picks_a_manager_by_name_with_the_arrow_keys_and_enter(page, console):
    login(page, "hr", then="/people")
    page.get_by_label("Search by name, username, e-mail or title").fill("Liu Yang")
    page.locator("#people-table").get_by_role("link", name="Liu Yang", exact=True).click()
    page.get_by_role("link", name="Edit", exact=True).click()
    manager = page.get_by_label("Manager", exact=True)
    expect(manager).to_have_value("head")
    search = page.get_by_role("combobox", name="Find someone by name")
    expect(search).to_be_visible()  # shown by people-picker.js
    check_accessibility(page)
    search.fill("Li Na")
    option = page.get_by_role("option", name="Li Na")
    expect(option).to_be_visible()
    search.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    search.press("Enter")  # chooses; never submits the form
    expect(manager).to_have_value("li.na")
    expect(page.get_by_role("listbox")).to_be_hidden()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Li Na")


def test_a_mistyped_manager_is_answered_with_suggestions(page, console):
    console.allow(r"status of 422")
    login(page, "hr", then="/people/new")
    page.get_by_label("Username").fill("new.person")
    page.get_by_label("Full name").fill("New Person")
    page.get_by_label("E-mail").fill("new.person@example.com")
    page.get_by_label("Manager", exact=True).fill("li.n")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".people-picker .error")).to_contain_text("Did you mean: Li Na (li.na)")


def test_the_executive_opens_a_department_of_the_tree(page, console):
    login(page, "exec", then="/planning/")
    page.get_by_role("link", name="How everything aligns").first.click()
    tree = page.locator("#alignment-tree")
    expect(tree).to_be_visible()
    expect(page.locator("[id^=tree-kpi-]")).to_have_count(0)  # collapsed: no KPI read yet
    engineering = page.locator(
        "li[id^=tree-department-]:has(> details > summary strong:text-is('Engineering'))")
    with page.expect_response(lambda r: "/tree/departments/" in r.url) as answer:
        engineering.locator(":scope > details > summary").click()
    assert answer.value.status == 200
    expect(engineering.locator(":scope > details > .branch")).to_contain_text(
        "Keep platform uptime at 99.9%")
    check_accessibility(page)


def test_hr_filters_the_audit_log_by_a_person_found_by_name(page, console):
    login(page, "hr", then="/audit?action=plan.submitted")
    events = page.locator("#audit-events")
    expect(events).to_contain_text("Plan submitted")
    search = page.get_by_role("combobox", name="Find someone by name")
    search.fill("Zhang Min")
    option = page.get_by_role("option", name="Zhang Min")
    expect(option).to_be_visible()
    search.press("ArrowDown")
    with page.expect_response(lambda r: "actor=head" in r.url):
        search.press("Enter")  # picks; the filter answers at once
    expect(page.get_by_label("By (username)")).to_have_value("head")
    expect(page).to_have_url(re.compile(r"actor=head"))
    check_accessibility(page)
