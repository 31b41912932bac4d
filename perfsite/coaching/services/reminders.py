"""E-mailed reminders: one digest per person with the to-dos not e-mailed before.

Rules:
- Sent only when MAIL_SERVER is configured; otherwise nothing happens.
- One message per person, listing their open to-dos (the unread-notifications summary
  is left out: the notifications themselves are the items), written to the outbox and
  delivered from there (perfsite/notify/daily.py, the daily job: personal.queue_digests
  adds the notifications the person chose to get daily, and skips the to-dos of those
  who switched them off).
- Never twice for the same item: each (person, item key) sent is kept in ReminderLog,
  whose unique constraint holds even if two runs overlap. An item whose key changes (a
  request escalated, another check-in due) is a new item.
- Inactive people and people without e-mail get nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Person, ReminderLog
from .todos import Todo, todos_for_people


@dataclass
class Digest:
    person: Person
    items: list[Todo]


def pending_digests(now: datetime) -> list[Digest]:
    """For each active person, the to-dos not e-mailed to them yet (the to-do lists of
    everyone are computed together, in a fixed number of queries)."""
    sent = {(p, k) for p, k in db.session.execute(
        select(ReminderLog.person_id, ReminderLog.item_key))}
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.active.is_(True), Person.email != "")
        .options(selectinload(Person.role_rows))  # the predicates ask everyone's roles
        .order_by(Person.id))}
    digests = []
    for person_id, todos in todos_for_people(people, now).items():
        person = people[person_id]
        items = [t for t in todos
                 if t.kind != "notifications" and (person.id, t.key) not in sent]
        if items:
            digests.append(Digest(person, items))
    return digests
