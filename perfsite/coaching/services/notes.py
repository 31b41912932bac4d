"""Coaching: comments on check-ins, and private notes on a person.

Rules:
- A head managing the person (or their manager) replies to a check-in with a coaching
  comment; the person sees it on their KPI and in their to-dos until they mark it read,
  and is notified. Comments are written while the cycle allows handling items.
- A private note on a person is written by a head managing them and read only by those
  heads and HR: never by the person themselves, in any page, fragment, export or
  notification (so writing one notifies nobody).
- Both are audited; a private note's text stays out of the audit log (the log is read
  by HR only, but it would otherwise be a second copy to keep private).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...errors import NotAllowed
from ...extensions import db
from ...models import CheckIn, CoachingComment, Person, PrivateNote
from ...rules import clean_text
from . import notifications


def comment_on(check_in: CheckIn, actor, *, body: str, now: datetime) -> CoachingComment:
    person = check_in.author
    can.enforce(can.can_comment_on(actor, check_in))
    body = clean_text(body, field="body", required=_l("Write your comment."))
    comment = CoachingComment(check_in=check_in, person_id=person.id, author=actor, body=body,
                              created_at=now)
    db.session.add(comment)
    db.session.flush()
    record("coaching_comment.added", comment, actor=actor, label=check_in.kpi.title,
           after={"check_in_id": check_in.id, "body": body})
    notifications.notify(person, "coaching_comment", f"kpi:{check_in.kpi_id}",
                         actor=actor.display_name, kpi=check_in.kpi.title)
    return comment


def mark_comment_read(comment: CoachingComment, actor, *, now: datetime) -> None:
    can.enforce(can.can_mark_comment_read(actor, comment))
    if comment.read_at is None:
        comment.read_at = now


def add_private_note(person: Person, actor, *, body: str, now: datetime) -> PrivateNote:
    can.enforce(can.can_write_private_note(actor, person))
    body = clean_text(body, field="body", required=_l("Write your note."))
    note = PrivateNote(person_id=person.id, author=actor, body=body, created_at=now)
    db.session.add(note)
    db.session.flush()
    record("private_note.added", note, actor=actor, label=person.display_name,
           after={"person_id": person.id})
    return note


def private_notes_on(person: Person, reader) -> list[PrivateNote]:
    """The notes on `person`, newest first, if `reader` may read them (else NotAllowed)."""
    if not can.can_read_private_notes(reader, person):
        raise NotAllowed(_l("Private notes are for the person's heads and HR only."))
    return list(db.session.scalars(
        select(PrivateNote).where(PrivateNote.person_id == person.id)
        .options(joinedload(PrivateNote.author))
        .order_by(PrivateNote.created_at.desc(), PrivateNote.id.desc())))
