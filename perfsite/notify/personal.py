"""Messages to one person: by e-mail today; a chat app's per-user channel can be added later
as another transport beside "email" (a personal transport has `enqueue`-time wording in
the person's language, like e-mail, and its own `send` in outbox._prepare).

Rules:
- Every in-app notification (coaching/services/notifications.notify) is offered here in
  the same transaction: e-mailed at once, held for the person's daily digest, or not at
  all, as the person chose for its kind (preferences.py).
- The daily digest (`queue_digests`, run by `flask send-reminders`) gathers, per person,
  their to-dos not e-mailed before (coaching/services/reminders.pending_digests, read
  through the to-do service) and the notifications held for it, into one e-mail.
- Nothing is e-mailed to an inactive person, a person without an address, or when the
  site has no mail server (the in-app notification stays).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import DeliveryStatus, OutboxMessage, Person, ReminderLog, utcnow
from . import outbox, preferences
from .email import Item, compose_digest, compose_one, in_language, locale_of, mail_enabled
from .links import site_link


def _wants_mail(person: Person) -> bool:
    return bool(person.active and person.email) and mail_enabled()


def on_notification(recipient: Person, notification) -> OutboxMessage | None:
    """Offer a new in-app notification to the person's e-mail, as they chose."""
    from ..coaching.services import notifications

    if not _wants_mail(recipient):
        return None
    mode = preferences.mode_for(recipient, notification.kind)
    if mode == preferences.OFF:
        return None
    from flask_babel import force_locale

    from ..timezones import zone_of

    with force_locale(locale_of(recipient)):
        text = notifications.text_of(notification, zone=zone_of(recipient))
        target = notifications.target_of(notification)
        item = Item(text, site_link(target[0], **target[1]) if target else None)
    now = utcnow()
    content = {"lines": [item.text], "link": item.link}
    if mode == preferences.DIGEST:
        return outbox.add(now, held=True, transport="email", recipient_id=recipient.id,
                          address=recipient.email, kind=notification.kind,
                          title=item.text[:200], content=content)
    composed = in_language(recipient, compose_one, item)
    return outbox.add(now, transport="email", recipient_id=recipient.id,
                      address=recipient.email, kind=notification.kind,
                      title=composed.subject[:200],
                      content={**content, "text": composed.text, "html": composed.html})


def queue_digests(now: datetime, log=print) -> int:
    """Write each person's daily digest to the outbox; how many were written."""
    from ..coaching.services.reminders import pending_digests

    if not mail_enabled():
        return 0
    held: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.is_held)
            .order_by(OutboxMessage.id)):
        held[message.recipient_id].append(message)
    todo_digests = {d.person.id: d for d in pending_digests(now)}
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_(set(held) | set(todo_digests)),
                             Person.active.is_(True), Person.email != ""))}
    todo_modes = preferences.digest_modes("todos", people)
    written = 0
    for person_id, person in sorted(people.items()):
        todos = (todo_digests[person_id].items if person_id in todo_digests
                 and todo_modes[person_id] == preferences.DIGEST else [])
        updates = held.get(person_id, [])
        if not todos and not updates:
            continue
        with _locale(person):
            todo_items = [Item(todo.text, site_link(todo.endpoint, **todo.values),
                               todo.overdue) for todo in todos]
        update_items = [Item(m.title, (m.content or {}).get("link")) for m in updates]
        composed = in_language(person, compose_digest, todo_items, update_items)
        digest = outbox.add(now, transport="email", recipient_id=person.id,
                            address=person.email, kind="digest",
                            title=composed.subject[:200],
                            content={"lines": [i.text for i in todo_items + update_items],
                                     "text": composed.text, "html": composed.html})
        db.session.flush()
        for message in updates:
            message.status = DeliveryStatus.BUNDLED.value
            message.bundled_into_id = digest.id
        for todo in todos:
            db.session.add(ReminderLog(person_id=person.id, item_key=todo.key, sent_at=now))
        written += 1
        log(f"{person.username} <{person.email}>: "
            + ", ".join([t.key for t in todos] + [m.kind for m in updates]))
    return written


def _locale(person):
    from flask_babel import force_locale

    return force_locale(locale_of(person))
