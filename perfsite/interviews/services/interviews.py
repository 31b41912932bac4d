"""Feedback interviews: scheduling, the notes taken during the meeting, the improvement plan
and next cycle's goal drafts, completion, acknowledgement and appeals.

Rules:
- Who does which step is permissions' (can_schedule_interview, can_take_notes, ...); every
  step needs the interviews phase, so a closed cycle refuses all of them.
- The state machine: scheduled -> held -> completed -> acknowledged, or
  completed -> appealed -> resolved. The first note the head types during the meeting marks
  it held; completing is the head's, acknowledging (agree or disagree, a comment required to
  disagree) the person's, resolving an appeal HR's (upheld, or the rating changed, always
  with a reason). Each step is audited and the other party told.
- Notes save by section as people type. Every save names the version of the section it was
  based on; a save based on an older version is not applied: its text is kept as a refused
  revision (so nothing typed is lost even if the tab then closes) and the writer is shown
  the newer text and their own side by side, to keep either or save an edit of them
  (based on the newer version). Nothing is ever merged by the site: a merge that repeats
  what both texts share is how copies pile up. Every applied save is a revision too (the
  section's history).
- The head's preparation is a note section only the holder writes and only the holder and
  the heads above read; never the person.
- Improvement-plan items and goal drafts change until the record is completed; an item's
  owner is the person or the head holding the interview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload

from ... import drafts
from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...coaching.services import notifications
from ...errors import Conflict, Invalid
from ...extensions import db
from ...models import (
    CalibrationMove,
    Cycle,
    GoalDraft,
    ImprovementItem,
    ImprovementItemUpdate,
    Interview,
    InterviewNote,
    InterviewNoteRevision,
    InterviewStatus,
    ItemStatus,
    NoteSection,
    Person,
    PersonalPlan,
)
from ...rules import check_version, clean_text, require_reason, to_version

NOTE_LIMIT = 20000
ITEM_FIELDS = ("action", "support", "owner_id", "due_date", "status")
SCHEDULE_FIELDS = ("starts_at", "duration_minutes", "place", "meeting_link")


def label_of(interview: Interview) -> str:
    return f"{interview.person.display_name} · {interview.cycle.name}"


def get_interview(cycle: Cycle, person: Person) -> Interview | None:
    return db.session.scalar(
        select(Interview).where(Interview.cycle_id == cycle.id,
                                Interview.person_id == person.id)
        .options(selectinload(Interview.notes), selectinload(Interview.items),
                 selectinload(Interview.goal_drafts)))


def listed_people(cycle: Cycle, user):
    """The query of the people (active, with a plan in `cycle`) whose interviews the cycle's
    page lists for `user`, by name."""
    return (select(Person).join(PersonalPlan, and_(
        PersonalPlan.person_id == Person.id, PersonalPlan.cycle_id == cycle.id))
        .where(Person.active.is_(True), can.interview_people_clause(user))
        .options(joinedload(Person.department))
        .order_by(Person.display_name, Person.id))


@dataclass(frozen=True)
class ListedInterview:
    person: Person
    interview: Interview  # a blank one (id None) when not scheduled yet
    may_schedule: object  # True, or the Refusal that says why not
    may_view: bool


def listed_interviews(cycle: Cycle, user, people: list[Person]) -> list[ListedInterview]:
    """A page of `people`'s interviews in `cycle` (one query), with what `user` may do."""
    found = {i.person_id: i for i in db.session.scalars(select(Interview).where(
        Interview.cycle_id == cycle.id,
        Interview.person_id.in_([p.id for p in people] or [0])))}
    rows = []
    for person in people:
        interview = found.get(person.id) or Interview.blank(cycle, person,
                                                            can.reviewer_id(person))
        interview.person = person
        rows.append(ListedInterview(
            person=person, interview=interview,
            may_schedule=can.can_schedule_interview(user, interview),
            may_view=interview.id is not None and bool(can.can_view_interview(user, interview))))
    return rows


def interview_for(cycle: Cycle, person: Person) -> Interview:
    """The saved interview, or a blank one (not saved) to ask the predicates and show."""
    return get_interview(cycle, person) or Interview.blank(cycle, person,
                                                           can.reviewer_id(person))


