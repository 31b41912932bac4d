"""The outbox: every message to deliver is a row, written in the transaction of the change
that caused it, and delivered by a worker (`flask deliver`) after that commits.

Rules:
- Written with the change, or not at all: a rolled-back change sends nothing, and a
  committed one is never lost, whatever happens to the chat service or the mail server.
- Delivered at least once, and once in practice: a worker claims rows by writing its
  claim token on them in one UPDATE (on PostgreSQL over `FOR UPDATE SKIP LOCKED`, so that
  workers never wait for each other or take the same row), then reads back what it won.
  A claim lasts `LEASE`; a worker that died mid-send leaves its rows to be claimed again
  when the lease ends. The result is written only while the claim is still its own.
- Nothing is held open while sending: the claim commits before any network call, and the
  result is written after it (SQLite's one writer is never kept waiting on a chat service).
- A failure is retried with exponential backoff (NOTIFY_RETRY_BASE_SECONDS doubling up to
  NOTIFY_RETRY_MAX_SECONDS) until `give_up_at` (NOTIFY_GIVE_UP_HOURS after it was
  written); then it is given up, and shown so on HR's delivery log, where "retry now"
  queues it again with a new deadline. A chat service that is down delays messages.
- A message for a channel switched off is cancelled, not sent.
- Every moment comes from `clock` (injectable: tests move time on without waiting), but
  signatures use the real time: the chat services compare it with theirs.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import DeliveryStatus, OutboxMessage, utcnow
from . import crypto
from .email import send_email
from .vendors import DeliveryFailed, GroupMessage, post, vendor_for

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 10


def worker_name() -> str:
    """Who claims: host, process and a random part (two workers of one process differ)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def _config(name: str) -> float:
    return float(current_app.config[name])


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: base, 2 x base, 4 x base… capped."""
    base, cap = _config("NOTIFY_RETRY_BASE_SECONDS"), _config("NOTIFY_RETRY_MAX_SECONDS")
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def give_up_after() -> timedelta:
    return timedelta(hours=_config("NOTIFY_GIVE_UP_HOURS"))


def add(now: datetime, *, held: bool = False, **fields) -> OutboxMessage:
    """Write one message to deliver (the caller's transaction commits it with the change)."""
    message = OutboxMessage(
        status=(DeliveryStatus.HELD if held else DeliveryStatus.QUEUED).value,
        created_at=now, next_attempt_at=None if held else now,
        give_up_at=None if held else now + give_up_after(), **fields)
    db.session.add(message)
    return message


def already_written(dedupe_key: str) -> bool:
    return db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


# Claiming ------------------------------------------------------------------------------------

def _due(now: datetime):
    return OutboxMessage.is_due(now)


def claim(now: datetime, token: str, *, limit: int = BATCH,
          ids: list[int] | None = None) -> list[int]:
    """Claim up to `limit` due messages (or only those of `ids`) for `token`, and commit.

    One UPDATE over the due rows: a write first, so that SQLite takes its write lock at
    once (no read lock to upgrade, no "database is locked"), and on PostgreSQL rows another
    worker holds are skipped (FOR UPDATE SKIP LOCKED), not waited for. The rows this
    claim won are read back."""
    due = select(OutboxMessage.id).where(_due(now))
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    due = due.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    claiming = update(OutboxMessage).values(
        status=DeliveryStatus.SENDING.value, claimed_by=token, claim_expires_at=now + LEASE)
    if db.engine.dialect.name == "postgresql":
        # Locked once, in a materialized CTE: as `id IN (subquery)`, PostgreSQL may run
        # the LIMITed, locking subquery again for each row and claim far more than asked.
        locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        claiming = claiming.where(OutboxMessage.id == locked.c.id)
    else:
        claiming = claiming.where(OutboxMessage.id.in_(due), _due(now))
    db.session.execute(claiming.execution_options(synchronize_session=False))
    won = list(db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.claimed_by == token,
                                       OutboxMessage.is_sending)
        .order_by(OutboxMessage.id)))
    db.session.commit()
    return won


# Sending -------------------------------------------------------------------------------------

