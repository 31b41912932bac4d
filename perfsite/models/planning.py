"""Performance planning: strategy targets, department goals, personal plans and KPIs.

The cascade: an executive's StrategyTarget -> DepartmentGoals aligned to it (a goal may
instead be department-only, or support another department's goal it contributes to) ->
each person's KPIs aligned to a department goal. Weights are Decimal (Numeric(6,2)) end to
end; measured values are Numeric(18,4).
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
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cycle import Cycle
from .org import Department, Person
from .types import UTCDateTime, utcnow

WEIGHT = Numeric(6, 2)
VALUE = Numeric(18, 4)
# Sums of weights and of weight x progress (two plus four decimals).
WEIGHTED = Numeric(20, 6)


class MetricType(enum.StrEnum):
    NUMERIC = "numeric"
    PERCENTAGE = "percentage"
    MILESTONE = "milestone"

    @property
    def label(self):
        return METRIC_LABELS[self]


METRIC_LABELS = {
    MetricType.NUMERIC: _l("Number"),
    MetricType.PERCENTAGE: _l("Percentage"),
    MetricType.MILESTONE: _l("Milestone (done or not)"),
}


class TargetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    @property
    def label(self):
        return TARGET_STATUS_LABELS[self]


TARGET_STATUS_LABELS = {
    TargetStatus.DRAFT: _l("Draft"),
    TargetStatus.PUBLISHED: _l("Published"),
    TargetStatus.RETIRED: _l("Retired"),
}


class DepartmentPlanStatus(enum.StrEnum):
    DRAFT = "draft"
    READY = "ready"

    @property
    def label(self):
        return {DepartmentPlanStatus.DRAFT: _l("Draft"),
                DepartmentPlanStatus.READY: _l("Ready")}[self]


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self):
        return PLAN_STATUS_LABELS[self]


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("Submitted"),
    PlanStatus.APPROVED: _l("Approved"),
    PlanStatus.RETURNED: _l("Returned"),
}


class KpiOrigin(enum.StrEnum):
    ASSIGNED = "assigned"
    PROPOSED = "proposed"

    @property
    def label(self):
        return {KpiOrigin.ASSIGNED: _l("Assigned by the head"),
                KpiOrigin.PROPOSED: _l("Proposed by the person")}[self]


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self):
        return {ProposalStatus.PENDING: _l("Proposed, awaiting the head"),
                ProposalStatus.ACCEPTED: _l("Proposal accepted"),
                ProposalStatus.DECLINED: _l("Proposal declined")}[self]


class MeasuredMixin:
    """What every level measures: a metric, where it starts, where it should end."""

    metric_type: Mapped[str] = mapped_column(String(20), default=MetricType.NUMERIC.value)
    baseline: Mapped[Decimal] = mapped_column(VALUE, default=Decimal(0))
    target_value: Mapped[Decimal] = mapped_column(VALUE)
    unit: Mapped[str] = mapped_column(String(30), default="")

    @property
    def metric(self) -> MetricType:
        return MetricType(self.metric_type)


class StrategyTarget(MeasuredMixin, db.Model):
    """A company target for a cycle, owned by an executive. Drafts are private to
    executives; published and retired targets are visible to everyone."""

    __tablename__ = "strategy_target"
    __table_args__ = (
        CheckConstraint("metric_type IN ('numeric', 'percentage', 'milestone')",
                        name="metric_type_known"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status_known"),
        # Also what makes a double-clicked "create" save one target, not two.
        UniqueConstraint("cycle_id", "title", name="uq_strategy_target_cycle_id_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (cycle_id, title) constraint is the index for a cycle's targets.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=TargetStatus.DRAFT.value)
    # 0 while a draft; publishing makes revision 1, every later revision adds one.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    owner: Mapped[Person | None] = relationship()
    revisions: Mapped[list[TargetRevision]] = relationship(
        back_populates="target", order_by="TargetRevision.revision.desc()",
        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> TargetStatus:
        return TargetStatus(self.status)

    @hybrid_property
    def is_draft(self) -> bool:
        """Not published yet: only planners see it (also a SQL expression)."""
        return self.status == TargetStatus.DRAFT

    @is_draft.inplace.expression
    @classmethod
    def _is_draft_expression(cls):
        return cls.status == TargetStatus.DRAFT.value

    @hybrid_property
    def is_published(self) -> bool:
        """Published: goals may align to it (also a SQL expression)."""
        return self.status == TargetStatus.PUBLISHED

    @is_published.inplace.expression
    @classmethod
    def _is_published_expression(cls):
        return cls.status == TargetStatus.PUBLISHED.value

    @hybrid_property
    def is_retired(self) -> bool:
        """Retired: still shown, last, but no longer aligned to (also a SQL expression)."""
        return self.status == TargetStatus.RETIRED

    @is_retired.inplace.expression
    @classmethod
    def _is_retired_expression(cls):
        return cls.status == TargetStatus.RETIRED.value

    def __repr__(self) -> str:
        return f"<StrategyTarget {self.id} {self.title!r} r{self.revision}>"


class TargetRevision(db.Model):
    """One published version of a target: the values as they were, and why they changed."""

    __tablename__ = "target_revision"
    __table_args__ = (UniqueConstraint("target_id", "revision",
                                       name="uq_target_revision_target_id_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (target_id, revision) constraint is the index for a target's history.
    target_id: Mapped[int] = mapped_column(ForeignKey("strategy_target.id"))
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(db.JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    target: Mapped[StrategyTarget] = relationship(back_populates="revisions")
    changed_by: Mapped[Person | None] = relationship()


class DepartmentGoal(MeasuredMixin, db.Model):
    """A department's goal for a cycle. It aligns to one strategy target, or supports a
    goal of another department that names this one as a contributor, or neither
    (a department-only goal)."""

    __tablename__ = "department_goal"
    __table_args__ = (
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_in_range"),
        CheckConstraint("metric_type IN ('numeric', 'percentage', 'milestone')",
                        name="metric_type_known"),
        # Pages filter by (cycle, department): this index serves them and cycle-only
        # lookups, and makes a double-clicked "create" save one goal, not two.
        UniqueConstraint("cycle_id", "department_id", "title",
                         name="uq_department_goal_cycle_id_department_id_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_target.id"), index=True)
    supports_goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("department_goal.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    due_date: Mapped[date | None] = mapped_column(Date)
    actual_value: Mapped[Decimal | None] = mapped_column(VALUE)
    needs_realignment: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The counting KPIs aligned to this goal, summed: how many, their weights, and weight x
    # progress. Written only by planning.services.progress whenever a KPI is flushed, in
    # the same transaction, so that a page (or a target's progress) reads one row per goal
    # instead of every KPI.
    kpi_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kpi_weight_sum: Mapped[Decimal] = mapped_column(WEIGHTED, default=Decimal(0),
                                                    server_default="0")
    kpi_progress_sum: Mapped[Decimal] = mapped_column(WEIGHTED, default=Decimal(0),
                                                      server_default="0")

    cycle: Mapped[Cycle] = relationship()
    department: Mapped[Department] = relationship()
    target: Mapped[StrategyTarget | None] = relationship()
    supports_goal: Mapped[DepartmentGoal | None] = relationship(remote_side=[id])
    contributors: Mapped[list[GoalContributor]] = relationship(
        back_populates="goal", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<DepartmentGoal {self.id} {self.title!r}>"


class GoalContributor(db.Model):
    """A department that helps with another department's goal: its people see the goal
    and may align their own goals and KPIs to it."""

    __tablename__ = "goal_contributor"

    goal_id: Mapped[int] = mapped_column(ForeignKey("department_goal.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True,
                                               index=True)

    goal: Mapped[DepartmentGoal] = relationship(back_populates="contributors")
    department: Mapped[Department] = relationship()


class DepartmentPlan(db.Model):
    """A department's plan for a cycle: ready once its goal weights add up to 100."""

    __tablename__ = "department_plan"
    __table_args__ = (
        UniqueConstraint("cycle_id", "department_id",
                         name="uq_department_plan_cycle_id_department_id"),
        CheckConstraint("status IN ('draft', 'ready')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (cycle_id, department_id) constraint is the index for cycle lookups.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DepartmentPlanStatus.DRAFT.value)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    department: Mapped[Department] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> DepartmentPlanStatus:
        return DepartmentPlanStatus(self.status)

    @property
    def is_ready(self) -> bool:
        return self.status == DepartmentPlanStatus.READY


class PersonalPlan(db.Model):
    """A person's plan for a cycle: their KPIs, and where the plan stands."""

    __tablename__ = "personal_plan"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id", name="uq_personal_plan_cycle_id_person_id"),
        CheckConstraint("status IN ('draft', 'submitted', 'approved', 'returned')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (cycle_id, person_id) constraint is the index for cycle lookups.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT.value, index=True)
    return_comment: Mapped[str] = mapped_column(Text, default="")
    # How many times an approved plan was reopened for revision.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    approved_by: Mapped[Person | None] = relationship(foreign_keys=[approved_by_id])
    kpis: Mapped[list[Kpi]] = relationship(back_populates="plan", order_by="Kpi.id",
                                           cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state(self) -> PlanStatus:
        return PlanStatus(self.status)

    OPEN_STATES = (PlanStatus.DRAFT.value, PlanStatus.RETURNED.value)

    @hybrid_property
    def awaiting_approval(self) -> bool:
        """Submitted: waiting for the approver (also a SQL expression)."""
        return self.status == PlanStatus.SUBMITTED

    @awaiting_approval.inplace.expression
    @classmethod
    def _awaiting_approval_expression(cls):
        return cls.status == PlanStatus.SUBMITTED.value

    @property
    def is_returned(self) -> bool:
        """Sent back by the approver: the person revises and resubmits it."""
        return self.status == PlanStatus.RETURNED

    @property
    def returned_comment(self) -> str:
        """The head's comment while the plan is back with the person."""
        return self.return_comment if self.status == PlanStatus.RETURNED else ""

    @hybrid_property
    def is_approved(self) -> bool:
        """Approved: the plan the person works to (also a SQL expression)."""
        return self.status == PlanStatus.APPROVED

    @is_approved.inplace.expression
    @classmethod
    def _is_approved_expression(cls):
        return cls.status == PlanStatus.APPROVED.value

    @hybrid_property
    def is_open(self) -> bool:
        """Draft or returned: the person is still working on it (also a SQL expression)."""
        return self.status in self.OPEN_STATES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.status.in_(cls.OPEN_STATES)


class Kpi(MeasuredMixin, db.Model):
    """One of a person's KPIs, aligned to a department goal. A KPI copied from last cycle
    may have no goal yet; a plan with such a KPI cannot be submitted."""

    __tablename__ = "kpi"
    __table_args__ = (
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_in_range"),
        CheckConstraint("metric_type IN ('numeric', 'percentage', 'milestone')",
                        name="metric_type_known"),
        CheckConstraint("origin IN ('assigned', 'proposed')", name="origin_known"),
        CheckConstraint("proposal_status IS NULL OR proposal_status IN "
                        "('pending', 'accepted', 'declined')", name="proposal_status_known"),
        # The index for a plan's KPIs, and one KPI per title, whatever its letter case and
        # however often "add" is clicked ("Uptime" and "uptime" are the same KPI).
        Index("uq_kpi_plan_id_lower_title", "plan_id", func.lower(text("title")), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("personal_plan.id"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("department_goal.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    due_date: Mapped[date | None] = mapped_column(Date)
    actual_value: Mapped[Decimal | None] = mapped_column(VALUE)
    origin: Mapped[str] = mapped_column(String(20), default=KpiOrigin.ASSIGNED.value)
    proposal_status: Mapped[str | None] = mapped_column(String(20))
    head_comment: Mapped[str] = mapped_column(Text, default="")
    # The latest check-in's status and time (the newest by time, then by id), kept by the
    # check-in service in the same transaction, so dashboards and to-dos never look for it
    # among the check-ins (coaching.services.checkins.refresh_latest recomputes them).
    last_check_in_status: Mapped[str | None] = mapped_column(String(20))
    last_check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[PersonalPlan] = relationship(back_populates="kpis")
    goal: Mapped[DepartmentGoal | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def proposal(self) -> ProposalStatus | None:
        return ProposalStatus(self.proposal_status) if self.proposal_status else None

    @property
    def is_proposal(self) -> bool:
        return self.origin == KpiOrigin.PROPOSED

    @hybrid_property
    def is_pending(self) -> bool:
        """A proposal waiting for the head's decision (also a SQL expression)."""
        return self.proposal_status == ProposalStatus.PENDING

    @is_pending.inplace.expression
    @classmethod
    def _is_pending_expression(cls):
        return cls.proposal_status == ProposalStatus.PENDING.value

    @property
    def is_declined(self) -> bool:
        return self.proposal_status == ProposalStatus.DECLINED

    @hybrid_property
    def counts(self) -> bool:
        """Declined proposals stay visible with the head's comment but weigh nothing: they
        count nowhere (weights, progress, check-ins, reviews). Also a SQL expression."""
        return not self.is_declined

    @counts.inplace.expression
    @classmethod
    def _counts_expression(cls):
        return or_(cls.proposal_status.is_(None),
                   cls.proposal_status != ProposalStatus.DECLINED.value)

    def __repr__(self) -> str:
        return f"<Kpi {self.id} {self.title!r}>"