def _when(moment: datetime | None) -> str:
    """A time as the audit log keeps it (and older notifications read it): UTC, named."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _iso(moment: datetime) -> str:
    """A time as a notification stores it, to be shown in its reader's zone."""
    return moment.astimezone(UTC).isoformat()


# Scheduling ---------------------------------------------------------------------------------

def _check_schedule(*, starts_at, duration_minutes, place, meeting_link) -> dict:
    if starts_at is None:
        raise Invalid(_l("Give the date and time."), "starts_at")
    if duration_minutes is None or not 10 <= int(duration_minutes) <= 480:
        raise Invalid(_l("Between %(low)d and %(high)d minutes.", low=10, high=480),
                      "duration_minutes")
    place = clean_text(place, field="place", limit=200, multiline=False)
    meeting_link = clean_text(meeting_link, field="meeting_link", limit=500, multiline=False)
    if meeting_link and not meeting_link.lower().startswith(("https://", "http://")):
        raise Invalid(_l("A meeting link starts with https://."), "meeting_link")
    if not place and not meeting_link:
        raise Invalid(_l("Give a place or a meeting link."), "place")
    return {"starts_at": starts_at, "duration_minutes": int(duration_minutes), "place": place,
            "meeting_link": meeting_link}


def schedule(interview: Interview, actor, *, starts_at: datetime, duration_minutes: int,
             place: str, meeting_link: str, expected_version, now: datetime) -> Interview:
    """The head schedules the interview, or moves it (which answers a proposed time)."""
    can.enforce(can.can_schedule_interview(actor, interview))
    fields = _check_schedule(starts_at=starts_at, duration_minutes=duration_minutes,
                             place=place, meeting_link=meeting_link)
    if interview.id is None:
        for key, value in fields.items():
            setattr(interview, key, value)
        interview.head_id = actor.id
        interview.created_at = interview.updated_at = now
        db.session.add(interview)
        db.session.flush()
        record("interview.scheduled", interview, actor=actor, label=label_of(interview),
               after={"starts_at": _when(starts_at), "place": fields["place"],
                      "meeting_link": fields["meeting_link"]})
    else:
        check_version(interview, expected_version)
        before = snapshot(interview, SCHEDULE_FIELDS)
        was_cancelled = interview.is_cancelled
        for key, value in fields.items():
            setattr(interview, key, value)
        interview.proposed_starts_at = None
        interview.proposal_note = ""
        interview.updated_at = now
        old, new = changed(before, snapshot(interview, SCHEDULE_FIELDS))
        if was_cancelled:
            interview.status = InterviewStatus.SCHEDULED.value
            interview.cancelled_at = None
            old = {**old, "status": InterviewStatus.CANCELLED.value}
            new = {**new, "status": InterviewStatus.SCHEDULED.value}
        if old or new:
            # The same calendar event, changed: people's calendars replace it in place.
            interview.calendar_sequence = (interview.calendar_sequence or 0) + 1
        record("interview.rescheduled", interview, actor=actor, label=label_of(interview),
               before=_readable(old), after=_readable(new))
    notifications.notify(interview.person, "interview_scheduled", f"interview:{interview.id}",
                         actor=actor.display_name, cycle=interview.cycle.name,
                         when=_when(starts_at), when_at=_iso(starts_at))
    return interview


def _readable(values: dict) -> dict:
    """Schedule fields as the audit log keeps them (a time as text, UTC named)."""
    return {key: _when(value) if isinstance(value, datetime) else value
            for key, value in values.items()}


def cancel(interview: Interview, actor, *, expected_version, now: datetime) -> None:
    """The head calls the interview off before it is held: the person is told, and the
    calendar file becomes a cancellation of the same event (same UID, next SEQUENCE).
    The head may schedule it again."""
    can.enforce(can.can_cancel_interview(actor, interview))
    check_version(interview, expected_version)
    interview.status = InterviewStatus.CANCELLED.value
    interview.cancelled_at = interview.updated_at = now
    interview.proposed_starts_at = None
    interview.proposal_note = ""
    interview.calendar_sequence = (interview.calendar_sequence or 0) + 1
    record("interview.cancelled", interview, actor=actor, label=label_of(interview),
           before={"status": InterviewStatus.SCHEDULED.value},
           after={"status": interview.status, "starts_at": _when(interview.starts_at)})
    notifications.notify(interview.person, "interview_cancelled", f"interview:{interview.id}",
                         actor=actor.display_name, cycle=interview.cycle.name,
                         when=_when(interview.starts_at), when_at=_iso(interview.starts_at))


