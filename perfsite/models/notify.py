"""Notifications where people work: chat channels, the outbox and people's preferences.

- NotifyChannel: a group robot HR configured for the whole company or one department
  (WeCom, DingTalk, Feishu/Lark, Slack, Teams). Its webhook address and signing secret are
  stored sealed (encrypted with a key derived from SECRET_KEY, perfsite/notify/crypto.py):
  a dump of the database alone does not reveal them.
- OutboxMessage: one message to deliver (to a channel or to a person by e-mail), written
  in the same transaction as the change that caused it; `flask deliver` sends it, retries
  it with backoff, and gives up at `give_up_at`. Its content is stored vendor-neutral
  (title, lines, a link) and in its reader's language; the vendor's body and signature are
  made when it is sent.
- NotificationPreference: how a person wants one kind of notification e-mailed (at once,
  in the daily digest, or not at all); without a row, the kind's default applies.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import Department, Person
from .types import UTCDateTime, utcnow


class ChannelKind(enum.StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    SLACK = "slack"
    TEAMS = "teams"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first attempt, or for the next one after a failure
    SENDING = "sending"  # claimed by a worker (until claim_expires_at)
    SENT = "sent"
    GIVEN_UP = "given_up"  # failed until give_up_at; HR may retry it
    HELD = "held"  # a personal notification waiting for the person's daily digest
    BUNDLED = "bundled"  # went out inside a digest (bundled_into_id)
    CANCELLED = "cancelled"  # its channel was switched off before it could be sent


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.QUEUED: _l("Waiting"),
    DeliveryStatus.SENDING: _l("Sending"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.GIVEN_UP: _l("Given up"),
    DeliveryStatus.HELD: _l("Held for the daily digest"),
    DeliveryStatus.BUNDLED: _l("Sent in a digest"),
    DeliveryStatus.CANCELLED: _l("Cancelled"),
}

# A delivery that failed and may be tried again.
RETRYABLE_STATES = (DeliveryStatus.QUEUED.value, DeliveryStatus.GIVEN_UP.value)


class NotifyChannel(db.Model):
    __tablename__ = "notify_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    # None: the whole company's channel.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    url_sealed: Mapped[str] = mapped_column(Text)
    # What the page shows of the address: scheme and host only (the rest is the key).
    url_hint: Mapped[str] = mapped_column(String(120), default="")
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_sealed)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_message_recipient_id_status", "recipient_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "email", or the kind of the group channel it goes to.
    transport: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("notify_channel.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # To whom, as it was when written: an e-mail address, or the channel's name.
    address: Mapped[str] = mapped_column(String(254), default="")
    # What about: a group kind (phase_opened, deadline, completion, test), "digest", or the
    # kind of the in-app notification it e-mails.
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    # Vendor-neutral content: {"lines": [...], "link": ..., "link_text": ...}; e-mails also
    # {"text": ..., "html": ...}.
    content: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # Daily notices are written once per channel and day, however often the job runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bundled_into_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))

    channel: Mapped[NotifyChannel | None] = relationship()
    recipient: Mapped[Person | None] = relationship()

    @hybrid_property
    def is_sending(self) -> bool:
        """Claimed by a worker (also a SQL expression)."""
        return self.status == DeliveryStatus.SENDING

    @is_sending.inplace.expression
    @classmethod
    def _is_sending_expression(cls):
        return cls.status == DeliveryStatus.SENDING.value

    @hybrid_property
    def is_held(self) -> bool:
        """Held for the person's daily digest (also a SQL expression)."""
        return self.status == DeliveryStatus.HELD

    @is_held.inplace.expression
    @classmethod
    def _is_held_expression(cls):
        return cls.status == DeliveryStatus.HELD.value

    @hybrid_property
    def is_sent(self) -> bool:
        """Arrived (also a SQL expression)."""
        return self.status == DeliveryStatus.SENT

    @is_sent.inplace.expression
    @classmethod
    def _is_sent_expression(cls):
        return cls.status == DeliveryStatus.SENT.value

    @hybrid_property
    def is_retryable(self) -> bool:
        """Failed and may be tried again: waiting for its next attempt, or given up (also a
        SQL expression)."""
        return self.status in RETRYABLE_STATES

    @is_retryable.inplace.expression
    @classmethod
    def _is_retryable_expression(cls):
        return cls.status.in_(RETRYABLE_STATES)

    @hybrid_method
    def is_due(self, now: datetime) -> bool:
        """A worker may claim it at `now`: queued and its next attempt is due, or claimed
        by a worker whose claim expired (also a SQL expression)."""
        return ((self.status == DeliveryStatus.QUEUED and self.next_attempt_at <= now)
                or (self.is_sending and self.claim_expires_at < now))

    @is_due.inplace.expression
    @classmethod
    def _is_due_expression(cls, now: datetime):
        return or_(and_(cls.status == DeliveryStatus.QUEUED.value, cls.next_attempt_at <= now),
                   and_(cls.status == DeliveryStatus.SENDING.value,
                        cls.claim_expires_at < now))

    @property
    def next_try(self) -> datetime | None:
        """When it is tried next: only while it waits."""
        return self.next_attempt_at if self.status == DeliveryStatus.QUEUED else None

    @property
    def status_label(self):
        return DELIVERY_STATUS_LABELS.get(DeliveryStatus(self.status), self.status)


class NotificationPreference(db.Model):
    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("person_id", "kind",
                                       name="uq_notification_preference_person_id_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))  # now / digest / off
