"""The audit log: who changed what, before and after, when (UTC)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import Person
from .types import UTCDateTime, utcnow

# Where a change came from when no person made it (AuditEvent.source), as pages say it.
SOURCE_LABELS = {"cli": _l("command line"), "directory": _l("directory sync"),
                 "signin": _l("sign-in")}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # Set instead of an actor for a change nobody made in the site: "cli", a command run on
    # the server (`flask create-admin`).
    source: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)

    actor: Mapped[Person | None] = relationship()

    @property
    def actor_label(self) -> str:
        """Who made the change, as pages show it: the person, or where it came from."""
        if self.actor is not None:
            return self.actor.display_name
        return str(SOURCE_LABELS.get(self.source or "", "—"))