def propose_time(interview: Interview, actor, *, starts_at: datetime | None, note: str,
                 expected_version, now: datetime) -> None:
    """The person asks for another time; the head sees it and reschedules."""
    can.enforce(can.can_propose_time(actor, interview))
    if starts_at is None:
        raise Invalid(_l("Give the date and time you propose."), "starts_at")
    note = clean_text(note, field="note", limit=1000)
    check_version(interview, expected_version)
    interview.proposed_starts_at = starts_at
    interview.proposal_note = note
    interview.updated_at = now
    record("interview.time_proposed", interview, actor=actor, label=label_of(interview),
           after={"starts_at": _when(starts_at), "comment": note})
    notifications.notify(interview.head, "interview_time_proposed", f"interview:{interview.id}",
                         name=actor.display_name, cycle=interview.cycle.name,
                         when=_when(starts_at), when_at=_iso(starts_at))


def start(interview: Interview, actor, now: datetime) -> None:
    """scheduled -> held: the meeting has begun (the head's first note marks it too)."""
    can.enforce(can.can_complete_interview(actor, interview))
    if interview.is_booked:
        interview.status = InterviewStatus.HELD.value
        interview.held_at = now
        record("interview.held", interview, actor=actor, label=label_of(interview),
               before={"status": InterviewStatus.SCHEDULED.value},
               after={"status": InterviewStatus.HELD.value})


# Notes --------------------------------------------------------------------------------------

@dataclass
class NoteSave:
    """What a save did: `stale` when it was based on an older version (not applied; `mine`
    kept as a refused revision, for its writer to choose between it and the newer text)."""

    note: InterviewNote
    stale: bool = False
    mine: str = ""


def note_for(interview: Interview, section: NoteSection) -> InterviewNote:
    return interview.note(section) or InterviewNote(interview=None, section=section.value,
                                                    text="", version=None)


def _same_version(note: InterviewNote, expected_version) -> None:
    if to_version(expected_version) != note.version:
        raise Conflict(current=note)


def save_note(interview: Interview, actor, section, text, *, expected_version,
              now: datetime, writer: drafts.Writer | None = None) -> NoteSave:
    """Save one section of the notes (see the module's rules on stale saves; a save based
    on this tab's own earlier autosave is not stale: perfsite/drafts.py)."""
    try:
        section = NoteSection(section)
    except ValueError:
        raise Invalid(_l("There is no such section."), "section") from None
    can.enforce(can.can_take_notes(actor, interview, section.value))
    text = clean_text(text, field="text", limit=NOTE_LIMIT)
    note = interview.note(section)
    based_on = to_version(expected_version)
    try:
        claim = drafts.claim(drafts.NOTE, note, expected_version, writer, check=_same_version)
    except Conflict:
        note.revisions.append(InterviewNoteRevision(
            text=text, based_on_version=based_on, refused=True, saved_by_id=actor.id,
            saved_at=now))
        db.session.flush()
        return NoteSave(note, stale=True, mine=text)
    if note is None:
        note = InterviewNote(interview=interview, section=section.value, text="",
                             updated_at=now, updated_by_id=actor.id)
        based_on = None  # the first save of a section (a second tab's is stale below)
        db.session.add(note)
        db.session.flush()
    if text != note.text or note.version is None:
        note.text = text
        note.updated_at = now
        note.updated_by_id = actor.id
        note.revisions.append(InterviewNoteRevision(
            text=text, based_on_version=based_on, saved_by_id=actor.id, saved_at=now))
        db.session.flush()
    claim.saved(note)
    if (section not in (NoteSection.PREP, NoteSection.PERSON)
            and interview.is_booked):
        start(interview, actor, now)
    return NoteSave(note)


def revisions_of(note: InterviewNote, limit: int = 20) -> list[InterviewNoteRevision]:
    if note.id is None:
        return []
    return list(db.session.scalars(
        select(InterviewNoteRevision).where(InterviewNoteRevision.note_id == note.id)
        .options(selectinload(InterviewNoteRevision.saved_by))
        .order_by(InterviewNoteRevision.id.desc()).limit(limit)))


# The improvement plan and next cycle's goal drafts ------------------------------------------

