"""Feedback interviews and outcomes (issue 12).

- Interview: one per person and cycle, held by their reviewer (the head who approves their
  plan). Its status moves scheduled -> held -> completed -> acknowledged, or
  completed -> appealed -> resolved when the person disagrees. The schedule (start, place
  or meeting link), the person's proposal of another time, the head's private preparation
  notes (a note section of their own, never shown to the person), the acknowledgement
  and the appeal's resolution live on it.
- InterviewNote: one section of the notes taken during the meeting (strengths, areas to
  improve, agreed outcomes, the person's own comments), saved as people type and guarded by
  a version; InterviewNoteRevision keeps every saved text, and the text of a save refused
  as stale, so two tabs never lose what either typed.
- ImprovementItem: an action of the improvement plan, with support, owner and due date;
  ImprovementItemUpdate: the person's report on it in a later cycle (tracked there).
- GoalDraft: a draft of a goal for the next cycle, proposed when its planning opens.
- OutcomeRule: per cycle and rating band, the outcome the band leads to; Outcome: a
  person's outcome, derived from their final rating, perhaps overridden by their head with
  a reason, approved by an executive per department.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cycle import Cycle
from .org import Department, Person
from .types import UTCDateTime, utcnow

MULTIPLIER = Numeric(4, 2)


class InterviewStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"  # by the head; scheduling it again makes it scheduled
    HELD = "held"
    COMPLETED = "completed"
    ACKNOWLEDGED = "acknowledged"
    APPEALED = "appealed"
    RESOLVED = "resolved"

    @property
    def label(self):
        return INTERVIEW_STATUS_LABELS[self]


INTERVIEW_STATUS_LABELS = {
    InterviewStatus.SCHEDULED: _l("Scheduled"),
    InterviewStatus.CANCELLED: _l("Cancelled"),
    InterviewStatus.HELD: _l("Being held"),
    InterviewStatus.COMPLETED: _l("Completed, to acknowledge"),
    InterviewStatus.ACKNOWLEDGED: _l("Acknowledged"),
    InterviewStatus.APPEALED: _l("Appealed"),
    InterviewStatus.RESOLVED: _l("Appeal resolved"),
}

# The record is finished (the notes no longer change) from completion on.
FINISHED = frozenset({InterviewStatus.COMPLETED, InterviewStatus.ACKNOWLEDGED,
                      InterviewStatus.APPEALED, InterviewStatus.RESOLVED})


class NoteSection(enum.StrEnum):
    """The meeting's note sections, and the head's private preparation ("prep"). The
    person's own comments ("person") are theirs alone; the head answers them beside, in
    "reply", and never writes over them."""

    PREP = "prep"
    STRENGTHS = "strengths"
    IMPROVE = "improve"
    OUTCOMES = "outcomes"
    PERSON = "person"
    REPLY = "reply"

    @property
    def label(self):
        return NOTE_SECTION_LABELS[self]


NOTE_SECTION_LABELS = {
    NoteSection.PREP: _l("My preparation (private)"),
    NoteSection.STRENGTHS: _l("Strengths"),
    NoteSection.IMPROVE: _l("Areas to improve"),
    NoteSection.OUTCOMES: _l("Agreed outcomes"),
    NoteSection.PERSON: _l("The person's own comments"),
    NoteSection.REPLY: _l("The head's reply to the person's comments"),
}


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self):
        return ITEM_STATUS_LABELS[self]


ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: _l("Not started"),
    ItemStatus.IN_PROGRESS: _l("Under way"),
    ItemStatus.DONE: _l("Done"),
    ItemStatus.DROPPED: _l("Dropped"),
}


class Interview(db.Model):
    __tablename__ = "interview"
    __table_args__ = (
        # One interview per person and cycle: also what makes a double-clicked "schedule"
        # create one.
        UniqueConstraint("cycle_id", "person_id", name="uq_interview_cycle_id_person_id"),
        CheckConstraint("status IN ('scheduled', 'cancelled', 'held', 'completed', "
                        "'acknowledged', 'appealed', 'resolved')", name="status_known"),
        CheckConstraint("agreement IS NULL OR agreement IN ('agree', 'disagree')",
                        name="agreement_known"),
        CheckConstraint("appeal_decision IS NULL OR appeal_decision IN ('upheld', 'changed')",
                        name="appeal_decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=InterviewStatus.SCHEDULED.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    place: Mapped[str] = mapped_column(String(200), default="")
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    # The person asks for another time; the head reschedules (which clears it).
    proposed_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposal_note: Mapped[str] = mapped_column(Text, default="")
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreement: Mapped[str | None] = mapped_column(String(10))
    person_comment: Mapped[str] = mapped_column(Text, default="")
    appeal_decision: Mapped[str | None] = mapped_column(String(10))
    appeal_band: Mapped[str | None] = mapped_column(String(10))
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The calendar event's SEQUENCE (RFC 5545): rises each time the event as people's
    # calendars hold it changes (moved, cancelled, scheduled again); its UID never changes.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    head: Mapped[Person] = relationship(foreign_keys=[head_id])
    resolved_by: Mapped[Person | None] = relationship(foreign_keys=[resolved_by_id])
    notes: Mapped[list[InterviewNote]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="InterviewNote.id")
    items: Mapped[list[ImprovementItem]] = relationship(
        back_populates="interview", cascade="all, delete-orphan",
        order_by="ImprovementItem.id")
    goal_drafts: Mapped[list[GoalDraft]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="GoalDraft.id")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def blank(cls, cycle: Cycle, person: Person, head_id: int | None) -> Interview:
        """An interview not scheduled yet (unsaved), for the predicates and pages."""
        return cls(cycle=cycle, person=person, cycle_id=cycle.id, person_id=person.id,
                   head_id=head_id, status=InterviewStatus.SCHEDULED.value, notes=[],
                   items=[], goal_drafts=[], place="", meeting_link="",
                   proposal_note="", person_comment="", appeal_reason="",
                   duration_minutes=60)

    @property
    def state(self) -> InterviewStatus:
        return InterviewStatus(self.status)

    @property
    def is_scheduled(self) -> bool:
        return self.id is not None

    @hybrid_property
    def is_cancelled(self) -> bool:
        """Cancelled by the head (also a SQL expression)."""
        return self.status == InterviewStatus.CANCELLED

    @is_cancelled.inplace.expression
    @classmethod
    def _is_cancelled_expression(cls):
        return cls.status == InterviewStatus.CANCELLED.value

    @hybrid_property
    def is_appealed(self) -> bool:
        """Appealed and not yet resolved by HR (also a SQL expression)."""
        return self.status == InterviewStatus.APPEALED

    @is_appealed.inplace.expression
    @classmethod
    def _is_appealed_expression(cls):
        return cls.status == InterviewStatus.APPEALED.value

    @hybrid_property
    def is_booked(self) -> bool:
        """Scheduled and not held yet (also a SQL expression)."""
        return self.status == InterviewStatus.SCHEDULED

    @is_booked.inplace.expression
    @classmethod
    def _is_booked_expression(cls):
        return cls.status == InterviewStatus.SCHEDULED.value

    @hybrid_property
    def is_under_way(self) -> bool:
        """Booked or being held: neither finished nor cancelled (also a SQL expression)."""
        return self.status in (InterviewStatus.SCHEDULED, InterviewStatus.HELD)

    @is_under_way.inplace.expression
    @classmethod
    def _is_under_way_expression(cls):
        return cls.status.in_([InterviewStatus.SCHEDULED.value, InterviewStatus.HELD.value])

    @hybrid_property
    def is_acknowledged(self) -> bool:
        """The person acknowledged the record (also a SQL expression)."""
        return self.status == InterviewStatus.ACKNOWLEDGED

    @is_acknowledged.inplace.expression
    @classmethod
    def _is_acknowledged_expression(cls):
        return cls.status == InterviewStatus.ACKNOWLEDGED.value

    @hybrid_property
    def is_finished(self) -> bool:
        """The record is finished: the notes no longer change (also a SQL expression)."""
        return self.id is not None and self.state in FINISHED

    @is_finished.inplace.expression
    @classmethod
    def _is_finished_expression(cls):
        return cls.status.in_([s.value for s in FINISHED])

    def note(self, section) -> InterviewNote | None:
        return next((n for n in self.notes if n.section == NoteSection(section).value), None)

    def __repr__(self) -> str:
        return f"<Interview of {self.person_id} in {self.cycle_id} {self.status}>"


class InterviewNote(db.Model):
    """One section of the meeting's notes; every save names the version it was based on."""

    __tablename__ = "interview_note"
    __table_args__ = (
        UniqueConstraint("interview_id", "section", name="uq_interview_note_interview_id_section"),
        CheckConstraint("section IN ('prep', 'strengths', 'improve', 'outcomes', 'person', "
                        "'reply')", name="section_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"))
    section: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    interview: Mapped[Interview] = relationship(back_populates="notes")
    updated_by: Mapped[Person | None] = relationship()
    revisions: Mapped[list[InterviewNoteRevision]] = relationship(
        back_populates="note", cascade="all, delete-orphan",
        order_by="InterviewNoteRevision.id.desc()")

    __mapper_args__ = {"version_id_col": version}

    @property
    def section_kind(self) -> NoteSection:
        return NoteSection(self.section)


