"""Nominations: who is asked for feedback on whom.

Rules:
- While feedback is open (permissions.feedback_open) a person nominates peers from any
  department (permissions.can_nominate_raters), never themselves, each once, at most the
  cycle's maximum (FeedbackSettings.max_raters) counting those nominated, asked and
  answered. A nomination awaits the head's approval.
- Their head (who approves their plan) or HR approves the nominations
  (can_approve_nominations) once there are at least the cycle's minimum; approving also
  asks the head themselves (the manager group, attributed) and the person's direct reports
  (upward feedback, anonymous). The head adds raters (asked at once) and removes raters who
  have not answered (can_remove_rater).
- Once the first anonymous answer about the person is in, their raters are fixed
  (permissions.raters_fixed): nobody is nominated, approved, added or removed any more, so
  nobody can compare the results before and after a rater came or went. A rater who
  declined (answers.decline) is still replaced by the head, once (can_pick_replacement):
  the replacement is asked in the same group.
- Every change is audited; nothing here reads or writes an answer.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import (
    Cycle,
    FeedbackGroup,
    FeedbackRequest,
    FeedbackStatus,
    Person,
)
from ...org import picker
from .settings import settings_of

# The people picker's scope for raters: anyone active in the company but oneself.
RATERS = picker.Scope(
    allowed=lambda user: user.is_authenticated,
    people=lambda user: Person.active.is_(True) & (Person.id != user.id),
)


def _label(request: FeedbackRequest) -> str:
    return f"{request.rater.display_name} → {request.subject.display_name} · {request.cycle.name}"


def requests_on(cycle: Cycle, person: Person) -> list[FeedbackRequest]:
    """Every request for feedback on `person` in `cycle`, with the raters (one query)."""
    return list(db.session.scalars(
        select(FeedbackRequest).where(FeedbackRequest.cycle_id == cycle.id,
                                      FeedbackRequest.subject_id == person.id)
        .options(joinedload(FeedbackRequest.rater).joinedload(Person.department))
        .order_by(FeedbackRequest.rater_group, FeedbackRequest.id)))


def _peer_count(cycle: Cycle, person: Person) -> int:
    return db.session.scalar(select(func.count(FeedbackRequest.id)).where(
        FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.subject_id == person.id,
        FeedbackRequest.rater_group == FeedbackGroup.PEER.value,
        FeedbackRequest.is_active)) or 0


def _existing(cycle: Cycle, person: Person, raters) -> dict[int, FeedbackRequest]:
    ids = [r.id for r in raters]
    return {r.rater_id: r for r in db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.subject_id == person.id,
        FeedbackRequest.rater_id.in_(ids or [0])))}


def _ask(cycle: Cycle, person: Person, actor, usernames, *, status: FeedbackStatus,
         now: datetime, field: str = "raters") -> list[FeedbackRequest]:
    raters = picker.resolve(RATERS, actor, usernames, field)
    if not raters:
        raise Invalid(_l("Name at least one colleague."), field)
    if any(r.id == person.id for r in raters):
        raise Invalid(_l("Nobody gives 360 feedback on themselves."), field)
    existing = _existing(cycle, person, raters)
    for rater in raters:
        found = existing.get(rater.id)
        if found is not None and found.is_active:
            raise Invalid(_l("%(name)s is on the list already.", name=rater.display_name),
                          field)
        if found is not None and found.is_declined:
            raise Invalid(_l("%(name)s declined already; pick someone else.",
                             name=rater.display_name), field)
    limit = settings_of(cycle).max_raters
    if _peer_count(cycle, person) + len(raters) > limit:
        raise Invalid(_l("At most %(max)d peers give feedback on one person.", max=limit),
                      field)
    made = []
    for rater in raters:
        request = existing.get(rater.id)  # removed earlier: asked again
        if request is None:
            request = FeedbackRequest(cycle_id=cycle.id, subject_id=person.id,
                                      rater_id=rater.id, created_at=now)
            db.session.add(request)
        request.cycle, request.subject, request.rater = cycle, person, rater
        request.rater_group = FeedbackGroup.PEER.value
        request.status = status.value
        request.nominated_by_id = actor.id
        request.updated_at = now
        made.append(request)
    db.session.flush()
    for request in made:
        record("feedback_request.nominated" if request.awaiting_approval
               else "feedback_request.added", request, actor=actor, label=_label(request),
               after={"status": request.status, "rater_group": request.rater_group})
    return made


def nominate(cycle: Cycle, person: Person, actor, *, usernames: str,
             now: datetime) -> list[FeedbackRequest]:
    """The person nominates peers (see the rules); they await their head's approval."""
    can.enforce(can.can_nominate_raters(actor, (person, cycle)))
    return _ask(cycle, person, actor, usernames, status=FeedbackStatus.NOMINATED, now=now)


def add_raters(cycle: Cycle, person: Person, actor, *, usernames: str,
               now: datetime) -> list[FeedbackRequest]:
    """The head (or HR) adds peers, asked at once."""
    can.enforce(can.can_approve_nominations(actor, (person, cycle)))
    made = _ask(cycle, person, actor, usernames, status=FeedbackStatus.REQUESTED, now=now)
    ask_automatic(cycle, person, actor, now)
    return made