def owner_choices(interview: Interview) -> list[Person]:
    head = interview.head or db.session.get(Person, can.interview_holder_id(interview))
    return [p for p in (interview.person, head) if p is not None]


def _check_item(interview: Interview, fields: dict) -> dict:
    cleaned = {
        "action": clean_text(fields.get("action"), field="action", limit=500, multiline=False,
                             required=_l("Say what will be done.")),
        "support": clean_text(fields.get("support"), field="support", limit=2000),
        "due_date": fields.get("due_date"),
        "status": fields.get("status") or ItemStatus.OPEN.value,
    }
    owner_id = fields.get("owner_id")
    if owner_id not in {p.id for p in owner_choices(interview)}:
        raise Invalid(_l("The owner is %(name)s or their head.",
                         name=interview.person.display_name), "owner_id")
    cleaned["owner_id"] = owner_id
    if cleaned["due_date"] is not None and not isinstance(cleaned["due_date"], date):
        raise Invalid(_l("Enter a date."), "due_date")
    if cleaned["status"] not in {s.value for s in ItemStatus}:
        raise Invalid(_l("Not a valid choice."), "status")
    return cleaned


def add_item(interview: Interview, actor, **fields) -> ImprovementItem:
    can.enforce(can.can_edit_improvement_plan(actor, interview))
    item = ImprovementItem(interview=interview, **_check_item(interview, fields))
    db.session.add(item)
    db.session.flush()
    record("improvement_item.added", item, actor=actor, label=label_of(interview),
           after=snapshot(item, ITEM_FIELDS))
    return item


def update_item(item: ImprovementItem, actor, *, expected_version, **fields) -> None:
    interview = item.interview
    can.enforce(can.can_edit_improvement_plan(actor, interview))
    cleaned = _check_item(interview, fields)
    check_version(item, expected_version)
    before = snapshot(item, ITEM_FIELDS)
    for key, value in cleaned.items():
        setattr(item, key, value)
    old, new = changed(before, snapshot(item, ITEM_FIELDS))
    if new:
        record("improvement_item.updated", item, actor=actor, label=label_of(interview),
               before=old, after=new)


def remove_item(item: ImprovementItem, actor, *, expected_version) -> None:
    interview = item.interview
    can.enforce(can.can_edit_improvement_plan(actor, interview))
    check_version(item, expected_version)
    record("improvement_item.removed", item, actor=actor, label=label_of(interview),
           before=snapshot(item, ITEM_FIELDS))
    interview.items.remove(item)
    db.session.delete(item)
    db.session.flush()


def track_item(item: ImprovementItem, actor, cycle: Cycle, *, status: str, note: str,
               now: datetime) -> ImprovementItemUpdate:
    """The person reports how an item of their last plan is going, in the later `cycle`."""
    can.enforce(can.can_track_item(actor, item, cycle))
    if status not in {s.value for s in ItemStatus}:
        raise Invalid(_l("Not a valid choice."), "status")
    before = item.current_state.value
    update = ImprovementItemUpdate(item=item, cycle_id=cycle.id, status=status,
                                   note=clean_text(note, field="note", limit=1000),
                                   updated_by_id=actor.id, updated_at=now)
    db.session.add(update)
    db.session.flush()
    record("improvement_item.tracked", item, actor=actor, label=label_of(item.interview),
           before={"status": before}, after={"status": status, "comment": update.note})
    return update


def plan_to_track(person: Person, cycle: Cycle) -> Interview | None:
    """The person's latest finished interview before `cycle`, with its items."""
    return db.session.scalar(
        select(Interview).join(Cycle, Cycle.id == Interview.cycle_id)
        .where(Interview.person_id == person.id, Cycle.start_date < cycle.start_date,
               Interview.is_finished)
        .options(selectinload(Interview.items).selectinload(ImprovementItem.updates),
                 selectinload(Interview.items).joinedload(ImprovementItem.owner))
        .order_by(Cycle.start_date.desc()).limit(1))


def add_goal_draft(interview: Interview, actor, *, title: str, description: str) -> GoalDraft:
    can.enforce(can.can_edit_improvement_plan(actor, interview))
    draft = GoalDraft(
        interview=interview,
        title=clean_text(title, field="title", limit=200, multiline=False,
                         required=_l("Give the goal a title.")),
        description=clean_text(description, field="description", limit=2000))
    db.session.add(draft)
    db.session.flush()
    record("goal_draft.added", draft, actor=actor, label=label_of(interview),
           after={"title": draft.title})
    return draft


