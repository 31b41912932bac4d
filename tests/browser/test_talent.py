"""Resource allocation and the talent review in Chromium, in English and in Chinese, on a
phone (390 × 844), with an axe check on every page.

- The executive allocates more budget to "Open the platform to partners" (the running
  "2026 H2"), splits it to Engineering, and decides Sam Okafor's open request against it:
  beyond what is left they are asked for a reason, then the request shows what it draws on.
- HR runs the talent review of "2026 H2" once it is in its feedback interviews: groups the
  ratings, the head assesses Liu Yang's potential, HR moves her with a reason; the grid,
  the names beside it and the move show; the department filter narrows the closed
  "2026 H1" grid to Engineering.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from .conftest import check_accessibility, expect, login, logout
from .test_interviews import _to_interviews
from .test_planning import chinese

PHONE = {"width": 390, "height": 844}
LANGUAGES = ["en", "zh_CN"]


def words(message: str, language: str) -> str:
    return chinese(message) if language == "zh_CN" else message


def choose_language(page, language: str) -> None:
    """Switch to Chinese unless the page is in Chinese already (the choice outlives a
    logout in the browser's session)."""
    if language == "zh_CN" and not (page.locator("html").get_attribute("lang") or "") \
            .startswith("zh"):
        with page.expect_navigation():
            page.locator(".language-switch button[value=zh_CN]").click()
        expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))


def leave(page) -> None:
    """Log out once the page's own requests (the to-do badge) are done: a badge still being
    counted while the logout writes would meet a locked SQLite database."""
    page.wait_for_load_state("networkidle")
    logout(page)


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} scrolls sideways: {width}px"
    check_accessibility(page)


def _ids(app) -> dict:
    from perfsite.extensions import db
    from perfsite.models import Cycle, Person, ResourceRequest

    with app.app_context():
        sam = db.session.scalar(select(Person.id).where(Person.username == "sam.okafor"))
        return {
            "request": db.session.scalar(select(ResourceRequest.id).where(
                ResourceRequest.raised_by_id == sam, ResourceRequest.status == "open")),
            "running": db.session.scalar(select(Cycle.id).where(Cycle.name == "2026 H2")),
            "closed": db.session.scalar(select(Cycle.id).where(Cycle.name == "2026 H1")),
            "staff": db.session.scalar(select(Person.id).where(Person.username == "staff")),
        }


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_executive_allocates_and_decides_a_request_against_it(open_page, live_server,
                                                                   console, language):
    # the approval beyond the share without a reason: answered 422, swapped in by htmx
    console.allow(r"status of 422 .*/coaching/requests/\d+/decide\)$")
    ids = _ids(live_server.app)
    page = open_page(viewport=PHONE)
    login(page, "exec")
    choose_language(page, language)
    page.goto("/talent/")
    fits_the_phone(page)
    with page.expect_navigation():
        page.locator("section", has_text="2026 H2").get_by_role(
            "link", name=words("Resource allocation", language)).click()
    expect(page.locator("h1")).to_contain_text("2026 H2")
    expect(page.locator("#allocation-chart")).to_be_visible()
    fits_the_phone(page)
    with page.expect_navigation():
        page.locator("a.button[href$='/allocation']").first.click()
    fits_the_phone(page)

    # The target gets 600,000; Engineering 450,000 of it.
    page.locator("#budget").fill("600000.00")
    with page.expect_navigation():
        page.locator("#allocation-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.locator("#split-form input[name^=budget-]").first.fill("450000.00")
    with page.expect_navigation():
        page.locator("#split-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    fits_the_phone(page)

    # Sam Okafor's request: 500,000 is 50,000 more than Engineering's share has left.
    page.goto(f"/coaching/requests/{ids['request']}")
    expect(page.locator("#drawable-allocations")).to_contain_text("450,000.00")
    fits_the_phone(page)
    page.locator("#amount").fill("500000")
    page.locator("button[name=decision][value=approve]").click()  # htmx swaps the card
    expect(page.locator("#over_allocation_reason-error")).to_contain_text(
        words("Give a reason: it is kept with the change.", language))
    expect(page.locator("#amount")).to_have_value("500000")  # what was typed is kept
    page.locator("#over_allocation_reason").fill("Partner launch moved forward a quarter.")
    page.locator("button[name=decision][value=approve]").click()
    expect(page.locator("#request-allocation")).to_contain_text("500,000.00")
    fits_the_phone(page)
    leave(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_runs_a_talent_review(open_page, live_server, language):
    _to_interviews(live_server.app)
    ids = _ids(live_server.app)
    page = open_page(viewport=PHONE)

    # HR groups the ratings: B joins the high column.
    login(page, "hr")
    choose_language(page, language)
    page.goto(f"/talent/cycles/{ids['running']}/settings")
    fits_the_phone(page)
    page.locator("#column-B").select_option("high")
    page.locator("#column-A").select_option("high")
    with page.expect_navigation():
        page.locator("#talent-settings-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#unplaced")).to_contain_text("Liu Yang")
    leave(page)

    # The head assesses Liu Yang's potential, reading the guidance.
    login(page, "head")
    choose_language(page, language)
    person = f"/talent/cycles/{ids['running']}/people/{ids['staff']}"
    page.goto(person)
    expect(page.locator("dl.guidance")).to_be_visible()
    fits_the_phone(page)
    page.locator("#potential").select_option("medium")
    page.locator("#comment").fill("Picks up new areas quickly.")
    with page.expect_navigation():
        page.locator("#potential-form button[type=submit]").click()
    expect(page.locator("#person-box")).to_contain_text(words("High performer", language))
    leave(page)

    # HR moves her with a reason; the grid, the names beside it and the move show.
    login(page, "hr")
    choose_language(page, language)
    page.goto(person)
    page.locator("#to_box").select_option("high/high")
    page.locator("#reason").fill("Led the partner portal launch.")
    with page.expect_navigation():
        page.locator("#move-form button[type=submit]").click()
    expect(page.locator("#person-box")).to_contain_text(words("Star", language))
    page.goto(f"/talent/cycles/{ids['running']}/review")
    expect(page.locator("#talent-grid svg")).to_be_visible()
    expect(page.locator("#box-high-high")).to_contain_text("Liu Yang")
    expect(page.locator("#talent-moves")).to_contain_text("Led the partner portal launch.")
    fits_the_phone(page)

    # The closed cycle's grid, narrowed to Engineering without JavaScript's help.
    page.goto(f"/talent/cycles/{ids['closed']}/review")
    page.locator("#department_id").select_option(label="Engineering")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    expect(page.locator("#grid-people")).to_contain_text("Sam Okafor")
    expect(page.locator("#grid-people")).not_to_contain_text("Tom Reyes")
    fits_the_phone(page)
