"""The dashboards on the demo company: each login sees its own, with charts; the filter
answers a fragment for htmx and a whole page as a link; the access rules of the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import Cycle

from .conftest import demo_login as login


@pytest.mark.parametrize("username, landing", [
    ("exec", "/dashboards/company"), ("hr", "/dashboards/hr"), ("head", "/dashboards/team"),
    ("staff", "/dashboards/me"), ("peer", "/dashboards/me")])
def test_each_demo_login_lands_on_its_dashboard_with_charts(app, demo, username, landing):
    client = login(app, username)
    response = client.get("/dashboards/")
    assert response.status_code == 302 and response.headers["Location"].endswith(landing)
    page = client.get(landing)
    assert page.status_code == 200, page.get_data(as_text=True)[-3000:]
    html = page.get_data(as_text=True)
    assert '<svg class="chart-svg"' in html
    assert re.search(r"<title id=\"[^\"]+-title\">", html)
    assert 'class="table chart-data"' in html


@pytest.mark.parametrize("username, path", [
    ("exec", "/dashboards/company"), ("hr", "/dashboards/hr"), ("head", "/dashboards/team"),
    ("staff", "/dashboards/me")])
def test_every_cycle_of_every_dashboard_renders(app, demo, username, path):
    client = login(app, username)
    for cycle_id in demo.values():
        page = client.get(f"{path}?cycle_id={cycle_id}")
        assert page.status_code == 200, page.get_data(as_text=True)[-3000:]
        fragment = client.get(f"{path}?cycle_id={cycle_id}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.get_data(as_text=True)


def test_the_chinese_dashboards_render(app, demo):
    client = login(app, "exec")
    client.post("/language", data={"locale": "zh_CN", "csrf_token": client.token("/")})
    html = client.get("/dashboards/company").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and '<svg class="chart-svg"' in html


def _ids(app, cycle_name: str, username: str) -> tuple[int, int]:
    from perfsite.models import Person

    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == cycle_name))
        person = db.session.scalar(select(Person).where(Person.username == username))
        return cycle.id, person.id


def test_the_printable_review_has_the_360_summary_and_the_formula(app, demo):
    cycle_id, person_id = _ids(app, "2026 H2", "staff")
    page = login(app, "head").get(f"/reports/{cycle_id}/people/{person_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="feedback-report-' in html
    assert '<details class="formula card" id="formula" open>' in html
    assert "My preparation (private)" not in html


def test_the_printable_review_waits_for_the_interviews_for_the_person(app, demo):
    cycle_id, person_id = _ids(app, "2026 H2", "staff")
    page = login(app, "staff").get(f"/reports/{cycle_id}/people/{person_id}")
    assert page.status_code == 200
    assert 'id="report-not-yet"' in page.get_data(as_text=True)
    cycle_id, person_id = _ids(app, "2026 H2", "sam.okafor")
    assert login(app, "staff").get(f"/reports/{cycle_id}/people/{person_id}").status_code == 403


def test_the_team_dashboard_counts_360_feedback_without_names(app, demo):
    cycle_id, _person = _ids(app, "2026 H2", "staff")
    html = login(app, "li.na").get(f"/dashboards/team?cycle_id={cycle_id}").get_data(
        as_text=True)
    assert 'id="feedback-completion"' in html or "No 360 feedback is requested" in html


def test_the_printable_review_in_chinese(app, demo):
    cycle_id, person_id = _ids(app, "2026 H1", "staff")
    client = login(app, "head")
    client.post("/language", data={"locale": "zh_CN", "csrf_token": client.token("/")})
    page = client.get(f"/reports/{cycle_id}/people/{person_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and 'id="report-interview"' in html
    assert 'href="/static/css/print.css" media="print"' in html


def test_the_company_dashboard_draws_a_few_departments_and_links_to_all(app, demo,
                                                                         monkeypatch):
    """Charts over every department draw the few needing most attention (issue 21: the
    answer stays small) and every department is one link away."""
    from html import unescape

    from perfsite.dashboards.services import figures

    monkeypatch.setattr(figures, "SHOWN_DEPARTMENTS", 1)
    client = login(app, "exec")

    def departments_in(html, chart):
        desc = re.search(rf'<desc id="{chart}-desc">([^<]*)</desc>', html).group(1)
        return [part for part in desc.split("; ") if part]

    seen = False
    for cycle_id in demo.values():
        html = client.get(f"/dashboards/company?cycle_id={cycle_id}").get_data(as_text=True)
        link = re.search(r'<p class="show-all"><a href="([^"]*contributions=[^"]*)">', html)
        if link is None:
            continue
        seen = True
        assert len(departments_in(html, "chart-contrib-0")) == 1
        expanded = client.get(unescape(link.group(1)).split("#")[0])
        assert expanded.status_code == 200
        assert len(departments_in(expanded.get_data(as_text=True), "chart-contrib-0")) > 1
        everyone = re.search(r'href="([^"]*completion=all[^"]*)"', html)
        assert everyone is not None
        assert len(departments_in(html, "chart-completion")) == 1
        whole = client.get(unescape(everyone.group(1)).split("#")[0]).get_data(as_text=True)
        assert len(departments_in(whole, "chart-completion")) > 1
    assert seen, "the demo has a target served by several departments"


def test_least_first_keeps_the_order_and_puts_nothing_yet_first():
    from perfsite.dashboards.services.figures import least_first

    rows = [("a", 5), ("b", None), ("c", 1), ("d", 9), ("e", 1)]
    assert least_first(rows, lambda r: r[1], 3) == [("b", None), ("c", 1), ("e", 1)]
    assert least_first(rows, lambda r: r[1], None) == rows
    assert least_first(rows, lambda r: r[1], 9) == rows