def remove_goal_draft(draft: GoalDraft, actor, *, expected_version) -> None:
    interview = draft.interview
    can.enforce(can.can_edit_improvement_plan(actor, interview))
    check_version(draft, expected_version)
    record("goal_draft.removed", draft, actor=actor, label=label_of(interview),
           before={"title": draft.title})
    interview.goal_drafts.remove(draft)
    db.session.delete(draft)
    db.session.flush()


def propose_goal_drafts(cycle: Cycle, actor) -> int:
    """When `cycle`'s planning opens (a phase hook, perfsite/areas.py), the goal drafts of
    earlier cycles' finished interviews become proposals in it (shown in the person's plan
    for them to propose as KPIs); each person is told. Returns how many."""
    rows = db.session.scalars(
        select(GoalDraft).join(Interview, Interview.id == GoalDraft.interview_id)
        .join(Cycle, Cycle.id == Interview.cycle_id)
        .where(GoalDraft.proposed_cycle_id.is_(None), Cycle.id != cycle.id,
               Cycle.start_date < cycle.start_date,
               ~Interview.is_under_way)
        .options(selectinload(GoalDraft.interview).joinedload(Interview.person))).all()
    told = set()
    for draft in rows:
        draft.proposed_cycle_id = cycle.id
        person = draft.interview.person
        if person.id not in told:
            told.add(person.id)
            notifications.notify(person, "goal_drafts_proposed", f"interviews:{cycle.id}",
                                 cycle=cycle.name)
    if rows:
        record("goal_draft.proposed", cycle, actor=actor, after={"people": len(told)})
    return len(rows)


def drafts_proposed_to(cycle: Cycle, person: Person) -> list[GoalDraft]:
    """The goal drafts proposed in `cycle`'s planning for `person`."""
    return list(db.session.scalars(
        select(GoalDraft).join(Interview, Interview.id == GoalDraft.interview_id)
        .where(GoalDraft.proposed_cycle_id == cycle.id, Interview.person_id == person.id)
        .order_by(GoalDraft.id)))


# Completing, acknowledging, appealing -------------------------------------------------------

def complete(interview: Interview, actor, *, expected_version, now: datetime) -> None:
    """The head completes the record; the person's outcome follows from their rating."""
    from . import outcomes

    can.enforce(can.can_complete_interview(actor, interview))
    check_version(interview, expected_version)
    before = interview.status
    if interview.held_at is None:
        interview.held_at = now
    interview.status = InterviewStatus.COMPLETED.value
    interview.completed_at = interview.updated_at = now
    record("interview.completed", interview, actor=actor, label=label_of(interview),
           before={"status": before}, after={"status": interview.status})
    outcomes.refresh_for(interview.cycle, interview.person, actor, now)
    notifications.notify(interview.person, "interview_completed", f"interview:{interview.id}",
                         actor=actor.display_name, cycle=interview.cycle.name)


def acknowledge(interview: Interview, actor, *, agreement: str, comment: str,
                expected_version, now: datetime) -> None:
    """The person agrees, or disagrees with a comment (an appeal for HR)."""
    can.enforce(can.can_acknowledge_interview(actor, interview))
    if agreement not in ("agree", "disagree"):
        raise Invalid(_l("Choose whether you agree."), "agreement")
    comment = clean_text(comment, field="comment", limit=5000,
                         required=_l("Say what you disagree with: HR reads it.")
                         if agreement == "disagree" else None)
    check_version(interview, expected_version)
    interview.agreement = agreement
    interview.person_comment = comment
    interview.acknowledged_at = interview.updated_at = now
    interview.status = (InterviewStatus.ACKNOWLEDGED if agreement == "agree"
                        else InterviewStatus.APPEALED).value
    record("interview.acknowledged" if agreement == "agree" else "interview.appealed",
           interview, actor=actor, label=label_of(interview),
           before={"status": InterviewStatus.COMPLETED.value},
           after={"status": interview.status, "comment": comment})
    notifications.notify(interview.head, "interview_agreed" if agreement == "agree"
                         else "interview_disagreed", f"interview:{interview.id}",
                         name=actor.display_name, cycle=interview.cycle.name)


