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


class DraftWriter(db.Model):
    """Who wrote the current version of an autosaved draft (a review, a 360 card, one
    section of interview notes): the page's tab token and the rising number of that save.
    `since_version` is the version the tab's unbroken run of saves started from, so a save
    from the same tab based on any version from there on carries everything that tab had
    typed (see perfsite/drafts.py). `version` is the draft's version this tab wrote: when it
    differs from the draft's, someone else saved since and the row says nothing."""

    __tablename__ = "draft_writer"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tab: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    since_version: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
