"""Performance cycles and their phases."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Phase(enum.StrEnum):
    """The phases of domain.md, in order. HR moves a cycle forward or back one step."""

    DRAFT = "draft"
    PLANNING = "planning"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    CALIBRATION = "calibration"
    INTERVIEWS = "interviews"
    CLOSED = "closed"

    @property
    def label(self):
        return PHASE_LABELS[self]

    @property
    def index(self) -> int:
        return PHASE_ORDER.index(self)


PHASE_ORDER = list(Phase)

PHASE_LABELS = {
    Phase.DRAFT: _l("Draft"),
    Phase.PLANNING: _l("Planning"),
    Phase.IN_PROGRESS: _l("In progress"),
    Phase.REVIEW: _l("Review"),
    Phase.CALIBRATION: _l("Calibration"),
    Phase.INTERVIEWS: _l("Feedback interviews"),
    Phase.CLOSED: _l("Closed"),
}


class Cycle(db.Model):
    __tablename__ = "cycle"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint("anonymity_threshold >= 2", name="anonymity_at_least_two"),
        CheckConstraint("rating_scale_max BETWEEN 3 AND 10", name="scale_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(20), default=Phase.DRAFT.value, index=True)
    # Settings later issues read; HR edits them on the cycle page.
    rating_scale_max: Mapped[int] = mapped_column(Integer, default=5)
    anonymity_threshold: Mapped[int] = mapped_column(Integer, default=3)
    checkin_interval_days: Mapped[int] = mapped_column(Integer, default=14)
    # during the cycle: obstacles and requests open longer than this are overdue
    overdue_after_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def current_phase(self) -> Phase:
        return Phase(self.phase)

    def __repr__(self) -> str:
        return f"<Cycle {self.name} {self.phase}>"
