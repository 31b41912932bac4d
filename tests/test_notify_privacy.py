"""A whole cycle of the demo company with every kind of channel configured: the groups hear
of phases, deadlines and completion, and never a score, a rating, a comment, 360 content or
anybody's name."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, Text, select

from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.interviews.services import closing
from perfsite.models import Cycle, Department, OutboxMessage, Person, Phase, ReviewResult
from perfsite.notify import group, outbox

from .notify_support import Clock, add_channel

# Tables whose words a group may hear (names of cycles and departments), or that hold no
# one's words (the machinery, the people table, checked by name below).
NOT_SECRET = {"department", "cycle", "notify_channel", "outbox_message", "form_submission",
              "login_session", "person", "person_role", "org_import", "reminder_log",
              "notification_preference", "audit_event", "notification", "alembic_version"}

# Every line a group message may carry (English channels), and every title.
ALLOWED = [re.compile(p) for p in (
    r"^[\w ]+: [\w ]+ has begun$", r"^[\w ]+ ends in \d+ days?$", r"^[\w ]+: where we stand$",
    r"^The cycle ends on \d{4}-\d\d-\d\d\.$",
    r"^[\w ]+: \d+ of \d+ (plans? approved|self-reviews? submitted|"
    r"manager reviews? submitted)$",
    r"^(Agree your goals|Check in on your KPIs|Write your self-review|HR and executives "
    r"calibrate|Heads hold the feedback interviews|The cycle is closed)",
)]


def _secrets() -> tuple[set[str], list[str]]:
    """Everyone's words in the database (comments, answers, notes…) and everyone's name."""
    words: set[str] = set()
    for table in db.metadata.sorted_tables:
        if table.name in NOT_SECRET:
            continue
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            words |= {v.strip() for v in row if isinstance(v, str) and len(v.strip()) >= 12
                      and " " in v.strip()}
    names = list(db.session.scalars(select(Person.display_name)))
    return words, names


def _move(cycle: Cycle, to: Phase, hr, when: datetime) -> None:
    if to is Phase.CLOSED:
        closing.close(cycle, hr, reason="Demo: closing the cycle", now=when)
    else:
        cycles.move_phase(cycle, hr, to)
    db.session.commit()


def _daily(cycle: Cycle, app, monkeypatch) -> None:
    """The daily job three days before the cycle's end, counted that day too."""
    day = datetime.combine(cycle.end_date - timedelta(days=3), datetime.min.time(), UTC)
    monkeypatch.setitem(app.config, "NOTIFY_COMPLETION_WEEKDAY", day.weekday())
    group.daily_notices(day)
    db.session.commit()


def test_a_whole_cycle_tells_groups_nothing_private(app, demo, receiver, monkeypatch):
    with app.app_context():
        hr = db.session.scalar(select(Person).where(Person.username == "hr"))
        engineering = db.session.scalar(select(Department.id).where(
            Department.name == "Engineering"))
        for kind in ("wecom", "dingtalk", "feishu", "slack", "teams"):
            add_channel(receiver, kind, hr, name=f"Company on {kind}")
        add_channel(receiver, "feishu", hr, name="Engineering on Feishu",
                    department_id=engineering, locale="zh_CN")
        add_channel(receiver, "dingtalk", hr, name="Engineering on DingTalk",
                    department_id=engineering)
        db.session.commit()

        clock = Clock()
        # 2027 H1 from planning to review, 2026 H2 from review to closed: every phase.
        planning = db.session.get(Cycle, demo["2027 H1"])
        running = db.session.get(Cycle, demo["2026 H2"])
        _daily(planning, app, monkeypatch)  # plans approved
        _daily(running, app, monkeypatch)  # self and manager reviews submitted
        for to in (Phase.IN_PROGRESS, Phase.REVIEW):
            _move(planning, to, hr, clock())
            _daily(planning, app, monkeypatch)
        for to in (Phase.CALIBRATION, Phase.INTERVIEWS, Phase.CLOSED):
            _move(running, to, hr, clock())
        # The daily notices were written on their (future) days: deliver as of the last.
        clock.advance(days=400)
        done = outbox.deliver_all_due(clock)

        messages = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel_id.is_not(None))).all()
        kinds = {m.kind for m in messages}
        assert kinds == {"phase_opened", "deadline", "completion"}
        assert done == {"sent": len(messages)}
        assert len(receiver.accepted()) == len(messages) and not receiver.refused()
        # completion was told, by department, in words and counts
        lines = [line for m in messages for line in m.content["lines"]]
        assert any(re.match(r"^Engineering: \d+ of \d+ self-reviews submitted$", line)
                   for line in lines)
        assert any(re.match(r"^The company: \d+ of \d+ plans approved$", line)
                   for line in lines)

        words, names = _secrets()
        assert db.session.scalar(select(ReviewResult.id)) is not None  # scores exist
        scores = {str(v) for r in db.session.scalars(select(ReviewResult)) for v in (
            r.final_score, r.goal_score, r.competency_score) if v is not None}
        assert len(words) > 20 and names and scores
        everything = [(m.channel.locale, m.title, m.content["lines"]) for m in messages]
        heard = json.dumps(everything, ensure_ascii=False) + "".join(
            r.raw.decode() for r in receiver.received)
        for secret in sorted(words) + names + sorted(scores):
            assert secret not in heard, f"a group heard {secret!r}"
        for locale, title, lines in everything:
            if locale == "en":
                for text in [title, *lines]:
                    assert any(p.match(text) for p in ALLOWED), text
