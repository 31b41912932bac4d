"""One-time form tokens: what makes a double-clicked or resent create form save once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class FormSubmission(db.Model):
    """A create form that was posted: its token (unique, so a race cannot slip a second
    one through) and what the first post created, to answer every repeat with it."""

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    result_type: Mapped[str] = mapped_column(String(40), default="")
    result_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
