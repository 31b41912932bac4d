"""Chat channels HR sets up: one group robot per company or department.

Rules:
- Only HR (permissions.can_manage_channels) adds, edits, switches channels and sends
  test messages.
- The webhook address and the signing secret are write-only: stored sealed
  (crypto.seal), never shown back (the page shows the address's host only), never in the
  audit log (which records that they changed, not what to). Left empty on the edit form,
  they stay as they were.
- The address is an http(s) URL; DingTalk and Feishu take a signing secret
  ("SEC…" for DingTalk), the others have none (WeCom's key is in the address).
- A test message goes through the outbox like any other, so the delivery log shows it.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from .. import permissions as can
from ..audit.services import changed, record, snapshot
from ..errors import Invalid
from ..extensions import db
from ..models import ChannelKind, Department, NotifyChannel
from ..rules import check_version, clean_text
from . import crypto, group
from .vendors import VENDORS

FIELDS = ("kind", "name", "department_id", "locale", "active")


def _hint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"[:120]


def _check(channel: NotifyChannel, url: str | None, secret: str | None) -> None:
    channel.name = clean_text(channel.name, field="name", limit=80, multiline=False,
                              required=_l("Give the channel a name."))
    if channel.kind not in VENDORS:
        raise Invalid(_l("Choose the chat service."), "kind")
    if channel.locale not in ("en", "zh_CN"):
        raise Invalid(_l("Choose a language."), "locale")
    if channel.department_id is not None and db.session.get(
            Department, channel.department_id) is None:
        raise Invalid(_l("Choose a department, or the whole company."), "department_id")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
            raise Invalid(_l("Paste the webhook address from the chat service: it starts "
                             "with https://."), "url")
    if secret and not VENDORS[channel.kind].signs:
        raise Invalid(_l("This chat service has no signing secret: leave it empty."),
                      "secret")
    if secret is not None and len(secret) > 200:
        raise Invalid(_l("At most %(max)d characters.", max=200), "secret")


def _audit_view(channel: NotifyChannel) -> dict:
    return {**snapshot(channel, FIELDS), "address": channel.url_hint,
            "signing_secret": "set" if channel.has_secret else "none"}


def create_channel(actor, *, kind: str, name: str, department_id: int | None, locale: str,
                   url: str, secret: str | None = None) -> NotifyChannel:
    """HR adds a channel; its address is required."""
    can.enforce(can.can_manage_channels(actor))
    url = (url or "").strip()
    secret = (secret or "").strip() or None
    if not url:
        raise Invalid(_l("Paste the webhook address from the chat service."), "url")
    channel = NotifyChannel(kind=kind, name=name, department_id=department_id, locale=locale,
                            active=True, url_sealed="")
    with db.session.no_autoflush:
        _check(channel, url, secret)
    channel.url_sealed = crypto.seal(url)
    channel.url_hint = _hint(url)
    channel.secret_sealed = crypto.seal(secret) if secret else None
    db.session.add(channel)
    db.session.flush()
    record("notify_channel.created", channel, actor=actor, after=_audit_view(channel))
    return channel


def update_channel(channel: NotifyChannel, actor, *, expected_version, url: str | None = None,
                   secret: str | None = None, remove_secret: bool = False, **fields) -> None:
    """HR edits a channel. An empty address or secret keeps the stored one."""
    can.enforce(can.can_manage_channels(actor))
    check_version(channel, expected_version)
    before = _audit_view(channel)
    for key, value in fields.items():
        if key not in FIELDS:
            raise KeyError(key)
        setattr(channel, key, value)
    url = (url or "").strip() or None
    secret = (secret or "").strip() or None
    with db.session.no_autoflush:
        _check(channel, url, secret)
    if url:
        channel.url_sealed = crypto.seal(url)
        channel.url_hint = _hint(url)
    if secret:
        channel.secret_sealed = crypto.seal(secret)
    elif remove_secret or not VENDORS[channel.kind].signs:
        channel.secret_sealed = None
    after = _audit_view(channel)
    if url:
        after["address"] = f"{channel.url_hint} (replaced)"
    if secret:
        after["signing_secret"] = "replaced"
    old, new = changed(before, after)
    if new:
        record("notify_channel.updated", channel, actor=actor, before=old, after=new)


def readable(channel: NotifyChannel) -> bool:
    """Whether the stored address (and secret) open with today's SECRET_KEY."""
    try:
        crypto.unseal(channel.url_sealed)
        if channel.secret_sealed:
            crypto.unseal(channel.secret_sealed)
    except crypto.Unreadable:
        return False
    return True


def send_test(channel: NotifyChannel, actor, now: datetime):
    """HR sends a test message to the channel (through the outbox)."""
    can.enforce(can.can_send_test(actor, channel))
    message = group.write(channel, "test", group.test_message, now)
    db.session.flush()
    record("notify_channel.tested", channel, actor=actor, after={"delivery": message.id})
    return message


KIND_CHOICES = [(kind.value, VENDORS[kind.value].label) for kind in ChannelKind]
