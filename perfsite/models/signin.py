"""Company sign-in: roles a directory group grants, and the directory syncs run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class DirectoryRole(db.Model):
    """A role a person holds because a directory group grants it (LDAP_GROUP_HR_ADMIN,
    LDAP_GROUP_EXECUTIVE). The person page shows it as such and HR cannot remove it by
    hand; the next sync or directory login takes it away when the membership ends."""

    __tablename__ = "directory_role"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    group_dn: Mapped[str] = mapped_column(String(500))


class DirectorySync(db.Model):
    """One run of the directory sync (`flask sync-directory` or HR's "sync now")."""

    __tablename__ = "directory_sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Who pressed "sync now"; None for the command line (cron).
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # applied / unchanged / rejected (a problem in the directory's data) / unreachable
    outcome: Mapped[str] = mapped_column(String(20))
    # created, updated, unchanged, deactivated, departments
    counts: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # what stopped it or was skipped, in words: [{"who": ..., "problem": ...}]
    problems: Mapped[list] = mapped_column(db.JSON, default=list)
    people_seen: Mapped[int] = mapped_column(Integer, default=0)
