"""HR's chat channel pages, the delivery log and the e-mail preferences, through the pages'
own forms. The acceptance journey: HR adds a DingTalk and a Feishu robot, sends each a test
message, the receiver verifies their signatures, and the delivery log shows both."""

from __future__ import annotations

from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import AuditEvent, NotificationPreference, NotifyChannel, OutboxMessage

from .notify_support import DINGTALK_SECRET, DINGTALK_TOKEN, FEISHU_SECRET


def _add(hr, receiver, kind, name, secret=None, **extra):
    form = hr.form("/notify/channels/new", "channel-form")
    assert form.fields["url"] == "" and "secret" in form.fields
    return form.submit({"kind": kind, "name": name, "locale": "zh_CN",
                        "url": receiver.url(kind), "secret": secret or "", **extra})


def test_hr_adds_dingtalk_and_feishu_tests_them_and_reads_the_delivery_log(app, company,
                                                                         login_as, receiver):
    hr = login_as("hr")
    assert _add(hr, receiver, "dingtalk", "DingTalk all hands", DINGTALK_SECRET
                ).status_code == 302
    assert _add(hr, receiver, "feishu", "Feishu Engineering", FEISHU_SECRET,
                department_id=str(company.eng.id)).status_code == 302

    page = hr.get("/notify/channels").get_data(as_text=True)
    assert "DingTalk all hands" in page and "Feishu Engineering" in page
    for name in ("DingTalk all hands", "Feishu Engineering"):
        with app.app_context():
            channel_id = db.session.scalar(select(NotifyChannel.id).where(
                NotifyChannel.name == name))
        answer = hr.form("/notify/channels", f"/notify/channels/{channel_id}/test").submit(
            follow_redirects=True)
        assert answer.status_code == 200
        assert "The message arrived." in answer.get_data(as_text=True)

    dingtalk, feishu = receiver.accepted("dingtalk"), receiver.accepted("feishu")
    assert len(dingtalk) == 1 and len(feishu) == 1 and not receiver.refused()
    assert dingtalk[0].query["sign"] and feishu[0].body["sign"]  # both verified, signed
    assert feishu[0].body["content"]["post"]["zh_cn"]["title"]

    log = hr.get("/notify/deliveries").get_data(as_text=True)
    assert log.count('class="delivery-status status-sent">Sent<') == 2
    for name in ("DingTalk all hands", "Feishu Engineering"):
        assert name in log
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage.status)).all()
    assert sent == ["sent", "sent"]


def test_secrets_are_write_only_and_kept_out_of_the_audit_log(app, company, login_as,
                                                              receiver):
    hr = login_as("hr")
    _add(hr, receiver, "dingtalk", "Company", DINGTALK_SECRET)
    with app.app_context():
        channel = db.session.scalar(select(NotifyChannel))
        channel_id, version = channel.id, channel.version
    pages = [hr.get(path).get_data(as_text=True) for path in (
        "/notify/channels", f"/notify/channels/{channel_id}/edit", "/audit/")]
    for page in pages:
        for secret in (DINGTALK_SECRET, DINGTALK_TOKEN, receiver.url("dingtalk")):
            assert secret not in page
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert "notify_channel.created" in {e.action for e in events}
        for event in events:
            assert DINGTALK_SECRET not in str(event.after) and DINGTALK_TOKEN not in str(
                event.after)

    # Saved with the fields left empty: address and secret stay as they were.
    form = hr.form(f"/notify/channels/{channel_id}/edit", "channel-form")
    assert form.fields["url"] == "" and form.fields["secret"] == ""
    assert form.submit({"name": "Everyone"}).status_code == 302
    answer = hr.form("/notify/channels", f"/notify/channels/{channel_id}/test").submit(
        follow_redirects=True)
    assert "The message arrived." in answer.get_data(as_text=True)
    assert len(receiver.accepted("dingtalk")) == 1
    with app.app_context():
        assert db.session.get(NotifyChannel, channel_id).version == version + 1


def test_a_bad_address_is_refused_beside_its_field(app, company, login_as, receiver):
    hr = login_as("hr")
    answer = hr.form("/notify/channels/new", "channel-form").submit(
        {"kind": "wecom", "name": "WeCom", "url": "ftp://example.com/x", "secret": ""})
    assert answer.status_code == 422
    assert 'id="url-error"' in answer.get_data(as_text=True)
    answer = hr.form("/notify/channels/new", "channel-form").submit(
        {"kind": "slack", "name": "Slack", "url": receiver.url("slack"), "secret": "nope"})
    assert answer.status_code == 422 and 'id="secret-error"' in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(NotifyChannel.id)) is None


def test_retry_now_from_the_delivery_log(app, company, login_as, receiver):
    hr = login_as("hr")
    _add(hr, receiver, "wecom", "WeCom")
    receiver.fail_next = 1
    with app.app_context():
        channel_id = db.session.scalar(select(NotifyChannel.id))
    answer = hr.form("/notify/channels", f"/notify/channels/{channel_id}/test").submit(
        follow_redirects=True)
    assert "It did not arrive: HTTP 500" in answer.get_data(as_text=True)
    with app.app_context():
        message_id = db.session.scalar(select(OutboxMessage.id))
    log = hr.get("/notify/deliveries?status=failed").get_data(as_text=True)
    assert f"delivery-{message_id}" in log and "HTTP 500" in log
    answer = hr.form("/notify/deliveries?status=failed",
                     f"/notify/deliveries/{message_id}/retry").submit(follow_redirects=True)
    assert "The message arrived." in answer.get_data(as_text=True)
    assert len(receiver.accepted("wecom")) == 1
    # Sent: nothing to retry any more.
    assert f"/notify/deliveries/{message_id}/retry" not in hr.get(
        "/notify/deliveries").get_data(as_text=True)


def test_each_person_chooses_what_they_are_e_mailed(app, company, login_as):
    staff = login_as("staff")
    form = staff.form("/notify/preferences", "preferences-form")
    assert form.fields["coaching"] == "now" and form.fields["todos"] == "digest"
    assert form.submit({"coaching": "off", "interviews": "digest"}).status_code == 302
    with app.app_context():
        chosen = dict(db.session.execute(select(NotificationPreference.kind,
                                                NotificationPreference.mode).where(
            NotificationPreference.person_id == company.staff.id)).all())
    assert chosen["coaching"] == "off" and chosen["interviews"] == "digest"
    assert staff.form("/notify/preferences", "preferences-form").fields["coaching"] == "off"

    # "Your review was reopened" offers no "not at all", and a crafted one is refused.
    page = staff.get("/notify/preferences").get_data(as_text=True)
    assert 'name="reopened" type="radio" value="off"' not in page
    answer = form.submit({"reopened": "off"})
    assert answer.status_code == 422
    # Another person's choices are their own.
    with app.app_context():
        assert not db.session.scalar(select(NotificationPreference.id).where(
            NotificationPreference.person_id == company.head.id))
