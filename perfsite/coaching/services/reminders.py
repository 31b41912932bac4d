"""E-mailed reminders: one digest per person with the to-dos not e-mailed before.

Rules:
- Sent only when MAIL_SERVER is configured; otherwise nothing happens.
- One message per person, listing their open to-dos (the unread-notifications summary
  is left out: the notifications themselves are the items).
- Never twice for the same item: each (person, item key) sent is kept in ReminderLog,
  whose unique constraint holds even if two runs overlap. An item whose key changes (a
  request escalated, another check-in due) is a new item.
- Inactive people and people without e-mail get nothing.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
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


def compose(digest: Digest, sender: str) -> EmailMessage:
    person = digest.person
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = EmailMessage()
        message["Subject"] = _("perfsite: %(num)d things to do", num=len(digest.items))
        message["From"] = sender
        message["To"] = person.email
        site = current_app.config.get("SITE_URL", "").rstrip("/")
        lines = [_("Hello %(name)s,", name=person.display_name), "",
                 _("These are waiting for you:"), ""]
        for item in digest.items:
            mark = " (" + _("overdue") + ")" if item.overdue else ""
            lines.append(f"- {item.text!s}{mark}")
        lines += ["", site or "perfsite"]
        message.set_content("\n".join(lines))
    return message


def send_reminders(now: datetime, log=print) -> int:
    """Send the digests; returns how many messages went out. The caller commits."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log(_("MAIL_SERVER is not configured: no reminders sent."))
        return 0
    digests = pending_digests(now)
    if not digests:
        log(_("Nothing new to remind anybody of."))
        return 0
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        for digest in digests:
            smtp.send_message(compose(digest, config.get("MAIL_FROM") or "perfsite@localhost"))
            for item in digest.items:
                db.session.add(ReminderLog(person_id=digest.person.id, item_key=item.key,
                                           sent_at=now))
            # Logged as each message goes, so a failure later does not resend this one.
            db.session.commit()
            sent += 1
            log(f"{digest.person.username} <{digest.person.email}>: "
                + ", ".join(item.key for item in digest.items))
    return sent
