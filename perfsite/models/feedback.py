"""360-degree feedback: who is asked for feedback on whom, and what they answered.

- FeedbackSettings (one per cycle, defaults until HR saves them): how many peers a person
  nominates (3–8 by default), when feedback opens before the review phase, whether the
  subject reads their own 360 report, and how much the peers' and the direct reports'
  averages weigh in the competency score beside the manager's ratings (100). The anonymity
  threshold is the cycle's own (`Cycle.anonymity_threshold`, never below 2).
- FeedbackRequest: one rater asked for feedback on one subject in one cycle, in a rater
  group (manager: attributed; peer and report: anonymous). Peers are nominated (by the
  subject, awaiting their head's approval) or added by the head; the manager's and the
  direct reports' (upward) requests are made when the head approves the list. A rater
  declines with a reason, or drafts and submits their answer: a rating per competency
  (FeedbackRating) and two comments. Submitted is final (only HR reopens it, logged).

- FeedbackRelease: an anonymous group's results (averages, comments, how many answered) as
  published, frozen: reports read releases, never the live answers
  (perfsite/feedback/services/releases.py says when a group is released).

Anonymity lives in the services (perfsite/feedback/services/report.py): nothing outside a
rater's own card reads one request's answers; pages get group aggregates only.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cycle import Cycle
from .org import Person
from .planning import WEIGHT
from .review import Competency
from .types import UTCDateTime, utcnow


class FeedbackGroup(enum.StrEnum):
    MANAGER = "manager"
    PEER = "peer"
    REPORT = "report"

    @property
    def label(self):
        return FEEDBACK_GROUP_LABELS[self]

    @property
    def anonymous(self) -> bool:
        return self is not FeedbackGroup.MANAGER


FEEDBACK_GROUP_LABELS = {
    FeedbackGroup.MANAGER: _l("Manager"),
    FeedbackGroup.PEER: _l("Peers"),
    FeedbackGroup.REPORT: _l("Direct reports"),
}


class FeedbackStatus(enum.StrEnum):
    NOMINATED = "nominated"  # proposed by the subject, awaiting the head's approval
    REQUESTED = "requested"  # approved: waiting for the rater (a draft, maybe)
    DECLINED = "declined"
    REMOVED = "removed"
    SUBMITTED = "submitted"

    @property
    def label(self):
        return FEEDBACK_STATUS_LABELS[self]


FEEDBACK_STATUS_LABELS = {
    FeedbackStatus.NOMINATED: _l("Awaiting approval"),
    FeedbackStatus.REQUESTED: _l("Asked"),
    FeedbackStatus.DECLINED: _l("Declined"),
    FeedbackStatus.REMOVED: _l("Removed"),
    FeedbackStatus.SUBMITTED: _l("Submitted"),
}

# The requests that count towards a person's raters.
ACTIVE_STATUSES = (FeedbackStatus.NOMINATED.value, FeedbackStatus.REQUESTED.value,
                   FeedbackStatus.SUBMITTED.value)


class FeedbackSettings(db.Model):
    """A cycle's 360 settings (see the module)."""

    __tablename__ = "feedback_settings"
    __table_args__ = (
        CheckConstraint("min_raters >= 1 AND max_raters >= min_raters AND max_raters <= 20",
                        name="raters_in_range"),
        CheckConstraint("peers_weight BETWEEN 0 AND 100 AND reports_weight BETWEEN 0 AND 100",
                        name="weights_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    min_raters: Mapped[int] = mapped_column(Integer, default=3)
    max_raters: Mapped[int] = mapped_column(Integer, default=8)
    # Feedback opens with the review phase, or on this date while the cycle is in progress.
    opens_on: Mapped[date | None] = mapped_column(Date)
    subject_sees_report: Mapped[bool] = mapped_column(Boolean, default=True)
    peers_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(50))
    reports_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(50))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()

    __mapper_args__ = {"version_id_col": version}

    # Until HR saves them: 3 to 8 raters, feedback opens with the review phase, the subject
    # reads their report, peers and direct reports weigh 50 each.
    DEFAULTS = {"min_raters": 3, "max_raters": 8, "opens_on": None,
                "subject_sees_report": True, "peers_weight": Decimal("50.00"),
                "reports_weight": Decimal("50.00")}

    @classmethod
    def of(cls, cycle: Cycle) -> FeedbackSettings:
        """The cycle's saved 360 settings, or its defaults (not saved); read once per
        request (or until the session commits or rolls back: perfsite/areas.py forgets
        them then), since every feedback predicate asks."""
        cache = g.setdefault("_feedback_settings", {}) if has_app_context() else {}
        found = cache.get(cycle.id)
        if found is None:
            found = db.session.scalar(select(cls).where(cls.cycle_id == cycle.id)) or cls(
                cycle=cycle, cycle_id=cycle.id, **cls.DEFAULTS)
            cache[cycle.id] = found
        return found


