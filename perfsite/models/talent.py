"""Resource allocation and the talent review (issue 23).

Resource allocation (资源配置, 人员编制):
- TargetAllocation: for a cycle, what an executive gives one strategy target: a budget
  (Numeric(18, 2) in one currency) and a headcount (positions).
- DepartmentAllocation: the part of a target's allocation given to one department whose
  goals support the target. Approved resource requests draw on one of these
  (ResourceRequest.allocation_id); what they draw is the allocation's "committed".

Talent review (人才盘点):
- TalentSettings (one per cycle): how the cycle's rating bands group into the grid's three
  performance columns, and the guidance for each potential level in both languages.
- PotentialAssessment: a head's assessment of one report's potential (low / medium /
  high) with a comment; where HR or an executive moved the person in the grid, the box
  they were moved to; and the development action the head agreed. Never shown to the
  person it is about.
- TalentMove: one move between boxes, with its reason (like a calibration move).
- KeyPosition: a person's role marked as key by HR; Successor: a candidate for it with
  their readiness.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cycle import Cycle
from .org import Department, Person
from .planning import StrategyTarget
from .types import UTCDateTime, utcnow

MONEY = Numeric(18, 2)

# ISO 4217 codes offered for budgets; amounts in one target's allocation share its currency.
CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD")


class Level(enum.StrEnum):
    """A step of either axis of the grid: potential, and performance grouped in three."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self):
        return LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self)


LEVEL_ORDER = [Level.LOW, Level.MEDIUM, Level.HIGH]

LEVEL_LABELS = {
    Level.LOW: _l("Low"),
    Level.MEDIUM: _l("Medium"),
    Level.HIGH: _l("High"),
}


class Readiness(enum.StrEnum):
    READY_NOW = "ready_now"
    ONE_TWO_YEARS = "one_two_years"
    LATER = "later"

    @property
    def label(self):
        return READINESS_LABELS[self]


READINESS_LABELS = {
    Readiness.READY_NOW: _l("Ready now"),
    Readiness.ONE_TWO_YEARS: _l("Ready in 1–2 years"),
    Readiness.LATER: _l("Ready later"),
}

LEVELS_SQL = "('low', 'medium', 'high')"

_H, _M, _L = Level.HIGH, Level.MEDIUM, Level.LOW
# The talent review's nine boxes by (performance, potential), named.
BOX_NAMES = {
    (_H, _H): _l("Star"), (_M, _H): _l("High potential"), (_L, _H): _l("Rough diamond"),
    (_H, _M): _l("High performer"), (_M, _M): _l("Core player"), (_L, _M): _l("Inconsistent"),
    (_H, _L): _l("Trusted professional"), (_M, _L): _l("Effective"),
    (_L, _L): _l("Under-performer"),
}


class TargetAllocation(db.Model):
    """What a strategy target gets for its cycle: budget (in `currency`) and headcount."""

    __tablename__ = "target_allocation"
    __table_args__ = (
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    # One allocation per target: also what makes a double-clicked "allocate" save one.
    target_id: Mapped[int] = mapped_column(ForeignKey("strategy_target.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    target: Mapped[StrategyTarget] = relationship()
    updated_by: Mapped[Person] = relationship()
    shares: Mapped[list[DepartmentAllocation]] = relationship(
        back_populates="target_allocation", order_by="DepartmentAllocation.id")

    __mapper_args__ = {"version_id_col": version}


class DepartmentAllocation(db.Model):
    """A department's share of a target's allocation; requests draw on it."""

    __tablename__ = "department_allocation"
    __table_args__ = (
        UniqueConstraint("target_allocation_id", "department_id",
                         name="uq_department_allocation_target_allocation_id_department_id"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_allocation_id: Mapped[int] = mapped_column(ForeignKey("target_allocation.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    budget: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    target_allocation: Mapped[TargetAllocation] = relationship(back_populates="shares")
    cycle: Mapped[Cycle] = relationship()
    department: Mapped[Department] = relationship()

    __mapper_args__ = {"version_id_col": version}


class TalentSettings(db.Model):
    """A cycle's talent review settings. `columns` maps each rating band code to the
    grid column ("low", "medium", "high") it falls in; `guidance` is
    {level: {"en": ..., "zh": ...}} for the potential levels."""

    __tablename__ = "talent_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    columns: Mapped[dict] = mapped_column(db.JSON, default=dict)
    guidance: Mapped[dict] = mapped_column(db.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()

    __mapper_args__ = {"version_id_col": version}


class PotentialAssessment(db.Model):
    """A person's potential in a cycle, assessed by their head; where the talent review
    moved them, and the development action their head agreed."""

    __tablename__ = "potential_assessment"
    __table_args__ = (
        # One per person and cycle: also what makes a double-clicked save create one.
        UniqueConstraint("cycle_id", "person_id",
                         name="uq_potential_assessment_cycle_id_person_id"),
        CheckConstraint(f"potential IN {LEVELS_SQL}", name="potential_known"),
        CheckConstraint(f"moved_performance IS NULL OR moved_performance IN {LEVELS_SQL}",
                        name="moved_performance_known"),
        CheckConstraint(f"moved_potential IS NULL OR moved_potential IN {LEVELS_SQL}",
                        name="moved_potential_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    potential: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The box the talent review moved the person to (both None until someone moves them).
    moved_performance: Mapped[str | None] = mapped_column(String(10))
    moved_potential: Mapped[str | None] = mapped_column(String(10))
    agreed_action: Mapped[str] = mapped_column(Text, default="")
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    assessed_by: Mapped[Person] = relationship(foreign_keys=[assessed_by_id])
    agreed_by: Mapped[Person | None] = relationship(foreign_keys=[agreed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def level(self) -> Level:
        return Level(self.potential)

    @property
    def is_moved(self) -> bool:
        return self.moved_performance is not None


class TalentMove(db.Model):
    """One move of a person between the grid's boxes in a talent review, with its reason."""

    __tablename__ = "talent_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("potential_assessment.id"),
                                               index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    # Boxes as "performance/potential", e.g. "medium/high".
    from_box: Mapped[str] = mapped_column(String(21))
    to_box: Mapped[str] = mapped_column(String(21))
    reason: Mapped[str] = mapped_column(Text)
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[PotentialAssessment] = relationship()
    moved_by: Mapped[Person] = relationship()


class KeyPosition(db.Model):
    """A role that must not stay empty: the position `holder` fills, marked by HR."""

    __tablename__ = "key_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One key position per holder: also what makes a double-clicked "mark" save one.
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    holder: Mapped[Person] = relationship(foreign_keys=[holder_id])
    successors: Mapped[list[Successor]] = relationship(
        back_populates="position", order_by="Successor.id", cascade="all, delete-orphan")


class Successor(db.Model):
    """A successor candidate for a key position, with their readiness."""

    __tablename__ = "successor"
    __table_args__ = (
        UniqueConstraint("position_id", "candidate_id",
                         name="uq_successor_position_id_candidate_id"),
        CheckConstraint("readiness IN ('ready_now', 'one_two_years', 'later')",
                        name="readiness_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("key_position.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    readiness: Mapped[str] = mapped_column(String(20))
    named_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    position: Mapped[KeyPosition] = relationship(back_populates="successors")
    candidate: Mapped[Person] = relationship(foreign_keys=[candidate_id])
    named_by: Mapped[Person] = relationship(foreign_keys=[named_by_id])

    @property
    def state(self) -> Readiness:
        return Readiness(self.readiness)
