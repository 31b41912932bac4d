"""E-mail through a real local SMTP server (aiosmtpd): notifications as they happen and the
daily digest, in English and Chinese, with plural forms, a link per item, the HTML part,
the site's name and a link to change preferences; and each person's choices."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from perfsite.coaching.services import obstacles
from perfsite.errors import Invalid, NotAllowed
from perfsite.extensions import db
from perfsite.models import DeliveryStatus, OutboxMessage, ReminderLog
from perfsite.notify import outbox, personal, preferences

from .coaching_factories import NOW, running_cycle

SITE = "https://perf.example.com"


def _deliver():
    db.session.commit()
    return outbox.deliver_all_due()


def _started(c, smtp_server):
    """The running cycle, and the e-mails its making sent (plans approved) gone."""
    run = running_cycle(c)
    _deliver()
    smtp_server.messages.clear()
    return run


def _subject(message) -> str:
    # A long encoded Subject is folded onto the next line: unfolded, it starts with a space.
    return str(message["Subject"]).strip()


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def _resolved_obstacle(c, run):
    obstacle = obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    db.session.flush()
    obstacles.resolve(obstacle, c.head, resolution="Done", expected_version=obstacle.version,
                      now=NOW)
    return obstacle


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_notification_is_e_mailed_at_once_in_the_person_s_language(app, org_chart,
                                                                    smtp_server, locale):
    c = org_chart
    c.staff.locale = locale
    run = _started(c, smtp_server)
    obstacle = _resolved_obstacle(c, run)
    assert _deliver() == {"sent": 1}

    (message,) = smtp_server.messages
    assert message["To"] == "staff@example.com"
    assert message["From"] == "perfsite@example.com"
    text, html = _parts(message)
    link = f"{SITE}/coaching/obstacles/{obstacle.id}"
    preferences_link = f"{SITE}/notify/preferences"
    if locale == "en":
        assert _subject(message) == "perfsite: Zhang Min resolved your obstacle on " \
                                     "“Portal features”."
        assert text.startswith("Hello Liu Yang,")
        assert f"Open it: {link}" in text
        assert f"Change what perfsite e-mails you: {preferences_link}" in text
    else:
        assert _subject(message).startswith("perfsite：Zhang Min 解决了")
        assert text.startswith("Liu Yang，您好")
        assert link in text and preferences_link in text
    assert f'<a href="{link}">' in html and f'<a href="{preferences_link}">' in html
    assert f'<a href="{SITE}">perfsite</a>' in html


@pytest.mark.parametrize(("locale", "one", "two", "obstacle"), [
    ("en", "perfsite: 1 thing to do", "perfsite: 2 things to do",
     "Obstacle from Liu Yang on “Portal features”"),
    ("zh_CN", "perfsite：1 项待办", "perfsite：2 项待办", "Liu Yang 提出的障碍：“Portal features”"),
])
def test_the_daily_digest_counts_with_the_right_plural_and_links_each_item(
        app, org_chart, smtp_server, locale, one, two, obstacle):
    c = org_chart
    for person in (c.staff, c.head):
        person.locale = locale
    run = _started(c, smtp_server)
    obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    by_person = {m["To"]: m for m in smtp_server.messages}
    head_mail = by_person["head@example.com"]  # the obstacle to act on
    assert _subject(head_mail) == one
    text, html = _parts(head_mail)
    assert obstacle in text and obstacle in html
    obstacle_link = f"{SITE}/coaching/obstacles/"
    assert obstacle_link in text and f'<a href="{obstacle_link}' in html
    assert f"{SITE}/notify/preferences" in text and f"{SITE}/notify/preferences" in html

    staff_mail = by_person["staff@example.com"]  # two KPIs to check in on
    assert _subject(staff_mail) == two
    assert _parts(staff_mail)[0].count(f"{SITE}/coaching/kpis/") == 2

    # The next day: only what is new, again in the right form.
    obstacles.raise_obstacle(run.colleague_kpi, c.colleague, description="Stuck", now=NOW)
    obstacles.raise_obstacle(run.other, c.staff, description="Again", now=NOW)
    db.session.commit()
    smtp_server.messages.clear()
    app.test_cli_runner().invoke(args=["send-reminders"])
    assert [(m["To"], _subject(m)) for m in smtp_server.messages] == [
        ("head@example.com", two)]


def test_digest_mode_holds_notifications_for_the_daily_e_mail(app, org_chart, smtp_server):
    c = org_chart
    preferences.save(c.staff, c.staff, {"coaching": preferences.DIGEST, "todos": "off"})
    run = _started(c, smtp_server)
    _resolved_obstacle(c, run)
    assert _deliver() == {}  # held, not sent
    held = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == DeliveryStatus.HELD.value)).all()
    assert [m.recipient_id for m in held] == [c.staff.id]

    personal.queue_digests(NOW, log=lambda _line: None)
    assert _deliver() == {"sent": 2}  # staff's (updates only) and head's (to-dos)
    staff_mail = next(m for m in smtp_server.messages if m["To"] == "staff@example.com")
    assert _subject(staff_mail) == "perfsite: 1 update"
    text, _html = _parts(staff_mail)
    assert "Zhang Min resolved your obstacle" in text and "Check in on" not in text
    db.session.refresh(held[0])
    assert held[0].status == "bundled" and held[0].bundled_into_id is not None
    # the to-dos staff switched off were not logged as sent either
    assert not db.session.scalar(select(func.count(ReminderLog.id)).where(
        ReminderLog.person_id == c.staff.id))


def test_off_means_no_e_mail_and_some_kinds_cannot_be_switched_off(app, org_chart,
                                                                  smtp_server):
    c = org_chart
    preferences.save(c.staff, c.staff, {"coaching": preferences.OFF})
    run = _started(c, smtp_server)
    _resolved_obstacle(c, run)
    assert _deliver() == {} and smtp_server.messages == []
    with pytest.raises(Invalid) as refused:
        preferences.save(c.staff, c.staff, {"reopened": preferences.OFF})
    assert "reopened" in refused.value.errors
    with pytest.raises(NotAllowed):
        preferences.save(c.staff, c.head, {"coaching": preferences.NOW})


def test_without_a_mail_server_nothing_is_queued(app, org_chart):
    c = org_chart
    run = running_cycle(c)
    _resolved_obstacle(c, run)
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_mail_server_that_is_down_delays_the_e_mail(app, org_chart, smtp_server,
                                                     monkeypatch):
    c = org_chart
    run = _started(c, smtp_server)
    port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    _resolved_obstacle(c, run)
    assert _deliver() == {"queued": 1}
    (message,) = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == DeliveryStatus.QUEUED.value)).all()
    assert message.last_error.startswith("e-mail: ")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    outbox.retry(message, c.hr, NOW)
    assert _deliver() == {"sent": 1} and len(smtp_server.messages) == 1