class FeedbackRequest(db.Model):
    """One rater asked for feedback on one subject in one cycle, and their answer."""

    __tablename__ = "feedback_request"
    __table_args__ = (
        # One request per rater and subject in a cycle: also what makes a double-clicked
        # nomination save once.
        UniqueConstraint("cycle_id", "subject_id", "rater_id",
                         name="uq_feedback_request_cycle_id_subject_id_rater_id"),
        CheckConstraint("rater_group IN ('manager', 'peer', 'report')", name="group_known"),
        CheckConstraint("status IN ('nominated', 'requested', 'declined', 'removed', "
                        "'submitted')", name="status_known"),
        CheckConstraint("subject_id <> rater_id", name="not_own_rater"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    rater_group: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=FeedbackStatus.REQUESTED.value)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # A declined request whose replacement has been picked.
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_doing: Mapped[str] = mapped_column(Text, default="")
    improve: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    subject: Mapped[Person] = relationship(foreign_keys=[subject_id])
    rater: Mapped[Person] = relationship(foreign_keys=[rater_id])
    ratings: Mapped[list[FeedbackRating]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="FeedbackRating.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def group(self) -> FeedbackGroup:
        return FeedbackGroup(self.rater_group)

    @property
    def state(self) -> FeedbackStatus:
        return FeedbackStatus(self.status)

    @hybrid_property
    def is_submitted(self) -> bool:
        """Answered (also a SQL expression)."""
        return self.status == FeedbackStatus.SUBMITTED

    @is_submitted.inplace.expression
    @classmethod
    def _is_submitted_expression(cls):
        return cls.status == FeedbackStatus.SUBMITTED.value

    @hybrid_property
    def awaiting_approval(self) -> bool:
        """Nominated: waiting for the head to approve the rater (also a SQL expression)."""
        return self.status == FeedbackStatus.NOMINATED

    @awaiting_approval.inplace.expression
    @classmethod
    def _awaiting_approval_expression(cls):
        return cls.status == FeedbackStatus.NOMINATED.value

    @hybrid_property
    def is_open(self) -> bool:
        """Waiting for the rater's answer (also a SQL expression)."""
        return self.status == FeedbackStatus.REQUESTED

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.status == FeedbackStatus.REQUESTED.value

    @hybrid_property
    def is_asked(self) -> bool:
        """Asked of the rater: waiting for the answer, or answered (also a SQL expression)."""
        return self.status in (FeedbackStatus.REQUESTED, FeedbackStatus.SUBMITTED)

    @is_asked.inplace.expression
    @classmethod
    def _is_asked_expression(cls):
        return cls.status.in_([FeedbackStatus.REQUESTED.value, FeedbackStatus.SUBMITTED.value])

    @hybrid_property
    def is_active(self) -> bool:
        """Counts towards the subject's raters: nominated, asked or answered (also a SQL
        expression)."""
        return self.status in ACTIVE_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return cls.status.in_(ACTIVE_STATUSES)

    @hybrid_property
    def is_declined(self) -> bool:
        """The rater declined (also a SQL expression)."""
        return self.status == FeedbackStatus.DECLINED

    @is_declined.inplace.expression
    @classmethod
    def _is_declined_expression(cls):
        return cls.status == FeedbackStatus.DECLINED.value

    @hybrid_property
    def is_removed(self) -> bool:
        """Taken off the list (also a SQL expression)."""
        return self.status == FeedbackStatus.REMOVED

    @is_removed.inplace.expression
    @classmethod
    def _is_removed_expression(cls):
        return cls.status == FeedbackStatus.REMOVED.value

    @hybrid_property
    def awaits_head(self) -> bool:
        """The head's to act: a nomination to approve, or a declined rater not yet replaced
        (also a SQL expression)."""
        return self.awaiting_approval or (self.is_declined and not self.replaced)

    @awaits_head.inplace.expression
    @classmethod
    def _awaits_head_expression(cls):
        return or_(cls.status == FeedbackStatus.NOMINATED.value,
                   and_(cls.status == FeedbackStatus.DECLINED.value, cls.replaced.is_(False)))

    def rating_for(self, competency_id: int) -> FeedbackRating | None:
        return next((r for r in self.ratings if r.competency_id == competency_id), None)

    def __repr__(self) -> str:
        return (f"<FeedbackRequest {self.rater_group} on {self.subject_id} in {self.cycle_id} "
                f"{self.status}>")


class FeedbackRating(db.Model):
    """A feedback answer's rating of one competency (on the cycle's scale)."""

    __tablename__ = "feedback_rating"
    __table_args__ = (
        UniqueConstraint("request_id", "competency_id",
                         name="uq_feedback_rating_request_id_competency_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="rating_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("feedback_request.id"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[FeedbackRequest] = relationship(back_populates="ratings")
    competency: Mapped[Competency] = relationship()


class FeedbackRelease(db.Model):
    """One anonymous group's results about one person in one cycle, as published: frozen.

    `averages` maps a competency id (as text) to its average ("4.33") or None; `comments`
    is the list of {"kind", "text"} in the report's order (no author, no date). `basis`
    holds, per answer that went in, a keyed fingerprint of its content, so that the next
    release can tell how many answers changed since; it is never shown."""

    __tablename__ = "feedback_release"
    __table_args__ = (
        UniqueConstraint("cycle_id", "subject_id", "rater_group", "number",
                         name="uq_feedback_release_cycle_id_subject_id_rater_group_number"),
        CheckConstraint("rater_group IN ('peer', 'report')", name="anonymous_group"),
        CheckConstraint("responses >= 2", name="never_below_two"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    rater_group: Mapped[str] = mapped_column(String(10))
    number: Mapped[int] = mapped_column(Integer, default=1)
    threshold: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer)
    averages: Mapped[dict] = mapped_column(db.JSON, default=dict)
    comments: Mapped[list] = mapped_column(db.JSON, default=list)
    basis: Mapped[dict] = mapped_column(db.JSON, default=dict)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    @property
    def group(self) -> FeedbackGroup:
        return FeedbackGroup(self.rater_group)

    def __repr__(self) -> str:
        return (f"<FeedbackRelease {self.rater_group} on {self.subject_id} in {self.cycle_id} "
                f"#{self.number}>")
