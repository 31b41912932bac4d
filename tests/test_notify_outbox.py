"""The outbox and the chat services: what each receives, signatures, retries with backoff,
giving up, a service that is down, and workers that never send a message twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading

import pytest
from sqlalchemy import func, select

from perfsite.extensions import db
from perfsite.models import DeliveryStatus, OutboxMessage
from perfsite.notify import channels, crypto, group, outbox, worker
from perfsite.notify.vendors import GroupMessage, dingtalk_sign, feishu_sign

from .factories import hr_admin
from .notify_support import DINGTALK_SECRET, Clock, add_channel

KINDS = ("wecom", "dingtalk", "feishu", "slack", "teams")


def _test_message(receiver, kind, clock=None, **settings):
    channel = add_channel(receiver, kind, hr_admin(), **settings)
    message = channels.send_test(channel, hr_admin(), (clock or Clock())())
    db.session.commit()
    return channel, message


def test_the_published_signature_algorithms():
    """DingTalk keys the HMAC with the secret and signs timestamp + "\n" + secret; Feishu
    keys it with timestamp + "\n" + secret and signs nothing. Easy to mix up."""
    secret, timestamp = "this is secret", 1599360473
    string = f"{timestamp}\n{secret}".encode()
    assert dingtalk_sign(secret, timestamp) == base64.b64encode(
        hmac.new(secret.encode(), string, hashlib.sha256).digest()).decode()
    assert feishu_sign(secret, timestamp) == base64.b64encode(
        hmac.new(string, b"", hashlib.sha256).digest()).decode()
    assert dingtalk_sign(secret, timestamp) != feishu_sign(secret, timestamp)


@pytest.mark.parametrize("kind", KINDS)
def test_each_service_receives_its_own_payload_and_takes_it(app_ctx, receiver, kind):
    channel, message = _test_message(receiver, kind)
    assert outbox.deliver_all_due() == {"sent": 1}
    (got,) = receiver.received
    assert got.accepted, got.reason
    body = got.body
    title = "Test message from perfsite"
    if kind == "wecom":
        assert body["msgtype"] == "markdown"
        assert body["markdown"]["content"].startswith(f"**{title}**\n")
    elif kind == "dingtalk":
        assert set(got.query) == {"access_token", "timestamp", "sign"}
        assert body["msgtype"] == "markdown" and body["markdown"]["title"] == title
        assert body["markdown"]["text"].startswith(f"#### {title}\n\n")
    elif kind == "feishu":
        assert set(body) == {"timestamp", "sign", "msg_type", "content"}
        assert body["msg_type"] == "post"
        post = body["content"]["post"]["en_us"]
        assert post["title"] == title
        assert post["content"][0] == [{"tag": "text", "text": "If you can read this, "
                                       "perfsite can post to this group."}]
    elif kind == "slack":
        assert body["text"].startswith(title)
        assert body["blocks"][0]["type"] == "section"
        assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    else:
        assert body["type"] == "message"
        (attachment,) = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == title
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 1 and message.last_error == ""


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_a_wrong_secret_is_refused_by_the_service_and_said_on_the_log(app_ctx, receiver, kind):
    channel = channels.create_channel(hr_admin(), kind=kind, name="Wrong", department_id=None,
                                      locale="zh_CN", url=receiver.url(kind),
                                      secret="SECnot-the-one")
    message = channels.send_test(channel, hr_admin(), Clock()())
    db.session.commit()
    assert outbox.deliver_all_due() == {"queued": 1}
    assert receiver.refused()[0].reason == "sign"
    db.session.refresh(message)
    assert message.status == "queued" and message.attempts == 1
    assert ("errcode 310000" if kind == "dingtalk" else "code 19021") in message.last_error
    assert receiver.url(kind).split("?")[-1] not in message.last_error


def test_a_long_message_is_cut_to_what_the_service_takes(app_ctx, receiver):
    channel = add_channel(receiver, "wecom", hr_admin())
    lines = [f"Department number {i}: 12 of 15 self-reviews submitted" for i in range(300)]
    group_message = GroupMessage("A long one", lines)
    outbox.add(Clock()(), transport="wecom", channel_id=channel.id, address=channel.name,
               kind="completion", title=group_message.title,
               content={"lines": lines, "link": None, "link_text": ""})
    db.session.commit()
    assert outbox.deliver_all_due() == {"sent": 1}
    content = receiver.accepted("wecom")[0].body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    shown = content.splitlines()
    assert shown[1] == lines[0] and shown[-1].startswith("… (+")
    assert int(shown[-1][4:-1]) == 300 - (len(shown) - 2)


def test_500_twice_then_200_arrives_once_after_backing_off(app_ctx, receiver):
    clock = Clock()
    _channel, message = _test_message(receiver, "feishu", clock)
    receiver.fail_next = 2

    assert outbox.deliver_all_due(clock) == {"queued": 1}
    db.session.refresh(message)
    assert "HTTP 500" in message.last_error
    assert message.next_attempt_at == clock() + outbox.backoff(1)
    assert outbox.deliver_all_due(clock) == {}  # not due yet: nothing is tried

    clock.advance(seconds=30)
    assert outbox.deliver_all_due(clock) == {"queued": 1}
    db.session.refresh(message)
    assert message.next_attempt_at == clock() + outbox.backoff(2)
    assert outbox.backoff(2).total_seconds() == 60

    clock.advance(seconds=60)
    assert outbox.deliver_all_due(clock) == {"sent": 1}
    clock.advance(hours=2)
    assert outbox.deliver_all_due(clock) == {}
    assert len(receiver.accepted()) == 1 and len(receiver.received) == 3
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 3)


def test_a_delivery_failing_past_the_deadline_is_given_up_and_can_be_retried(app_ctx,
                                                                            receiver):
    clock = Clock()
    _channel, message = _test_message(receiver, "slack", clock)
    receiver.fail_next = 1000
    while outbox.deliver_all_due(clock) != {"given_up": 1}:
        clock.advance(seconds=outbox.backoff(message.attempts + 1).total_seconds())
        db.session.refresh(message)
        assert clock() <= message.give_up_at + outbox.backoff(99)
    db.session.refresh(message)
    assert message.status == "given_up" and message.attempts > 5
    assert outbox.backoff(message.attempts).total_seconds() == 1800  # capped

    receiver.fail_next = 0
    outbox.retry(message, hr_admin(), clock())
    db.session.commit()
    assert outbox.deliver_now(message.id, clock) == "sent"
    assert len(receiver.accepted()) == 1


def test_a_service_down_for_a_while_delays_every_message_and_loses_none(app_ctx, receiver):
    clock = Clock()
    made = [add_channel(receiver, kind, hr_admin()) for kind in KINDS]
    for channel in made:
        for _ in range(2):
            channels.send_test(channel, hr_admin(), clock())
    db.session.commit()
    receiver.stop()  # the services are down

    assert outbox.deliver_all_due(clock) == {"queued": 10}
    errors = set(db.session.scalars(select(OutboxMessage.last_error)))
    assert errors == {"no answer: connection refused"}
    clock.advance(minutes=10)
    outbox.deliver_all_due(clock)  # still down

    receiver.start()  # back, on the same address
    clock.advance(hours=1)
    assert outbox.deliver_all_due(clock) == {"sent": 10}
    clock.advance(hours=1)
    assert outbox.deliver_all_due(clock) == {}
    assert sorted(r.vendor for r in receiver.accepted()) == sorted(KINDS * 2)
    assert len(receiver.received) == 10


def test_nothing_is_written_when_the_change_is_rolled_back(app_ctx, receiver):
    channel = add_channel(receiver, "wecom", hr_admin())
    db.session.commit()
    channels.send_test(channel, hr_admin(), Clock()())
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_switched_off_channel_gets_nothing(app_ctx, receiver):
    channel, message = _test_message(receiver, "teams")
    channels.update_channel(channel, hr_admin(), expected_version=channel.version,
                            active=False)
    db.session.commit()
    assert outbox.deliver_all_due() == {"cancelled": 1}
    assert receiver.received == []


def test_a_changed_secret_key_stops_sending_and_says_why(app, app_ctx, receiver, monkeypatch):
    _channel, message = _test_message(receiver, "dingtalk")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another key")
    assert outbox.deliver_all_due() == {"queued": 1}
    db.session.refresh(message)
    assert "SECRET_KEY" in message.last_error and receiver.received == []


def test_secrets_are_sealed_in_the_database(app_ctx, receiver):
    channel = add_channel(receiver, "dingtalk", hr_admin())
    db.session.commit()
    dump = json.dumps([list(row) for row in db.session.execute(
        select(*db.metadata.tables["notify_channel"].columns)).all()], default=str)
    dump += json.dumps([list(row) for row in db.session.execute(
        select(*db.metadata.tables["audit_event"].columns)).all()], default=str)
    for secret in (DINGTALK_SECRET, receiver.url("dingtalk"), "access_token"):
        assert secret not in dump
    assert crypto.unseal(channel.secret_sealed) == DINGTALK_SECRET
    assert channel.url_hint == f"http://127.0.0.1:{receiver.port}/…"


def test_group_messages_are_written_in_the_channel_language(app_ctx, receiver):
    add_channel(receiver, "feishu", hr_admin(), locale="zh_CN")
    from .factories import make_cycle

    cycle = make_cycle("2027 H1")
    group.announce_phase(cycle, hr_admin())
    db.session.commit()
    outbox.deliver_all_due()
    post = receiver.accepted("feishu")[0].body["content"]["post"]
    assert list(post) == ["zh_cn"]
    assert post["zh_cn"]["title"].startswith("2027 H1：")


def _deliver_in_thread(app, token, results, start):
    with app.app_context():
        total = {}
        start.wait(timeout=10)
        for _ in range(50):
            done = outbox.deliver_due(token=token, limit=3)
            for status, count in done.items():
                total[status] = total.get(status, 0) + count
            if not done and not db.session.scalar(select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == DeliveryStatus.QUEUED.value)):
                break
        results[token] = total
        db.session.remove()


def test_two_workers_at_once_send_each_message_once(app, receiver):
    """PostgreSQL: two workers claim side by side (SKIP LOCKED) and each message arrives
    once. SQLite takes one worker: a second `flask deliver` refuses to start."""
    with app.app_context():
        made = [add_channel(receiver, kind, hr_admin()) for kind in ("slack", "teams")]
        for channel in made:
            for _ in range(15):
                channels.send_test(channel, hr_admin(), Clock()())
        db.session.commit()
        postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        results: dict = {}
        receiver.latency = 0.005  # so that the workers overlap
        start = threading.Barrier(2)
        threads = [threading.Thread(target=_deliver_in_thread,
                                    args=(app, name, results, start))
                   for name in ("worker-a", "worker-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(r.get("sent", 0) for r in results.values()) == 30
        assert all(r.get("sent") for r in results.values()), results  # both took some
    else:
        with app.app_context(), worker.single_worker_on_sqlite():
            second = app.test_cli_runner().invoke(args=["deliver", "--once"])
            assert second.exit_code != 0 and "one worker" in second.output
        with app.app_context():
            assert outbox.deliver_all_due() == {"sent": 30}
    assert len(receiver.received) == 30 == len(receiver.accepted())
    bodies = [r.raw for r in receiver.received]
    assert len(bodies) == 30
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status == "sent")) == 30


def test_flask_deliver_once_sends_what_is_due(app, receiver):
    with app.app_context():
        _test_message(receiver, "wecom")
    result = app.test_cli_runner().invoke(args=["deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert len(receiver.accepted("wecom")) == 1


def test_a_claim_takes_no_more_than_asked(app_ctx, receiver):
    channel = add_channel(receiver, "slack", hr_admin())
    for _ in range(7):
        channels.send_test(channel, hr_admin(), Clock()())
    db.session.commit()
    first = outbox.claim(Clock()(), "one", limit=3)
    second = outbox.claim(Clock()(), "two", limit=10)
    assert len(first) == 3 and len(second) == 4 and not set(first) & set(second)
    assert outbox.claim(Clock()(), "three", limit=10) == []
