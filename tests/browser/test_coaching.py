"""The coaching journey in Chromium: `staff` checks in with an obstacle, `head` finds it in
their to-dos, resolves it and approves a resource request, `staff` sees both outcomes and
the to-do badge drops — in English, then (shorter) in Chinese.

Runs on the demo company: "2026 H2" has its check-ins and is now in review (check-ins there
are late updates; perfsite.demo.seed_coaching), with an open resource request ("Accessibility
testing course") raised by `staff` for `head`.
"""

from __future__ import annotations

import re

from .conftest import check_accessibility, expect, login, logout

KPI = "On-call incidents closed within a day"


def badge(page):
    return page.locator("#todo-count")


def mark_document(page) -> None:
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page navigated"


def open_kpi(page, title: str = KPI) -> None:
    page.goto("/coaching/")
    with page.expect_navigation():
        page.get_by_role("link", name=title, exact=True).click()


def switch_to_chinese(page) -> None:
    if page.locator("html").get_attribute("lang") == "zh-CN":
        return  # chosen earlier in this browser session
    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_staff_checks_in_with_an_obstacle_and_head_resolves_it_and_approves_a_request(
        page, console):
    console.allow(r"status of 422 .*/coaching/kpis/\d+/check-ins\)$")  # the empty value
    # staff: a KPI without a check-in is on the to-do list (and the plan of 2027 H1, and the
    # self-review of 2026 H2)
    login(page, "staff")
    expect(badge(page)).to_have_text(re.compile(r"^\d+$"))
    start = int(badge(page).inner_text())  # with the KPI due; other areas add their to-dos
    open_kpi(page)
    check_accessibility(page)
    mark_document(page)
    form = page.locator("#checkin-form")
    form.get_by_label("Value reached so far").fill("")
    form.get_by_role("button", name="Post check-in").click()
    expect(page.locator("#actual_value-error")).to_have_text("Give the value reached so far.")
    form = page.locator("#checkin-form")
    form.get_by_label("Value reached so far").fill("70")
    form.get_by_label("At risk").check()
    form.get_by_label("Note").fill("Two pages of alerts a night.")
    form.get_by_text("Report an obstacle").click()
    form.get_by_label("Obstacle (optional)").fill("Pager alerts have no runbooks.")
    form.get_by_role("button", name="Post check-in").click()
    newest = page.locator("#timeline article").first
    expect(newest).to_contain_text("Two pages of alerts a night.")
    expect(newest).to_contain_text("At risk")
    expect(page.locator("#checkin-form").get_by_label("Note")).to_have_value("")
    expect(badge(page)).to_have_text(str(start - 1))  # the check-in is no longer due
    assert_same_document(page)
    logout(page)

    # head: the obstacle is in the to-dos; resolve it inline
    login(page, "head")
    todo = page.locator("#home-todos").get_by_role("link", name=re.compile(
        "Obstacle from Liu Yang on “" + KPI))
    expect(todo).to_be_visible()
    before = int(badge(page).inner_text())
    with page.expect_navigation():
        todo.click()
    check_accessibility(page)
    mark_document(page)
    page.get_by_label("Resolution").fill("Wrote runbooks for the top five alerts.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#obstacle-card")).to_contain_text("Resolved")
    expect(badge(page)).to_have_text(str(before - 1))
    assert_same_document(page)

    # head: approve the accessibility course
    page.goto("/")
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name="Decide Liu Yang's request: Accessibility testing course").click()
    mark_document(page)
    page.get_by_label("Comment").fill("Booked for next month.")
    # the form offers the department's allocation first (perfsite/talent); this course is
    # paid from the training budget, not from a strategy target's allocation
    page.get_by_label("Draws on the allocation").select_option(
        label="No allocation (nothing counted)")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-card")).to_contain_text("Approved")
    expect(badge(page)).to_have_text(str(before - 2))
    assert_same_document(page)
    logout(page)

    # staff: both outcomes are in the notifications; reading them drops the badge
    login(page, "staff")
    expect(badge(page)).to_have_text(re.compile(r"^\d+$"))
    unread = int(badge(page).inner_text())  # the check-in done; "read your notifications"
    assert unread >= start - 1
    page.goto("/coaching/notifications")
    check_accessibility(page)
    notifications = page.locator("#notifications")
    expect(notifications).to_contain_text(f"Zhang Min resolved your obstacle on “{KPI}”.")
    expect(notifications).to_contain_text(
        "Zhang Min approved your request “Accessibility testing course”.")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark all as read").click()
    expect(badge(page)).to_have_text(str(unread - 1))
    page.goto("/coaching/")
    expect(page.locator("main")).to_contain_text("Wrote runbooks")


def test_the_coaching_pages_switch_to_chinese(page):
    login(page, "staff")
    switch_to_chinese(page)
    open_kpi(page, "Portal pages shipped")
    expect(page.locator("#checkin-heading")).to_have_text("发布进展更新")
    form = page.locator("#checkin-form")
    form.get_by_label("目前达到的数值").fill("9")
    form.get_by_text("报告障碍").click()
    form.get_by_label("障碍（可选）").fill("测试环境不可用。")
    form.get_by_role("button", name="提交进展更新").click()
    expect(page.locator("#timeline article").first).to_contain_text("正常推进")
    check_accessibility(page)
    logout(page)

    login(page, "head")
    switch_to_chinese(page)
    with page.expect_navigation():
        page.locator("#home-todos").get_by_role(
            "link", name=re.compile("Liu Yang 提出的障碍")).first.click()
    page.get_by_label("解决办法").fill("已申请新的测试环境。")
    page.get_by_role("button", name="解决").click()
    expect(page.locator("#obstacle-card")).to_contain_text("已解决")
