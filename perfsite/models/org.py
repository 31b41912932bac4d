"""People, departments, roles and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    EXECUTIVE = "executive"
    HR_ADMIN = "hr_admin"
    HEAD = "head"
    STAFF = "staff"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.EXECUTIVE: _l("Executive"),
    Role.HR_ADMIN: _l("HR admin"),
    Role.HEAD: _l("Department head"),
    Role.STAFF: _l("Staff"),
}


class OrgVersion(db.Model):
    """One row whose value changes whenever a department is written: processes keep the
    department tree across requests under it (permissions.org), and every request reads it
    in its one login statement, so a change made in one worker is seen by the next request
    in any other."""

    __tablename__ = "org_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", use_alter=True), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent")
    head: Mapped[Person | None] = relationship(foreign_keys=[head_id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class PersonRole(db.Model):
    __tablename__ = "person_role"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Person(UserMixin, db.Model):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
        # a team's people by department, name and id, a page at a time (the head's
        # dashboard: dashboards.services.figures.team_people)
        Index("ix_person_department_id_display_name_id", "department_id", "display_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    employee_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    job_title: Mapped[str] = mapped_column(String(120), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The hash before the last change: a new password may not simply go back to it.
    previous_password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    # The person's entry in the company directory (LDAP/AD), set by the directory sync or a
    # directory login: they sign in with the directory's password, and the sync
    # deactivates them once the entry is gone or disabled.
    directory_dn: Mapped[str | None] = mapped_column(String(500))
    # An IANA zone ("Europe/Berlin"); None reads times in the site's (timezones.zone_of).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    manager: Mapped[Person | None] = relationship(remote_side=[id], foreign_keys=[manager_id])
    # Loaded when asked for: the logged-in person's come with their session in one
    # statement (auth.services.person_for_session_token); pages listing people need none.
    role_rows: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    # Set by the auth service while logging in: Flask-Login stores get_id() in the
    # session cookie, and we want that to be the server-side session token.
    login_token = None

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [r for r in self.role_rows if Role(r.role) in wanted]
        have = self.roles
        for role in sorted(wanted - have):
            self.role_rows.append(PersonRole(role=role.value))

    def __repr__(self) -> str:
        return f"<Person {self.username}>"


class LoginSession(db.Model):
    """A server-side record of one login; logout or deactivation revokes it."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Updated at most once a minute (auth.services), for the idle timeout.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    person: Mapped[Person] = relationship()


# An org import's commit job (perfsite/org/import_jobs.py): the states it stores.
JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED = "queued", "running", "done", "failed"
JOB_UNDER_WAY = (JOB_QUEUED, JOB_RUNNING)


JOB_STALE = "stale"  # shown, never stored: a queued or running job that stopped reporting


def job_under_way(state: str | None) -> bool:
    """A commit job queued or running (it may still have stopped reporting: see stale)."""
    return state in JOB_UNDER_WAY


def job_is_queued(state: str | None) -> bool:
    return state == JOB_QUEUED


def job_went_wrong(state: str | None) -> bool:
    """Failed, or stopped reporting (stale): the page says why and offers to commit again."""
    return state in (JOB_FAILED, JOB_STALE)


class OrgImport(db.Model):
    """An uploaded org-chart file, parsed and kept between preview and commit.

    The commit runs as a job (perfsite/org/import_jobs.py) whose state and progress live
    in the commit_* columns, so that any worker process can show them.
    """

    __tablename__ = "org_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Up to MAX_TEXT of parsed cells: loaded when used, not by every progress poll.
    rows: Mapped[list] = mapped_column(db.JSON, deferred=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who pressed "commit" (the audit events' actor); set when the job is claimed.
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    commit_state: Mapped[str | None] = mapped_column(String(10))  # queued/running/done/failed
    commit_phase: Mapped[str | None] = mapped_column(String(10))  # checking/writing
    commit_done: Mapped[int | None] = mapped_column(Integer)
    commit_total: Mapped[int | None] = mapped_column(Integer)
    commit_error: Mapped[str | None] = mapped_column(String(20))  # a code the page explains
    commit_token: Mapped[str | None] = mapped_column(String(32))  # which job owns the commit
    commit_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commit_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commit_result: Mapped[dict | None] = mapped_column(db.JSON)  # created/updated/unchanged

    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
    committed_by: Mapped[Person | None] = relationship(foreign_keys=[committed_by_id])

    @property
    def job_is_running(self) -> bool:
        return self.commit_state == JOB_RUNNING

    @classmethod
    def job_claimable(cls, stale_before):
        """SQL: imports one commit job may claim: not committed, and no job, a failed one,
        or one under way that stopped reporting before `stale_before`."""
        return and_(cls.committed_at.is_(None), or_(
            cls.commit_state.is_(None), cls.commit_state == JOB_FAILED,
            and_(cls.commit_state.in_(JOB_UNDER_WAY),
                 or_(cls.commit_heartbeat_at.is_(None),
                     cls.commit_heartbeat_at < stale_before))))
