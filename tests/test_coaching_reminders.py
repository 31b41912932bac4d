"""`flask send-reminders`: one digest per person, never twice for the same to-do."""

from __future__ import annotations

from sqlalchemy import func, select

from perfsite.coaching.services import obstacles
from perfsite.coaching.services.reminders import pending_digests
from perfsite.extensions import db
from perfsite.models import ReminderLog

from .coaching_factories import NOW, running_cycle


class FakeSMTP:
    """Stands in for smtplib.SMTP and keeps what was sent."""

    sent: list = []

    def __init__(self, host, port):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def _mail(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("perfsite.coaching.services.reminders.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setitem(app.config, "MAIL_PORT", 2525)


def test_without_mail_server_nothing_is_sent_and_the_command_succeeds(app, org_chart,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "MAIL_SERVER is not configured" in result.output


def test_one_digest_per_person_and_a_second_run_sends_nothing_new(app, org_chart, monkeypatch):
    c = org_chart
    run = running_cycle(c)
    obstacles.raise_obstacle(run.kpi, c.staff, description="Blocked", now=NOW)
    db.session.commit()
    _mail(app, monkeypatch)

    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    recipients = sorted(m["To"] for m in FakeSMTP.sent)
    # staff and colleague: check-ins due; head: the obstacle to act on
    assert recipients == ["colleague@example.com", "head@example.com", "staff@example.com"]
    head_mail = next(m for m in FakeSMTP.sent if m["To"] == "head@example.com")
    assert "Obstacle from Liu Yang on “Portal features”" in head_mail.get_content()
    assert "staff <staff@example.com>: check_in_due:" in result.output
    logged = db.session.scalar(select(func.count(ReminderLog.id)))

    FakeSMTP.sent = []
    again = app.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0 and FakeSMTP.sent == []
    assert "Nothing new" in again.output
    assert db.session.scalar(select(func.count(ReminderLog.id))) == logged


def test_a_new_item_is_sent_after_earlier_ones(app, org_chart, monkeypatch):
    c = org_chart
    run = running_cycle(c)
    db.session.commit()
    _mail(app, monkeypatch)
    app.test_cli_runner().invoke(args=["send-reminders"])
    obstacles.raise_obstacle(run.kpi, c.staff, description="New trouble", now=NOW)
    db.session.commit()
    (digest,) = pending_digests(NOW)
    assert digest.person.id == c.head.id and [t.kind for t in digest.items] == ["obstacle_act"]
