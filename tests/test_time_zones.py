"""Times in each person's time zone (issue 22): stored in UTC, shown in the reader's zone
(the site's, Asia/Shanghai, until they choose another on their account page), to the minute
and in their language; the zone named on interviews; <time datetime> in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update

from perfsite.audit.services import record
from perfsite.extensions import db
from perfsite.models import AuditEvent, Notification, Person
from perfsite.timezones import local_time

from .factories import attached

MOMENT = datetime(2026, 9, 15, 6, 0, 11, tzinfo=UTC)  # 14:00:11 in Beijing, 08:00:11 in Berlin


def _audited(app, company) -> None:
    with app.app_context():
        c = attached(company)
        event = record("person.updated", c.staff, actor=c.hr, before={"job_title": "a"},
                       after={"job_title": "b"})
        db.session.flush()
        db.session.execute(update(AuditEvent).where(AuditEvent.id == event.id)
                           .values(occurred_at=MOMENT))
        db.session.commit()


def test_the_audit_log_shows_the_readers_zone_without_seconds(app, company, login_as):
    _audited(app, company)
    hr = login_as("hr")
    page = hr.get("/audit").get_data(as_text=True)
    assert '<time datetime="2026-09-15T06:00:11Z">Sep 15, 2026, 2:00\u202fPM</time>' in page
    shown = re.findall(r"<time [^>]*>([^<]*)</time>", page)
    assert shown and not [text for text in shown if re.search(r"\d:\d\d:\d\d|UTC", text)]
    # HR in Berlin chooses their zone on their account page (the page's own form).
    answer = hr.form("/account", "account-form").submit({"time_zone": "Europe/Berlin"})
    assert answer.status_code == 302
    page = hr.get("/audit").get_data(as_text=True)
    assert '<time datetime="2026-09-15T06:00:11Z">Sep 15, 2026, 8:00\u202fAM</time>' in page
    with app.app_context():
        assert db.session.scalar(select(Person.time_zone).where(
            Person.id == company.hr.id)) == "Europe/Berlin"
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())
                                 .limit(1)) == "person.time_zone_changed"
    # In Chinese, in Beijing, as the site's zone again (the empty choice).
    assert hr.form("/account", "account-form").submit({"time_zone": ""}).status_code == 302
    hr.post_form("/language", {"locale": "zh_CN"})
    page = hr.get("/audit").get_data(as_text=True)
    assert "2026年9月15日 14:00</time>" in page


def test_a_time_zone_not_in_the_list_is_refused_beside_the_field(app, company, login_as):
    staff = login_as("staff")
    page = staff.get("/account").get_data(as_text=True)
    assert "The site&#39;s: China (Shanghai) Time" in page
    assert '<option value="Europe/Berlin">(UTC+01:00) Germany (Berlin) Time</option>' in page \
        or '<option value="Europe/Berlin">(UTC+02:00) Germany (Berlin) Time</option>' in page
    answer = staff.form("/account", "account-form").submit({"time_zone": "Mars/Olympus"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="time_zone-error"' in html and "Choose a time zone from the list." in html
    with app.app_context():
        assert db.session.get(Person, company.staff.id).time_zone is None


def test_only_the_person_sets_their_time_zone(app, company):
    from perfsite import permissions as can

    with app.app_context():
        c = attached(company)
        assert can.can_edit_account(c.staff, c.staff)
        refusal = can.can_edit_account(c.hr, c.staff)
        assert not refusal and "Only" in str(refusal.reason)


def test_formatting_names_the_zone_and_follows_the_language(app):
    from flask_babel import force_locale

    with app.test_request_context():
        assert local_time(MOMENT) == "Sep 15, 2026, 2:00\u202fPM"
        assert local_time(MOMENT, zone=True) == "Sep 15, 2026, 2:00\u202fPM (China Time)"
        assert local_time(MOMENT, zone=True, tz="UTC") == "Sep 15, 2026, 6:00\u202fAM (UTC)"
        with force_locale("zh_CN"):
            assert local_time(MOMENT, zone=True) == "2026年9月15日 14:00 (中国时间)"
        assert local_time(None) == ""


def test_a_notification_names_the_time_in_its_readers_zone(app, company, login_as):
    with app.app_context():
        c = attached(company)
        c.staff.time_zone = "Europe/Berlin"
        db.session.add(Notification(recipient_id=c.staff.id, kind="interview_scheduled",
                                    subject="", params={
                                        "actor": "Hana Head", "cycle": "2026 H2",
                                        "when": "2026-09-15 06:00 UTC",
                                        "when_at": MOMENT.isoformat()}))
        db.session.commit()
    page = login_as("staff").get("/coaching/notifications").get_data(as_text=True)
    assert "on Sep 15, 2026, 8:00\u202fAM (Central European Time)." in page