def resolve_appeal(interview: Interview, actor, *, decision: str, band: str | None,
                   reason: str, expected_version, now: datetime) -> None:
    """HR upholds the rating or changes it, with a reason; the change is a move of the
    final rating (audited, shown with the results); both parties are told."""
    from ...reviews.services import scores
    from ...reviews.services import settings as settings_service
    from . import outcomes

    can.enforce(can.can_resolve_appeal(actor, interview))
    if decision not in ("upheld", "changed"):
        raise Invalid(_l("Choose a decision."), "decision")
    reason = require_reason(reason)
    check_version(interview, expected_version)
    result = scores.get_result(interview.cycle, interview.person)
    before_band = result.final_band if result else None
    if decision == "changed":
        bands = settings_service.bands_of(settings_service.settings_for(interview.cycle))
        target = settings_service.band_by_code(bands, (band or "").strip())
        if target is None:
            raise Invalid(_l("Choose one of the cycle's ratings."), "band")
        if result is None or result.final_score is None:
            raise Invalid(_l("%(name)s has no rating to change.",
                             name=interview.person.display_name), "band")
        if target.code == before_band:
            raise Invalid(_l("%(name)s is rated %(band)s already.",
                             name=interview.person.display_name, band=before_band), "band")
        result.calibrated_band = None if target.code == result.band else target.code
        result.calibrated_at = now
        db.session.add(CalibrationMove(result=result, from_band=before_band,
                                       to_band=target.code, reason=reason,
                                       moved_by_id=actor.id, moved_at=now))
        record("review_result.changed_on_appeal", result, actor=actor,
               label=label_of(interview), before={"band": before_band},
               after={"band": target.code, "reason": reason})
        interview.appeal_band = target.code
    interview.appeal_decision = decision
    interview.appeal_reason = reason
    interview.resolved_by_id = actor.id
    interview.resolved_at = interview.updated_at = now
    interview.status = InterviewStatus.RESOLVED.value
    record("interview.appeal_resolved", interview, actor=actor, label=label_of(interview),
           before={"status": InterviewStatus.APPEALED.value, "band": before_band},
           after={"status": interview.status, "decision": decision,
                  "band": interview.appeal_band or before_band, "reason": reason})
    db.session.flush()
    outcomes.refresh_for(interview.cycle, interview.person, actor, now, force=True)
    kind = "appeal_changed" if decision == "changed" else "appeal_upheld"
    for recipient in (interview.person, interview.head):
        notifications.notify(recipient, kind, f"interview:{interview.id}",
                             actor=actor.display_name, name=interview.person.display_name,
                             cycle=interview.cycle.name,
                             band=interview.appeal_band or before_band or "")


def calendar_file(interview: Interview, now: datetime, host: str = "perfsite") -> bytes:
    """The interview as an iCalendar object (RFC 5545, with RFC 5546's METHOD): one event
    whose UID never changes ("interview-<id>@<host>") and whose SEQUENCE rises with every
    change (Interview.calendar_sequence), so a calendar that imports the file again moves
    the event it has instead of adding another. The head organizes, the person attends.
    A cancelled interview gives METHOD:CANCEL and STATUS:CANCELLED for the same UID."""
    from icalendar import Calendar, Event, vCalAddress, vText

    cancelled = interview.is_cancelled
    calendar = Calendar()
    calendar.add("prodid", "-//perfsite//interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"interview-{interview.id}@{host}")
    event.add("sequence", interview.calendar_sequence or 0)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", interview.starts_at.astimezone(UTC))
    event.add("dtend", (interview.starts_at
                        + timedelta(minutes=interview.duration_minutes)).astimezone(UTC))
    if interview.updated_at:
        event.add("last-modified", interview.updated_at.astimezone(UTC))
    event.add("summary", str(_l("Feedback interview: %(name)s with %(head)s (%(cycle)s)",
                                name=interview.person.display_name,
                                head=interview.head.display_name,
                                cycle=interview.cycle.name)))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{interview.head.email}")
    organizer.params["cn"] = vText(interview.head.display_name)
    organizer.params["role"] = vText("CHAIR")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{interview.person.email}")
    attendee.params["cn"] = vText(interview.person.display_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    if interview.place:
        event.add("location", interview.place)
    if interview.meeting_link:
        event.add("url", interview.meeting_link)
        event.add("description", interview.meeting_link)
    calendar.add_component(event)
    return calendar.to_ical()
