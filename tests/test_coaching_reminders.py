"""`flask send-reminders`: one digest per person, never twice for the same to-do."""

from __future__ import annotations

from sqlalchemy import func, select

from perfsite.coaching.services import obstacles
from perfsite.coaching.services.reminders import pending_digests
from perfsite.extensions import db
from perfsite.models import ReminderLog

from .coaching_factories import NOW, running_cycle


def test_without_mail_server_nothing_is_sent_and_the_command_succeeds(app, org_chart,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "MAIL_SERVER is not configured" in result.output


def test_one_digest_per_person_and_a_second_run_sends_nothing_new(app, org_chart,
                                                                   smtp_server):
    c = org_chart
    run = running_cycle(c)
    obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    db.session.commit()
    digests = lambda: [m for m in smtp_server.messages  # noqa: E731
                       if "to do" in str(m["Subject"])]

    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    recipients = sorted(m["To"] for m in digests())
    # staff and colleague: check-ins due; head: the obstacle to act on
    assert recipients == ["colleague@example.com", "head@example.com", "staff@example.com"]
    head_mail = next(m for m in digests() if m["To"] == "head@example.com")
    assert "Obstacle from Liu Yang on “Portal features”" in head_mail.get_body(
        ("plain",)).get_content()
    assert "staff <staff@example.com>: check_in_due:" in result.output
    logged = db.session.scalar(select(func.count(ReminderLog.id)))

    smtp_server.messages.clear()
    again = app.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0 and smtp_server.messages == []
    assert "Nothing new" in again.output
    assert db.session.scalar(select(func.count(ReminderLog.id))) == logged


def test_a_new_item_is_sent_after_earlier_ones(app, org_chart, smtp_server):
    c = org_chart
    run = running_cycle(c)
    db.session.commit()
    app.test_cli_runner().invoke(args=["send-reminders"])
    obstacles.raise_obstacle(run.kpi, c.staff, description="New trouble", now=NOW)
    db.session.commit()
    (digest,) = pending_digests(NOW)
    assert digest.person.id == c.head.id and [t.kind for t in digest.items] == ["obstacle_act"]
