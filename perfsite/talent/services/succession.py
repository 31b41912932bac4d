"""Key positions and their successors.

Rules:
- HR marks a person's role as a key position (permissions.can_mark_key_position); one key
  position per holder.
- HR or the holder's heads name successor candidates, each with a readiness (ready now,
  in 1–2 years, later), and remove them (permissions.can_name_successor). A candidate is
  an active person other than the holder, named once per position.
- Key positions and successor lists are read by HR, executives and the holder's heads
  (permissions.talent_people_clause); the list of key positions without a successor ready
  now is what HR works on.
- Every change is audited.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import KeyPosition, Person, Readiness, Successor
from ...rules import clean_text


def mark(person: Person, actor, *, title, now: datetime) -> KeyPosition:
    """HR marks `person`'s role as a key position (the role's title defaults to their job
    title)."""
    can.enforce(can.can_mark_key_position(actor, person))
    title = clean_text(title, field="title", limit=120, multiline=False) or person.job_title
    if not title:
        raise Invalid(_l("Name the position."), "title")
    existing = db.session.scalar(select(KeyPosition).where(KeyPosition.holder_id == person.id))
    if existing is not None:
        raise Invalid(_l("%(name)s's position is marked as key already.",
                         name=person.display_name), "holder_username")
    position = KeyPosition(holder=person, title=title, marked_by_id=actor.id, marked_at=now)
    db.session.add(position)
    db.session.flush()
    record("key_position.marked", position, actor=actor, label=title,
           after={"holder_id": person.id, "title": title})
    return position


def person_named(username, field: str) -> Person:
    """The active person with this username, or Invalid on `field`."""
    name = str(username or "").strip()
    person = db.session.scalar(select(Person).where(Person.username == name)) if name else None
    if person is None or not person.active:
        raise Invalid(_l("Nobody active has this username."), field)
    return person


def mark_named(actor, *, holder_username, title, now: datetime) -> KeyPosition:
    """`mark` for the person with this username (the form's way)."""
    can.enforce(can.who(can.can_mark_key_positions(actor), _l("Only HR marks key positions.")))
    return mark(person_named(holder_username, "holder_username"), actor, title=title, now=now)


def name_successor(position: KeyPosition, actor, *, readiness, now: datetime,
                   candidate_id=None, candidate_username=None) -> Successor:
    """HR or the holder's heads name a successor candidate (by id, or by username from the
    form) with their readiness."""
    can.enforce(can.can_name_successor(actor, position))
    errors = {}
    field = "candidate_id" if candidate_username is None else "candidate_username"
    if candidate_username is not None:
        candidate = db.session.scalar(select(Person).where(
            Person.username == str(candidate_username).strip()))
    else:
        candidate = db.session.get(Person, candidate_id) if candidate_id else None
    if candidate is None or not candidate.active:
        errors[field] = _l("Choose the successor candidate.")
    elif candidate.id == position.holder_id:
        errors[field] = _l("The holder cannot succeed themselves.")
    elif any(s.candidate_id == candidate.id for s in position.successors):
        errors[field] = _l("%(name)s is named already.", name=candidate.display_name)
    try:
        readiness = Readiness(str(readiness or "")).value
    except ValueError:
        errors["readiness"] = _l("Choose how ready they are.")
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    successor = Successor(position=position, candidate=candidate, readiness=readiness,
                          named_by_id=actor.id, named_at=now)
    db.session.add(successor)
    db.session.flush()
    record("successor.named", successor, actor=actor,
           label=f"{candidate.display_name} → {position.title}",
           after={"position_id": position.id, "candidate_id": candidate.id,
                  "readiness": readiness})
    return successor


def remove_successor(successor: Successor, actor) -> None:
    position = successor.position
    can.enforce(can.can_name_successor(actor, position))
    record("successor.removed", successor, actor=actor,
           label=f"{successor.candidate.display_name} → {position.title}",
           before={"position_id": position.id, "candidate_id": successor.candidate_id,
                   "readiness": successor.readiness})
    position.successors.remove(successor)
    db.session.flush()


def positions(viewer, department_ids=None) -> list[KeyPosition]:
    """The key positions whose holder `viewer` may see talent data of, with holders and
    successors loaded (three queries)."""
    stmt = (select(KeyPosition).join(Person, Person.id == KeyPosition.holder_id)
            .where(can.talent_people_clause(viewer))
            .options(joinedload(KeyPosition.holder).joinedload(Person.department),
                     selectinload(KeyPosition.successors).joinedload(Successor.candidate))
            .order_by(KeyPosition.title, KeyPosition.id))
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids)))
    return list(db.session.scalars(stmt).unique())


def has_ready_successor(position: KeyPosition) -> bool:
    return any(s.readiness == Readiness.READY_NOW for s in position.successors)


def without_ready_successor(found: list[KeyPosition]) -> list[KeyPosition]:
    """The key positions nobody is ready to take over now."""
    return [p for p in found if not has_ready_successor(p)]
