"""The dashboards in Chromium: each demo login sees its own with charts drawn; changing the
cycle swaps the dashboard's body without reloading the page (and the URL follows); an axe
check on every dashboard, in English and in Chinese, at desktop and phone width."""

from __future__ import annotations

import re

import pytest

from .conftest import check_accessibility, expect, login
from .test_planning import assert_same_document, mark_document

LANDINGS = {"exec": ("/dashboards/company", "Company dashboard"),
            "hr": ("/dashboards/hr", "HR dashboard"),
            "head": ("/dashboards/team", "My departments' dashboard"),
            "staff": ("/dashboards/me", "My dashboard"),
            "peer": ("/dashboards/me", "My dashboard")}


def charts_drawn(page) -> None:
    chart = page.locator("figure.chart svg[role=img]").first
    expect(chart).to_be_visible()
    assert page.locator("figure.chart svg[role=img] rect.chart-bar, "
                        "figure.chart svg[role=img] circle.chart-point").count() > 0
    assert page.locator("figure.chart table.chart-data").count() > 0


@pytest.mark.parametrize("username", list(LANDINGS))
def test_each_demo_login_sees_its_dashboard_with_charts(page, username):
    path, heading = LANDINGS[username]
    login(page, username)
    page.goto("/dashboards/")
    expect(page).to_have_url(re.compile(re.escape(path)))
    expect(page.locator("h1")).to_have_text(heading)
    charts_drawn(page)
    check_accessibility(page)


@pytest.mark.parametrize("username", ["exec", "hr", "head", "staff"])
def test_changing_the_cycle_updates_the_charts_without_a_reload(page, username):
    path, _heading = LANDINGS[username]
    login(page, username)
    page.goto(path)
    mark_document(page)
    body = page.locator("#dashboard-body")
    before = body.inner_html()
    select = page.get_by_label("Cycle", exact=True)
    chosen = select.locator("option", has_text="2026 H1").get_attribute("value")
    with page.expect_response(lambda r: "cycle_id=" in r.url
                              and r.request.headers.get("hx-request") == "true"):
        select.select_option(chosen)
    expect(page).to_have_url(re.compile(rf"cycle_id={chosen}"))
    expect(body.locator(".dashboard-context, #dash-my-kpis h2").first).to_contain_text("2026 H1")
    assert body.inner_html() != before
    assert_same_document(page)
    charts_drawn(page)
    check_accessibility(page)


def test_the_dashboards_in_chinese_at_phone_width(page):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "exec")
    page.goto("/dashboards/company")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    for path in ("/dashboards/company", "/dashboards/team"):
        page.goto(path)
        charts_drawn(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"{path} is {width}px wide at 390px"
        check_accessibility(page)


def test_the_printable_review_prints_without_the_site_around_it(page):
    login(page, "staff")
    page.goto("/dashboards/me")
    with page.expect_navigation():
        page.locator("#dash-history").get_by_role("link", name="Printable review").click()
    expect(page.locator("h1")).to_contain_text("Performance review of Liu Yang · 2026 H1")
    expect(page.locator("#report-scores")).to_contain_text("Final score")
    expect(page.locator("#formula")).to_have_attribute("open", "")
    expect(page.locator("#report-360")).to_contain_text("360 feedback")
    expect(page.locator("#report-interview")).to_contain_text("Improvement plan")
    check_accessibility(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#report-goals table")).to_be_visible()
    assert page.pdf(format="A4")[:4] == b"%PDF"
