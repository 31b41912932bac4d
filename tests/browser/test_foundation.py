"""Journeys through the foundation (login, language, people, departments, cycles) in Chromium."""

from __future__ import annotations

import gettext
import re

import pytest

from perfsite import ROOT

from .conftest import check_accessibility, expect, login, logout

# username, name, department: the demo logins of perfsite.demo
DEMO_LOGINS = [
    ("exec", "Chen Jing", "Executive Team"),
    ("hr", "Guo Mei", "Human Resources"),
    ("head", "Zhang Min", "Engineering"),
    ("staff", "Liu Yang", "Engineering"),
    ("peer", "Wang Fang", "Sales"),
]


def mark_document(page) -> None:
    """Tag the current document; `assert_same_document` fails if the browser navigated."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page navigated"


def person_row(page, name: str):
    return page.locator("#people-table tbody tr").filter(has_text=name)


def department_row(page, name: str):
    return page.locator("#departments-table tbody tr").filter(has_text=name)


# --- logging in -------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "name", "department"), DEMO_LOGINS,
                         ids=[u for u, _, _ in DEMO_LOGINS])
def test_each_demo_login_reaches_their_home_page(page, username, name, department):
    login(page, username)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("dl.facts")).to_contain_text(department)
    expect(page.locator(".whoami")).to_have_text(name)
    check_accessibility(page)


def test_login_and_hr_pages_are_accessible(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    check_accessibility(page)
    login(page, "hr")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.locator("#people-table")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Departments").click()
    expect(page.locator("#departments-table")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name="2027 H1").click()
    expect(page.locator("h1")).to_have_text("2027 H1")
    check_accessibility(page)


# --- language ---------------------------------------------------------------------------------

def chinese(message: str) -> str | None:
    """The compiled Chinese catalogue's translation of `message`, or None while it has none.

    Read straight from the .mo file, not through Flask-Babel, so that a locale the site
    fails to match to its catalogue cannot make the check vacuous.
    """
    catalogue = gettext.translation("messages", str(ROOT / "perfsite" / "translations"),
                                    languages=["zh_CN", "zh_Hans_CN"], fallback=True)
    translated = catalogue.gettext(message)
    return translated if translated != message else None


def test_language_switch_turns_the_page_chinese_and_back(page):
    nav = page.get_by_role("navigation", name=re.compile("."))
    switch = page.locator("form.language-switch button")
    login(page, "staff")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible()

    with page.expect_navigation():
        switch.filter(has_text="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(switch).to_have_text("English")
    home = chinese("Home")
    if home:  # once the catalogue has it, the navigation must show it
        expect(nav.get_by_role("link", name=home, exact=True)).to_be_visible()

    with page.expect_navigation():
        switch.filter(has_text="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(switch).to_have_text("简体中文")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible()


def test_language_choice_is_remembered_on_the_person_across_logins(page):
    html = page.locator("html")
    switch = page.locator("form.language-switch button")
    login(page, "staff")
    with page.expect_navigation():
        switch.filter(has_text="简体中文").click()
    expect(html).to_have_attribute("lang", "zh-CN")

    # A new browser session knows nothing: the choice comes from the person's record.
    logout(page)
    page.context.clear_cookies()
    page.goto("/login")
    expect(html).to_have_attribute("lang", "en")
    login(page, "staff")
    expect(html).to_have_attribute("lang", "zh-CN")

    with page.expect_navigation():
        switch.filter(has_text="English").click()
    expect(html).to_have_attribute("lang", "en")
    logout(page)
    page.context.clear_cookies()
    login(page, "staff")
    expect(html).to_have_attribute("lang", "en")


# --- people search --------------------------------------------------------------------------

def test_people_search_updates_the_results_as_hr_types(page):
    login(page, "hr", then="/people")
    expect(person_row(page, "Liu Yang")).to_have_count(1)
    mark_document(page)

    page.get_by_label("Search by name, username, e-mail or title").press_sequentially("Zhang")

    expect(page).to_have_url(re.compile(r"/people\?(.*&)?q=Zhang"))
    expect(person_row(page, "Zhang Min")).to_have_count(1)
    expect(person_row(page, "Liu Yang")).to_have_count(0)
    assert_same_document(page)


def test_people_search_works_as_a_plain_get_form_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    login(page, "hr", then="/people")
    page.get_by_label("Search by name, username, e-mail or title").fill("Zhang")
    with page.expect_navigation():
        page.get_by_role("search").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/people\?(.*&)?q=Zhang"))
    expect(person_row(page, "Zhang Min")).to_have_count(1)
    expect(person_row(page, "Liu Yang")).to_have_count(0)


# --- inline edits show their errors in place ----------------------------------------------------

def test_invalid_inline_edit_of_a_person_shows_the_error_in_the_row(page, console):
    console.allow(r"status of 422 .*/people/\d+/inline\)$")
    login(page, "hr", then="/people")
    mark_document(page)
    page.get_by_role("link", name="Edit Liu Yang").click()
    row = page.locator("#people-table tr.editing")
    name = row.get_by_label("Full name", exact=True)
    expect(name).to_have_value("Liu Yang")
    expect(name).to_be_focused()

    name.clear()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        row.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    expect(row.locator(".error")).to_have_text("This field is required.")
    expect(row.get_by_label("Full name", exact=True)).to_be_focused()
    check_accessibility(page)

    row.get_by_label("Full name", exact=True).fill("Liu Yang-Berg")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        row.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(page.locator("#people-table tr.editing")).to_have_count(0)
    expect(person_row(page, "Liu Yang-Berg").get_by_role(
        "link", name="Liu Yang-Berg", exact=True)).to_be_visible()
    assert_same_document(page)

    page.reload()
    expect(person_row(page, "Liu Yang-Berg")).to_have_count(1)


def test_invalid_inline_edit_of_a_department_shows_the_error_in_the_row(page, console):
    console.allow(r"status of 422 .*/departments/\d+/inline\)$")
    login(page, "hr", then="/departments")
    mark_document(page)
    page.get_by_role("link", name="Edit Engineering").click()
    row = page.locator("#departments-table tr.editing")
    head = row.get_by_label("Head", exact=True)
    expect(head).to_have_value("head")

    head.fill("nobody.here")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        row.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    expect(row.locator(".error")).to_have_text("No person has this username.")
    expect(row.get_by_label("Head", exact=True)).to_be_focused()

    row.get_by_label("Name", exact=True).fill("Product Engineering")
    row.get_by_label("Head", exact=True).fill("sam.okafor")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        row.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(page.locator("#departments-table tr.editing")).to_have_count(0)
    saved = department_row(page, "Product Engineering")
    expect(saved).to_contain_text("Sam Okafor")
    assert_same_document(page)


# --- an expired session -------------------------------------------------------------------------

def test_an_expired_session_sends_an_htmx_request_to_the_login_page(page, console):
    console.allow(r"status of 401 .*/people\?")
    login(page, "hr", then="/people")
    page.context.clear_cookies()

    page.get_by_label("Search by name, username, e-mail or title").press_sequentially("Zh")

    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("#people-results")).to_have_count(0)
    expect(page.locator("form[action$='/login'] [name=username]")).to_have_count(1)
    # Logging in again comes back to the page the request came from.
    form = page.locator("form[action$='/login']")
    form.locator("[name=username]").fill("hr")
    form.locator("[name=password]").fill("perfsite-demo")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people$"))


# --- cycle phases -----------------------------------------------------------------------------

def test_hr_moves_the_demo_cycle_forward_one_phase_and_back(page):
    login(page, "hr")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name="2027 H1").click()
    current = page.locator("ol.phases [aria-current=step]")
    expect(current).to_have_text("Planning")

    page.get_by_role("link", name="Advance to “In progress”").click()
    expect(page.locator("h1")).to_have_text("Move 2027 H1 to “In progress”?")
    check_accessibility(page)
    page.get_by_role("button", name="Yes, move to “In progress”").click()
    expect(current).to_have_text("In progress")
    expect(page.locator(".flash-success")).to_contain_text("2027 H1 is now in the")

    page.get_by_role("link", name="Back to “Planning”").click()
    page.get_by_role("button", name="Yes, move to “Planning”").click()
    expect(current).to_have_text("Planning")
