"""Reviews: a cycle's review settings, self-reviews and manager reviews, the scores they make,
and calibration.

- ReviewSettings (one per cycle): the rating scale's labels in both languages, the weights
  of the final score's components (goals, competencies, self), the rating bands with their
  score ranges and the calibration guidance. Competency rows are the competencies rated.
  Locked once the first review of the cycle is started (`locked_at`).
- Review: one person's self-review or their reviewer's manager review of them, in one
  cycle: a score and comment per KPI (ReviewKpiScore), a rating and comment per competency
  (ReviewCompetencyRating) and overall remarks. A draft until submitted; submitted is final
  (only HR reopens it, with a reason).
- ReviewResult: the scores computed from the submitted reviews (stored, so calibration
  reads a distribution without recomputing everyone) and the calibrated rating;
  CalibrationMove keeps every move of a final rating with its reason.

Scores are Decimal, Numeric(5, 2); component weights Numeric(6, 2) like KPI weights.
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
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cycle import Cycle
from .org import Person
from .planning import WEIGHT, Kpi
from .types import UTCDateTime, utcnow

SCORE = Numeric(5, 2)


class ReviewKind(enum.StrEnum):
    SELF = "self"
    MANAGER = "manager"

    @property
    def label(self):
        return REVIEW_KIND_LABELS[self]


REVIEW_KIND_LABELS = {
    ReviewKind.SELF: _l("Self-review"),
    ReviewKind.MANAGER: _l("Manager review"),
}


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self):
        return REVIEW_STATUS_LABELS[self]


REVIEW_STATUS_LABELS = {
    ReviewStatus.DRAFT: _l("Draft"),
    ReviewStatus.SUBMITTED: _l("Submitted"),
}


class ReviewState(enum.StrEnum):
    """Where one person's review stands, for completion lists and exports: not started
    (no review yet), or its ReviewStatus (the same values and words)."""

    NOT_STARTED = "none"
    DRAFT = ReviewStatus.DRAFT.value
    SUBMITTED = ReviewStatus.SUBMITTED.value

    @classmethod
    def of_status(cls, status: str | None) -> ReviewState:
        """The state of a review whose stored status is `status` (None: no review)."""
        return cls.NOT_STARTED if status is None else cls(ReviewStatus(status).value)

    @classmethod
    def of(cls, review) -> ReviewState:
        if review is None or review.id is None:
            return cls.NOT_STARTED
        return cls.of_status(review.status)

    @property
    def label(self):
        if self is ReviewState.NOT_STARTED:
            return _l("Not started")
        return REVIEW_STATUS_LABELS[ReviewStatus(self.value)]

    @property
    def order(self) -> int:
        return list(ReviewState).index(self)

    @property
    def is_started(self) -> bool:
        return self is not ReviewState.NOT_STARTED

    @property
    def is_submitted(self) -> bool:
        return self is ReviewState.SUBMITTED


class ReviewSettings(db.Model):
    """How a cycle's reviews are scored. `scale_labels` is a list (point 1 first) of
    {"en": ..., "zh": ...}; `bands` a list (best first) of {"code", "label_en", "label_zh",
    "min", "max", "guidance_max", "guidance_min"} with scores and percentages as strings."""

    __tablename__ = "review_settings"
    __table_args__ = (
        CheckConstraint("goals_weight BETWEEN 0 AND 100 AND competencies_weight BETWEEN 0 "
                        "AND 100 AND self_weight BETWEEN 0 AND 100", name="weights_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    scale_labels: Mapped[list] = mapped_column(db.JSON, default=list)
    goals_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(60))
    competencies_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(30))
    self_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(10))
    bands: Mapped[list] = mapped_column(db.JSON, default=list)
    # Set when the cycle's first review is started: from then on nothing here changes.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Competency(db.Model):
    """A competency rated in a cycle's reviews, named in both languages."""

    __tablename__ = "competency"
    __table_args__ = (
        # The index for a cycle's competencies, and one competency per name.
        UniqueConstraint("cycle_id", "name", name="uq_competency_cycle_id_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")

    @property
    def form_key(self) -> str:
        """How review forms name its fields: its id, or "new<position>" for a default one
        not saved yet (the cycle's settings are saved with its first review)."""
        return str(self.id) if self.id is not None else f"new{self.position}"

    def name_in(self, language: str) -> str:
        return (self.name_zh or self.name) if language == "zh" else self.name

    def description_in(self, language: str) -> str:
        return (self.description_zh or self.description) if language == "zh" \
            else self.description


class Review(db.Model):
    """A self-review (written by the person) or a manager review (by their reviewer)."""

    __tablename__ = "review"
    __table_args__ = (
        # One of each kind per person and cycle: also what makes two tabs that start the
        # same review at once save one.
        UniqueConstraint("cycle_id", "person_id", "kind",
                         name="uq_review_cycle_id_person_id_kind"),
        CheckConstraint("kind IN ('self', 'manager')", name="kind_known"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.DRAFT.value)
    # Self-review: achievements, what got in the way, what they want to learn.
    achievements: Mapped[str] = mapped_column(Text, default="")
    obstacles: Mapped[str] = mapped_column(Text, default="")
    learning: Mapped[str] = mapped_column(Text, default="")
    # Manager review: the overall assessment.
    overall: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    kpi_scores: Mapped[list[ReviewKpiScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewKpiScore.id")
    competency_ratings: Mapped[list[ReviewCompetencyRating]] = relationship(
        back_populates="review", cascade="all, delete-orphan",
        order_by="ReviewCompetencyRating.id")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def blank(cls, cycle: Cycle, person: Person, kind: ReviewKind | str) -> Review:
        """A review not started yet, not saved: what the predicates, the pages and the
        to-do list ask about before the first draft is written."""
        return cls(cycle=cycle, person=person, cycle_id=cycle.id, person_id=person.id,
                   kind=ReviewKind(kind).value, status=ReviewStatus.DRAFT.value,
                   achievements="", obstacles="", learning="", overall="",
                   reopened_count=0, kpi_scores=[], competency_ratings=[])

    @property
    def review_kind(self) -> ReviewKind:
        return ReviewKind(self.kind)

    @property
    def state(self) -> ReviewStatus:
        return ReviewStatus(self.status)

    @property
    def is_self(self) -> bool:
        return self.kind == ReviewKind.SELF

    @hybrid_property
    def is_submitted(self) -> bool:
        """Submitted: final (also a SQL expression)."""
        return self.status == ReviewStatus.SUBMITTED

    @is_submitted.inplace.expression
    @classmethod
    def _is_submitted_expression(cls):
        return cls.status == ReviewStatus.SUBMITTED.value

    @property
    def is_started(self) -> bool:
        return self.id is not None

    def score_for(self, kpi_id: int) -> ReviewKpiScore | None:
        return next((s for s in self.kpi_scores if s.kpi_id == kpi_id), None)

    def rating_for(self, competency_id: int) -> ReviewCompetencyRating | None:
        return next((r for r in self.competency_ratings if r.competency_id == competency_id),
                    None)

    def __repr__(self) -> str:
        return f"<Review {self.kind} of {self.person_id} in {self.cycle_id} {self.status}>"


class ReviewKpiScore(db.Model):
    """A review's score (on the cycle's scale) and comment for one KPI."""

    __tablename__ = "review_kpi_score"
    __table_args__ = (
        UniqueConstraint("review_id", "kpi_id", name="uq_review_kpi_score_review_id_kpi_id"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 10", name="score_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"))
    # A KPI removed in a plan revision takes its scores with it.
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="kpi_scores")
    kpi: Mapped[Kpi] = relationship()


class ReviewCompetencyRating(db.Model):
    """A review's rating and comment for one competency."""

    __tablename__ = "review_competency_rating"
    __table_args__ = (
        UniqueConstraint("review_id", "competency_id",
                         name="uq_review_competency_rating_review_id_competency_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="rating_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="competency_ratings")
    competency: Mapped[Competency] = relationship()


class ReviewResult(db.Model):
    """A person's scores in a cycle, computed once their manager review is submitted, and
    their final rating: the band of the final score, unless calibration moved it."""

    __tablename__ = "review_result"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id", name="uq_review_result_cycle_id_person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (cycle_id, person_id) constraint is the index for a cycle's results.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    goal_score: Mapped[Decimal | None] = mapped_column(SCORE)
    competency_score: Mapped[Decimal | None] = mapped_column(SCORE)
    self_score: Mapped[Decimal | None] = mapped_column(SCORE)
    final_score: Mapped[Decimal | None] = mapped_column(SCORE)
    band: Mapped[str | None] = mapped_column(String(10))
    calibrated_band: Mapped[str | None] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    calibrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[Cycle] = relationship()
    person: Mapped[Person] = relationship()
    moves: Mapped[list[CalibrationMove]] = relationship(
        back_populates="result", order_by="CalibrationMove.id.desc()")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def blank(cls, cycle: Cycle, person: Person) -> ReviewResult:
        """No result yet (the manager review is not submitted): unsaved."""
        return cls(cycle=cycle, person=person, cycle_id=cycle.id, person_id=person.id,
                   moves=[])

    @property
    def final_band(self) -> str | None:
        """The rating that counts: the calibrated one once calibration moved it."""
        return self.calibrated_band or self.band

    @property
    def is_calibrated(self) -> bool:
        return self.calibrated_band is not None


class CalibrationMove(db.Model):
    """One move of a person's final rating in calibration, with its reason."""

    __tablename__ = "calibration_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("review_result.id"), index=True)
    from_band: Mapped[str] = mapped_column(String(10))
    to_band: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    result: Mapped[ReviewResult] = relationship(back_populates="moves")
    moved_by: Mapped[Person] = relationship()