def ask_automatic(cycle: Cycle, person: Person, actor, now: datetime) -> list[FeedbackRequest]:
    """Ask the person's head (manager group) and their direct reports (upward feedback),
    unless they are asked already."""
    wanted: list[tuple[int, FeedbackGroup]] = []
    head_id = can.approver_id(person)
    if head_id is not None and head_id != person.id:
        wanted.append((head_id, FeedbackGroup.MANAGER))
    reports = db.session.scalars(select(Person.id).where(
        Person.manager_id == person.id, Person.active.is_(True), Person.id != person.id))
    wanted.extend((report_id, FeedbackGroup.REPORT) for report_id in reports)
    have = set(db.session.scalars(select(FeedbackRequest.rater_id).where(
        FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.subject_id == person.id)))
    made = []
    for rater_id, group in wanted:
        if rater_id in have:
            continue
        have.add(rater_id)
        request = FeedbackRequest(cycle_id=cycle.id, subject_id=person.id, rater_id=rater_id,
                                  rater_group=group.value,
                                  status=FeedbackStatus.REQUESTED.value,
                                  nominated_by_id=actor.id, created_at=now, updated_at=now)
        db.session.add(request)
        made.append(request)
    if made:
        db.session.flush()
        record("feedback_request.asked", object_type="feedback_request", actor=actor,
               label=f"{person.display_name} · {cycle.name}",
               after={"rater_group": sorted({r.rater_group for r in made}),
                      "people": len(made)})
    return made


def approve(cycle: Cycle, person: Person, actor, *, now: datetime) -> int:
    """The head approves the nominations awaiting approval (at least the cycle's minimum
    peers on the list), and the automatic requests are made. Returns how many approved."""
    can.enforce(can.can_approve_nominations(actor, (person, cycle)))
    minimum = settings_of(cycle).min_raters
    if _peer_count(cycle, person) < minimum:
        raise Invalid(lazy_ngettext(
            "%(name)s needs at least %(num)d peer on the list; add one first.",
            "%(name)s needs at least %(num)d peers on the list; add some first.",
            minimum, name=person.display_name))
    pending = [r for r in requests_on(cycle, person) if r.awaiting_approval]
    for request in pending:
        request.status = FeedbackStatus.REQUESTED.value
        request.updated_at = now
    db.session.flush()
    if pending:
        record("feedback_request.approved", object_type="feedback_request", actor=actor,
               label=f"{person.display_name} · {cycle.name}",
               after={"people": len(pending)})
    ask_automatic(cycle, person, actor, now)
    return len(pending)


def remove(request: FeedbackRequest, actor, *, now: datetime) -> None:
    """The head removes a rater who has not answered."""
    can.enforce(can.can_remove_rater(actor, request))
    before = request.status
    request.status = FeedbackStatus.REMOVED.value
    request.updated_at = now
    db.session.flush()
    record("feedback_request.removed", request, actor=actor, label=_label(request),
           before={"status": before}, after={"status": request.status})


def replace(request: FeedbackRequest, actor, *, username: str,
            now: datetime) -> FeedbackRequest:
    """The head picks a replacement for a rater who declined: asked in the same group."""
    can.enforce(can.can_pick_replacement(actor, request))
    cycle, person = request.cycle, request.subject
    rater = picker.resolve_one(RATERS, actor, username, "username")
    if rater is None:
        raise Invalid(_l("Name the colleague to ask instead."), "username")
    if rater.id == person.id:
        raise Invalid(_l("Nobody gives 360 feedback on themselves."), "username")
    found = _existing(cycle, person, [rater]).get(rater.id)
    if found is not None and not found.is_removed:
        raise Invalid(_l("%(name)s has been asked already.", name=rater.display_name),
                      "username")
    if found is None:
        found = FeedbackRequest(cycle_id=cycle.id, subject_id=person.id, rater_id=rater.id,
                                created_at=now)
        db.session.add(found)
    found.cycle, found.subject, found.rater = cycle, person, rater
    found.rater_group = request.rater_group
    found.status = FeedbackStatus.REQUESTED.value
    found.nominated_by_id = actor.id
    found.updated_at = now
    request.replaced = True
    db.session.flush()
    record("feedback_request.replaced", found, actor=actor, label=_label(found),
           after={"status": found.status, "replaces": request.rater.display_name})
    return found


def approved_by(user):
    """The query of the active people whose raters `user` approves, by name (the head's
    list, a page at a time)."""
    return (select(Person).where(can.approved_by_clause(user), Person.active.is_(True))
            .order_by(Person.display_name, Person.id))


def waiting_for_approval(cycle: Cycle, subject_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per person of `subject_ids`: how many nominations wait for approval and how many
    declines wait for a replacement (one query)."""
    waiting: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        select(FeedbackRequest.subject_id,
               func.count().filter(FeedbackRequest.awaiting_approval),
               func.count().filter(~FeedbackRequest.awaiting_approval))
        .where(FeedbackRequest.cycle_id == cycle.id,
               FeedbackRequest.subject_id.in_(subject_ids), FeedbackRequest.awaits_head)
        .group_by(FeedbackRequest.subject_id))
    for subject_id, nominated, declined in rows:
        waiting[subject_id] = {"nominated": nominated, "declined": declined}
    return waiting


def stuck_query(cycle: Cycle, department_ids=None):
    """A select() of the requests that wait for someone other than the rater: nominations
    awaiting approval and declines without a replacement (HR sees and fixes them), by the
    name of the person they are on, for paging."""
    stmt = (select(FeedbackRequest).join(Person, Person.id == FeedbackRequest.subject_id)
            .where(FeedbackRequest.cycle_id == cycle.id,
                   FeedbackRequest.awaits_head)
            .options(joinedload(FeedbackRequest.subject), joinedload(FeedbackRequest.rater),
                     joinedload(FeedbackRequest.cycle))
            .order_by(Person.display_name, FeedbackRequest.id))
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids)))
    return stmt