class InterviewNoteRevision(db.Model):
    """A saved text of a note section; `refused` marks the text of a stale save, kept so
    that nothing typed is lost."""

    __tablename__ = "interview_note_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("interview_note.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    based_on_version: Mapped[int | None] = mapped_column(Integer)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    note: Mapped[InterviewNote] = relationship(back_populates="revisions")
    saved_by: Mapped[Person] = relationship()


class ImprovementItem(db.Model):
    __tablename__ = "improvement_item"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'dropped')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"), index=True)
    action: Mapped[str] = mapped_column(String(500))
    support: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    interview: Mapped[Interview] = relationship(back_populates="items")
    owner: Mapped[Person] = relationship()
    updates: Mapped[list[ImprovementItemUpdate]] = relationship(
        back_populates="item", order_by="ImprovementItemUpdate.id.desc()")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> ItemStatus:
        return ItemStatus(self.status)

    @property
    def latest(self) -> ImprovementItemUpdate | None:
        """The person's latest report on it in a later cycle, if any."""
        return self.updates[0] if self.updates else None

    @property
    def current_state(self) -> ItemStatus:
        return self.latest.state if self.latest else self.state


class ImprovementItemUpdate(db.Model):
    """How an improvement-plan item is going, reported by the person in a later cycle: the
    tracking belongs to that cycle, so the finished interview's record stays as it was."""

    __tablename__ = "improvement_item_update"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'dropped')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("improvement_item.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ImprovementItem] = relationship(back_populates="updates")
    updated_by: Mapped[Person] = relationship()

    @property
    def state(self) -> ItemStatus:
        return ItemStatus(self.status)


class GoalDraft(db.Model):
    """A goal for the next cycle drafted in the interview; `proposed_cycle_id` is set when
    the next cycle's planning opens and the draft becomes a proposal there."""

    __tablename__ = "goal_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    proposed_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    interview: Mapped[Interview] = relationship(back_populates="goal_drafts")
    proposed_cycle: Mapped[Cycle | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class OutcomeRule(db.Model):
    """What a rating band leads to in a cycle."""

    __tablename__ = "outcome_rule"
    __table_args__ = (
        UniqueConstraint("cycle_id", "band", name="uq_outcome_rule_cycle_id_band"),
        CheckConstraint("bonus_multiplier >= 0 AND bonus_multiplier <= 5",
                        name="multiplier_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    band: Mapped[str] = mapped_column(String(10))
    bonus_multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER, default=Decimal(1))
    promotion: Mapped[bool] = mapped_column(Boolean, default=False)
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    improvement_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Outcome(db.Model):
    """A person's outcome in a cycle: the rule of their final band, or the head's
    recommendation (with a reason); approved by an executive for the department."""

    __tablename__ = "outcome"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id", name="uq_outcome_cycle_id_person_id"),
        CheckConstraint("bonus_multiplier >= 0 AND bonus_multiplier <= 5",
                        name="multiplier_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    band: Mapped[str | None] = mapped_column(String(10))
    bonus_multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER, default=Decimal(1))
    promotion: Mapped[bool] = mapped_column(Boolean, default=False)
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    improvement_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    department: Mapped[Department | None] = relationship()
    overridden_by: Mapped[Person | None] = relationship(foreign_keys=[overridden_by_id])
    approved_by: Mapped[Person | None] = relationship(foreign_keys=[approved_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None