def _prepare(message: OutboxMessage) -> Callable[[], None]:
    """What sending this message takes, read from the database into plain values (so that
    nothing is read, and no transaction is open, while it is sent)."""
    if message.transport == "email":
        content = dict(message.content or {})
        subject, to = message.title, message.address
        return lambda: send_email(subject, content.get("text", ""), content.get("html"), to)
    channel = message.channel
    if channel is None or not channel.active:
        raise _Cancel()
    try:
        url = crypto.unseal(channel.url_sealed)
        secret = crypto.unseal(channel.secret_sealed) if channel.secret_sealed else None
    except crypto.Unreadable:
        raise DeliveryFailed("the stored address or secret cannot be read (SECRET_KEY "
                             "changed?): paste them again on the channel's page") from None
    vendor = vendor_for(channel.kind, channel.locale)
    group_message = GroupMessage.from_content(message.title, message.content or {})
    timeout = _config("NOTIFY_HTTP_TIMEOUT")

    def send() -> None:
        # Signed with the real time, when it goes (the services allow an hour's difference).
        request = vendor.request(group_message, url, secret, datetime.now(UTC))
        vendor.check(*post(request, timeout))

    return send


class _Cancel(Exception):
    pass


def _finish(message_id: int, token: str, **values) -> bool:
    """Write the result, if the claim is still this worker's; commit."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == token,
               OutboxMessage.is_sending)
        .values(claimed_by=None, claim_expires_at=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(result.rowcount)


def send_claimed(message_id: int, token: str, clock: Callable[[], datetime]) -> str:
    """Send one message this worker claimed; returns its new status."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.claimed_by != token:
        db.session.commit()
        return "lost"
    attempts = message.attempts + 1
    give_up_at = message.give_up_at
    try:
        send = _prepare(message)
    except _Cancel:
        db.session.commit()
        _finish(message_id, token, status=DeliveryStatus.CANCELLED.value,
                last_error="the channel was switched off", last_attempt_at=clock())
        return DeliveryStatus.CANCELLED.value
    except DeliveryFailed as failure:
        send, error = None, str(failure)
    db.session.commit()  # nothing stays open while the message travels
    if send is not None:
        try:
            send()
            error = None
        except DeliveryFailed as failure:
            error = str(failure)
        except Exception as unexpected:  # a bug must not stop the worker or lose the row
            log.exception("delivering outbox message %s", message_id)
            error = f"{type(unexpected).__name__}: {unexpected}"[:300]
    now = clock()
    if error is None:
        _finish(message_id, token, status=DeliveryStatus.SENT.value, attempts=attempts,
                sent_at=now, last_attempt_at=now, next_attempt_at=None)
        return DeliveryStatus.SENT.value
    gave_up = give_up_at is not None and now >= give_up_at
    status = DeliveryStatus.GIVEN_UP if gave_up else DeliveryStatus.QUEUED
    _finish(message_id, token, status=status.value, attempts=attempts, last_attempt_at=now,
            last_error=error[:500],
            next_attempt_at=None if gave_up else now + backoff(attempts))
    return status.value


def deliver_due(clock: Callable[[], datetime] = utcnow, token: str | None = None, *,
                limit: int = BATCH, ids: list[int] | None = None) -> dict[str, int]:
    """Claim and send one batch of due messages; how many ended in each status."""
    token = token or worker_name()
    done: dict[str, int] = {}
    for message_id in claim(clock(), token, limit=limit, ids=ids):
        status = send_claimed(message_id, token, clock)
        done[status] = done.get(status, 0) + 1
    return done


def deliver_all_due(clock: Callable[[], datetime] = utcnow, token: str | None = None,
                    ) -> dict[str, int]:
    """Batch after batch until nothing is due now (what `flask deliver --once` does)."""
    token = token or worker_name()
    total: dict[str, int] = {}
    while True:
        done = deliver_due(clock, token)
        if not done:
            return total
        for status, count in done.items():
            total[status] = total.get(status, 0) + count


def deliver_now(message_id: int, clock: Callable[[], datetime] = utcnow) -> str | None:
    """Try one message at once (a test message, "retry now"): its status afterwards, or
    None when a worker has it already."""
    done = deliver_due(clock, ids=[message_id], limit=1)
    return next(iter(done), None)


# HR's "retry now" ----------------------------------------------------------------------------

def retry(message: OutboxMessage, actor, now: datetime) -> None:
    """Queue a failed delivery again, due now, with a new deadline to give up."""
    from .. import permissions as can
    from ..audit.services import record

    can.enforce(can.can_retry_delivery(actor, message))
    before = {"status": message.status, "attempts": message.attempts}
    message.status = DeliveryStatus.QUEUED.value
    message.next_attempt_at = now
    message.give_up_at = now + give_up_after()
    record("delivery.retried", message, actor=actor, label=message.title, before=before,
           after={"status": message.status})
