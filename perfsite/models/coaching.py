"""During the cycle: check-ins, obstacles, resource requests, coaching and notifications.

A CheckIn records where a KPI stands; obstacles and resource requests are tracked items
with an owner (the head responsible for the person) and a decision, never free text that
gets lost; coaching comments answer check-ins; private notes help a head prepare reviews
and are never shown to the person they are about. Notifications store a kind and its
parameters and are translated when shown. ReminderLog remembers which to-do was e-mailed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    from .talent import DepartmentAllocation
from .cycle import Cycle
from .org import Person
from .planning import VALUE, WEIGHTED, Kpi
from .types import UTCDateTime, utcnow


class CheckInStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self):
        return CHECKIN_STATUS_LABELS[self]


CHECKIN_STATUS_LABELS = {
    CheckInStatus.ON_TRACK: _l("On track"),
    CheckInStatus.AT_RISK: _l("At risk"),
    CheckInStatus.OFF_TRACK: _l("Off track"),
}


class ObstacleStatus(enum.StrEnum):
    OPEN = "open"
    IN_HAND = "in_hand"
    RESOLVED = "resolved"

    @property
    def label(self):
        return {ObstacleStatus.OPEN: _l("Open"), ObstacleStatus.IN_HAND: _l("In hand"),
                ObstacleStatus.RESOLVED: _l("Resolved")}[self]


class RequestKind(enum.StrEnum):
    PEOPLE = "people"
    BUDGET = "budget"
    TOOLS = "tools"
    TRAINING = "training"

    @property
    def label(self):
        return {RequestKind.PEOPLE: _l("People"), RequestKind.BUDGET: _l("Budget"),
                RequestKind.TOOLS: _l("Tools"), RequestKind.TRAINING: _l("Training")}[self]


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    DECLINED = "declined"
    ESCALATED = "escalated"

    @property
    def label(self):
        return {RequestStatus.OPEN: _l("Open"), RequestStatus.APPROVED: _l("Approved"),
                RequestStatus.DECLINED: _l("Declined"),
                RequestStatus.ESCALATED: _l("Escalated")}[self]


class CheckIn(db.Model):
    """Where a KPI stands, reported by its owner. `late` when posted during review."""

    __tablename__ = "check_in"
    __table_args__ = (
        CheckConstraint("status IN ('on_track', 'at_risk', 'off_track')", name="status_known"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 5",
                        name="confidence_in_range"),
        # A KPI's timeline, newest first, and its latest status.
        Index("ix_check_in_kpi_id_created_at", "kpi_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    actual_value: Mapped[Decimal] = mapped_column(VALUE)
    status: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    kpi: Mapped[Kpi] = relationship()
    author: Mapped[Person] = relationship()
    comments: Mapped[list[CoachingComment]] = relationship(
        back_populates="check_in", order_by="CoachingComment.id")

    @property
    def state(self) -> CheckInStatus:
        return CheckInStatus(self.status)


class TargetTrendPoint(db.Model):
    """What one month's check-ins reported for a strategy target, per department: over the
    check-ins (in that UTC month) on the department's counting KPIs aligned to the target,
    Σ(KPI weight × progress of the check-in's value) and Σ KPI weight. The dashboards'
    trend is their ratio. Kept in the same transaction as every check-in and every change
    to a KPI or goal that moves it (dashboards.services.trends), so no dashboard reads
    check-ins."""

    __tablename__ = "target_trend_point"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_target.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    weighted_sum: Mapped[Decimal] = mapped_column(WEIGHTED)
    weight_sum: Mapped[Decimal] = mapped_column(WEIGHTED)


class TodoCount(db.Model):
    """A person's open to-dos, counted by kind and listed (coaching.services.kept_todos): what
    the badge, home, "my dashboard" and the to-dos page read, one row. `items` holds each
    to-do's kind, key, where it is done and its words as message id and parameters (worded
    in the reader's language when read, never stored translated). Written in the same
    transaction as the change that opens or closes one;
    `stale` when a change reached the whole company (a phase moved, the org chart changed)
    and `expires_at` when a to-do appears with time alone (a check-in falls due): either
    way the next read counts afresh and keeps the answer."""

    __tablename__ = "todo_count"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    counts: Mapped[dict] = mapped_column(db.JSON, default=dict)  # kind -> how many
    total: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[list | None] = mapped_column(db.JSON)  # kept_todos.encode, in list order
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DepartmentFigure(db.Model):
    """A department's summary figures in one cycle (dashboards.services.kept_figures): what
    the company, head and HR dashboards read instead of counting the cycle's KPIs, plans and
    reviews. Written in the same transaction as the change that moves them. `department_id`
    0 stands for the people without a department, and -1 for the cycle itself: its row says
    that every department of the cycle has been counted (no foreign key, for those two).
    `stale` when a change reached the whole company (a phase moved, the org chart imported);
    `expires_at` when time alone moves a figure (a check-in falls due): either way the next
    read counts the department afresh and keeps the answer."""

    __tablename__ = "department_figure"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycle.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True,
                                               autoincrement=False)
    people: Mapped[int] = mapped_column(Integer, default=0)  # active, with a plan
    plans_approved: Mapped[int] = mapped_column(Integer, default=0)
    kpis: Mapped[int] = mapped_column(Integer, default=0)  # counting KPIs
    kpis_checked_in: Mapped[int] = mapped_column(Integer, default=0)
    on_track: Mapped[int] = mapped_column(Integer, default=0)
    at_risk: Mapped[int] = mapped_column(Integer, default=0)
    off_track: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)  # as of counted_at
    people_overdue: Mapped[int] = mapped_column(Integer, default=0)
    late_people: Mapped[list] = mapped_column(db.JSON, default=list)  # [[overdue, id], ...]
    self_done: Mapped[int] = mapped_column(Integer, default=0)
    manager_done: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[dict] = mapped_column(db.JSON, default=dict)  # band -> how many
    # the department's goals with the most KPIs off track or at risk (of anyone's plan):
    # [[goal id, at risk, off track], ...]
    goals_at_risk: Mapped[list] = mapped_column(db.JSON, default=list)
    # the open obstacles / resource requests raised by the department's people:
    # {"counts": {status: n}, "overdue": n, "oldest": [[raised at, id], ...]}
    open_obstacles: Mapped[dict] = mapped_column(db.JSON, default=dict,
                                                 server_default=text("'{}'"))
    open_requests: Mapped[dict] = mapped_column(db.JSON, default=dict,
                                                server_default=text("'{}'"))
    # the 360 feedback requests on the department's people: status -> how many
    feedback: Mapped[dict] = mapped_column(db.JSON, default=dict, server_default=text("'{}'"))
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _TrackedItem:
    """What obstacles and resource requests share: who raised it, who owns it, when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Obstacle(_TrackedItem, db.Model):
    """Something in the way of a KPI; the owner takes it in hand and resolves it."""

    __tablename__ = "obstacle"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_hand', 'resolved')", name="status_known"),
        # HR's overview lists them oldest first, a page at a time.
        Index("ix_obstacle_created_at_id", "created_at", "id"),
    )

    description: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    kpi: Mapped[Kpi] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()
    raised_by: Mapped[Person] = relationship(foreign_keys="Obstacle.raised_by_id")
    owner: Mapped[Person] = relationship(foreign_keys="Obstacle.owner_id")
    resolved_by: Mapped[Person | None] = relationship(foreign_keys="Obstacle.resolved_by_id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> ObstacleStatus:
        return ObstacleStatus(self.status)

    OPEN_STATES = (ObstacleStatus.OPEN.value, ObstacleStatus.IN_HAND.value)

    @hybrid_property
    def is_open(self) -> bool:
        """Not resolved yet (also a SQL expression)."""
        return self.status in self.OPEN_STATES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.status.in_(cls.OPEN_STATES)


class ResourceRequest(_TrackedItem, db.Model):
    """A need (people, budget, tools, training): the owner approves, declines or escalates
    it to an executive, who then decides."""

    __tablename__ = "resource_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'approved', 'declined', 'escalated')",
                        name="status_known"),
        CheckConstraint("kind IN ('people', 'budget', 'tools', 'training')", name="kind_known"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
        Index("ix_resource_request_created_at_id", "created_at", "id"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")
    needed_by: Mapped[date | None] = mapped_column(Date)
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # resource allocation (perfsite/talent): what an approved request draws on, how much,
    # and why an executive let it go beyond what was left
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("department_allocation.id"),
                                                      index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    headcount: Mapped[int | None] = mapped_column(Integer)
    over_allocation_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    kpi: Mapped[Kpi] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()
    raised_by: Mapped[Person] = relationship(foreign_keys="ResourceRequest.raised_by_id")
    owner: Mapped[Person] = relationship(foreign_keys="ResourceRequest.owner_id")
    decided_by: Mapped[Person | None] = relationship(foreign_keys="ResourceRequest.decided_by_id")
    escalated_to: Mapped[Person | None] = relationship(
        foreign_keys="ResourceRequest.escalated_to_id")
    allocation: Mapped[DepartmentAllocation | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> RequestStatus:
        return RequestStatus(self.status)

    @property
    def kind_label(self):
        return RequestKind(self.kind).label

    OPEN_STATES = (RequestStatus.OPEN.value, RequestStatus.ESCALATED.value)

    @hybrid_property
    def is_open(self) -> bool:
        """Not decided yet (also a SQL expression)."""
        return self.status in self.OPEN_STATES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.status.in_(cls.OPEN_STATES)

    @hybrid_property
    def is_with_owner(self) -> bool:
        """Open and with its owner to decide (also a SQL expression)."""
        return self.status == RequestStatus.OPEN

    @is_with_owner.inplace.expression
    @classmethod
    def _is_with_owner_expression(cls):
        return cls.status == RequestStatus.OPEN.value

    @hybrid_property
    def is_escalated(self) -> bool:
        """Escalated: with the executive to decide (also a SQL expression)."""
        return self.status == RequestStatus.ESCALATED

    @is_escalated.inplace.expression
    @classmethod
    def _is_escalated_expression(cls):
        return cls.status == RequestStatus.ESCALATED.value

    @hybrid_property
    def is_approved(self) -> bool:
        """Approved: it draws on its allocation (also a SQL expression)."""
        return self.status == RequestStatus.APPROVED

    @is_approved.inplace.expression
    @classmethod
    def _is_approved_expression(cls):
        return cls.status == RequestStatus.APPROVED.value


class CoachingComment(db.Model):
    """A head's reply to a check-in; the person sees it until they mark it read."""

    __tablename__ = "coaching_comment"
    __table_args__ = (Index("ix_coaching_comment_person_id_read_at", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_in.id"), index=True)
    # The person coached (the check-in's author), kept here for their to-do list.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    check_in: Mapped[CheckIn] = relationship(back_populates="comments")
    author: Mapped[Person] = relationship(foreign_keys=[author_id])


class PrivateNote(db.Model):
    """A head's note on a person for preparing the review. Never shown to that person."""

    __tablename__ = "private_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person] = relationship(foreign_keys=[author_id])


class Notification(db.Model):
    """An in-app message: `kind` and `params` are turned into text when shown, in the
    reader's language."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient_id_read_at", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # What it is about, as "obstacle:12"; turned into a link when shown.
    subject: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderLog(db.Model):
    """One to-do e-mailed to one person; the unique key makes sure it is sent once."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("person_id", "item_key",
                                       name="uq_reminder_log_person_id_item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    item_key: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
