"""In-app notifications.

Rules:
- Resolving an obstacle or deciding (or escalating) a request notifies the person who
  raised it; escalating also notifies the executive it went to; a coaching comment
  notifies the person coached.
- A notification stores its kind and parameters, never English text: it is put into
  words when shown, in the reader's language.
- Only the recipient reads or marks their notifications.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ...extensions import db
from ...models import Notification, Person

# kind -> the sentence, with the stored params as placeholders.
MESSAGES = {
    "obstacle_in_hand": _l("%(actor)s is handling your obstacle on “%(kpi)s”."),
    "obstacle_resolved": _l("%(actor)s resolved your obstacle on “%(kpi)s”."),
    "request_approved": _l("%(actor)s approved your request “%(what)s”."),
    "request_declined": _l("%(actor)s declined your request “%(what)s”."),
    "request_escalated": _l("%(actor)s escalated your request “%(what)s” to %(executive)s."),
    "request_escalated_to_you": _l("%(actor)s escalated the request “%(what)s” to you for "
                                   "a decision."),
    "coaching_comment": _l("%(actor)s commented on your check-in on “%(kpi)s”."),
}


def notify(recipient: Person, kind: str, subject: str = "", **params) -> Notification:
    """Tell `recipient` about `subject` ("obstacle:12", "request:3", "check_in:7")."""
    if kind not in MESSAGES:
        raise KeyError(kind)
    notification = Notification(recipient_id=recipient.id, kind=kind, params=params,
                                subject=subject)
    db.session.add(notification)
    return notification


def text_of(notification: Notification) -> str:
    """The notification in words, in the current language."""
    message = MESSAGES.get(notification.kind)
    if message is None:
        return notification.kind
    params = {k: v for k, v in (notification.params or {}).items()}
    try:
        return str(message) % params
    except (KeyError, TypeError, ValueError):  # a kind whose params changed since
        return str(message).split("%(")[0]


SUBJECT_LINKS = {
    "obstacle": ("coaching.obstacle", "obstacle_id"),
    "request": ("coaching.request_detail", "request_id"),
    "kpi": ("coaching.kpi", "kpi_id"),
}


def link_of(notification: Notification) -> str | None:
    """Where the notification leads (needs a request context); None when nowhere."""
    from flask import url_for

    kind, _sep, ident = (notification.subject or "").partition(":")
    if kind not in SUBJECT_LINKS or not ident.isdigit():
        return None
    endpoint, arg = SUBJECT_LINKS[kind]
    return url_for(endpoint, **{arg: int(ident)})


def unread_count(person: Person) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == person.id, Notification.read_at.is_(None))) or 0


def for_person(person: Person):
    """A select() of `person`'s notifications, unread first, newest first."""
    return (select(Notification).where(Notification.recipient_id == person.id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                      Notification.id.desc()))


def mark_read(notification: Notification, person: Person, now: datetime) -> None:
    from .common import NotAllowed

    if notification.recipient_id != person.id:
        raise NotAllowed(_l("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = now


def mark_all_read(person: Person, now: datetime) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == person.id, Notification.read_at.is_(None))
        .values(read_at=now))
    return result.rowcount or 0
