"""Times in Chromium (issue 22): `head` opens their account from their name, chooses Berlin's
time zone, and reads the interview with `staff` in it, the zone named; HR cancels nothing
here. Then `staff`, in Chinese at phone width, reads the same interview in the site's zone
(Asia/Shanghai) and downloads its calendar file. An axe check on every page.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from .conftest import check_accessibility, expect, login


def _interview_id(app) -> int:
    from perfsite.extensions import db
    from perfsite.models import Interview, Person

    with app.app_context():
        return db.session.scalar(select(Interview.id).join(
            Person, Person.id == Interview.person_id).where(Person.username == "staff"))


def test_a_head_reads_the_interview_in_their_own_time_zone(page, live_server):
    interview = _interview_id(live_server.app)
    login(page, "head")
    with page.expect_navigation():
        page.locator("a.whoami").click()
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("#time-now")).to_contain_text("(China Time)")
    check_accessibility(page)
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash").first).to_contain_text("Germany (Berlin) Time")
    expect(page.locator("#time-now")).to_contain_text("(Central European Time)")
    page.goto(f"/interviews/{interview}")
    when = page.locator("#interview-summary time").first
    expect(when).to_contain_text("Central European Time")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when.get_attribute("datetime"))
    assert not re.search(r"\d:\d\d:\d\d", when.inner_text())  # no seconds
    check_accessibility(page)


def test_staff_read_it_in_chinese_at_phone_width(open_page, live_server):
    interview = _interview_id(live_server.app)
    page = open_page(viewport={"width": 390, "height": 844})
    login(page, "staff")
    page.goto(f"/interviews/{interview}")
    with page.expect_navigation():
        page.locator(".language-switch button").first.click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))
    expect(page.locator("#interview-summary time").first).to_contain_text("中国时间")
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways: {width}px"
    with page.expect_download() as download:
        page.locator("a[href$='/calendar.ics']").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert f"UID:interview-{interview}@" in text and "METHOD:REQUEST" in text
    page.goto("/account")
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the account page scrolls sideways: {width}px"
