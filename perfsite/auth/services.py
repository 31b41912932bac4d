"""Passwords, logins and server-side sessions.

Rules:
- Passwords are hashed with argon2id; an unknown username costs the same work as a
  wrong password, and both get the same answer.
- Each login creates a LoginSession; the cookie holds only its token. Logging out
  revokes that session; deactivating a person or resetting their password revokes all
  of theirs, so a copied cookie stops working at once.
- A LoginSession ends after SESSION_IDLE_MINUTES unused and SESSION_MAX_DAYS after it
  started; its last use is written at most once a minute.
- A new password is refused when it is short, common (common_passwords.txt), contains the
  username or a part of the person's name, or is the current or previous password.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from .. import permissions as can
from ..audit.services import record
from ..extensions import db
from ..models import LoginSession, Person, utcnow
from ..signin import services as signin

MIN_PASSWORD_LENGTH = 10
# Name parts shorter than this are too common inside ordinary words to refuse.
MIN_NAME_PART = 3
# last_seen_at is written at most this often: an idle timeout needs no finer clock.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# Where person_for_session_token leaves why a session ended, for the login page.
EXPIRED_KEY = "login_expired"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(person: Person | None, password: str) -> bool:
    hasher = _hasher()
    if person is None or not person.password_hash:
        # Same work as a real check, so timing does not reveal unknown usernames.
        _burn(hasher, password)
        return False
    try:
        return hasher.verify(person.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[tuple, str] = {}


def _dummy_hash() -> str:
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = _hasher().hash(secrets.token_hex(16))
    return _DUMMY[key]


def _burn(hasher: PasswordHasher, password: str) -> None:
    try:
        hasher.verify(_dummy_hash(), password)
    except VerificationError:
        pass


def authenticate(username: str, password: str) -> Person | None:
    """The active person with this username and password, or None (for any failure).

    With the company directory on (LDAP_URL), the directory checks the password, except for
    the usernames in LOCAL_LOGIN_USERS (signin.services.directory_login: DirectoryDown when
    it cannot answer, never a fallback to the local password)."""
    if signin.uses_directory(username):
        return signin.directory_login(username, password)
    person = db.session.scalar(
        select(Person).where(Person.username == username.strip().lower())
    )
    if not verify_password(person, password) or not person.active:
        return None
    if _hasher().check_needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    return person


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(person: Person, user_agent: str = "") -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(LoginSession(token_hash=_token_hash(token), person=person, created_at=now,
                                last_seen_at=now, user_agent=user_agent[:255]))
    person.login_token = token
    return token


def expiry_reason(login: LoginSession, now: datetime) -> str | None:
    """Why the session has ended by itself at `now`: "lifetime" once SESSION_MAX_DAYS
    old, "idle" once unused for SESSION_IDLE_MINUTES; None while it is live."""
    cfg = current_app.config
    if now - login.created_at >= timedelta(days=cfg["SESSION_MAX_DAYS"]):
        return "lifetime"
    if now - login.last_seen_at >= timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        return "idle"
    return None


def person_for_session_token(token: str) -> Person | None:
    """The person of a live session, or None. An expired session is revoked, and the
    reason kept in the cookie session for the login page (expired_message)."""
    # One statement for the session, the person and their roles: every request runs it.
    # The org chart's version comes along: the department tree is kept under it.
    row = db.session.execute(
        select(LoginSession, Person, can.org_version_column().label("org_version"))
        .join(Person, LoginSession.person_id == Person.id)
        .where(LoginSession.token_hash == _token_hash(token),
               LoginSession.revoked_at.is_(None),
               Person.active.is_(True))
        .options(joinedload(Person.role_rows))
    ).unique().first()
    if row is None:
        return None
    login, person = row.LoginSession, row.Person
    if has_request_context():
        g.org_version = row.org_version
    now = utcnow()
    reason = expiry_reason(login, now)
    if reason:
        _bookkeeping(update(LoginSession).where(LoginSession.id == login.id,
                                                LoginSession.revoked_at.is_(None))
                     .values(revoked_at=now))
        if has_request_context():
            session[EXPIRED_KEY] = reason
        return None
    if now - login.last_seen_at >= LAST_SEEN_RESOLUTION:
        # Of concurrent requests, the first to get here writes; the others match no row.
        _bookkeeping(update(LoginSession).where(
            LoginSession.id == login.id,
            LoginSession.last_seen_at <= now - LAST_SEEN_RESOLUTION).values(last_seen_at=now))
    person.login_token = token
    return person


def _bookkeeping(statement) -> None:
    """Run `statement` once the request is over, in a short transaction of its own.

    Loading the user happens on GETs that never commit, and must neither ride on the
    request's own transaction nor wait for it (on SQLite a second connection writing
    while the request holds its lock would stall): the statement waits in `g` until the
    request has answered (`run_bookkeeping`). Outside a request it runs at once.
    """
    if has_request_context():
        g.setdefault("_session_bookkeeping", []).append(statement)
        return
    _run([statement])


def run_bookkeeping() -> None:
    """After a request: end its transaction, then write the queued session bookkeeping.
    A failure (e.g. a busy SQLite file) only costs a late last_seen_at or a revocation
    done on the next request, so it is logged, not raised."""
    pending = g.pop("_session_bookkeeping", None)
    if pending:
        db.session.rollback()  # the view committed what it meant to keep
        _run(pending)


def _run(statements) -> None:
    try:
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("login session bookkeeping failed", exc_info=True)


def expired_message(reason: str | None) -> str | None:
    """What the login page says about a session that ended by itself."""
    cfg = current_app.config
    if reason == "idle":
        minutes = cfg["SESSION_IDLE_MINUTES"]
        if minutes % 60 == 0:
            duration = ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
        else:
            duration = ngettext("%(num)d minute", "%(num)d minutes", minutes)
        return str(_l("Your session expired after %(duration)s of inactivity; log in again.",
                      duration=duration))
    if reason == "lifetime":
        return ngettext("Your session expired: a login lasts at most %(num)d day; "
                        "log in again.",
                        "Your session expired: a login lasts at most %(num)d days; "
                        "log in again.", cfg["SESSION_MAX_DAYS"])
    return None


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _token_hash(token), LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def end_all_sessions(person: Person, keep_token: str | None = None) -> None:
    stmt = update(LoginSession).where(
        LoginSession.person_id == person.id, LoginSession.revoked_at.is_(None)
    )
    if keep_token:
        stmt = stmt.where(LoginSession.token_hash != _token_hash(keep_token))
    db.session.execute(stmt.values(revoked_at=utcnow()))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The most common passwords of public breach lists, lower-cased (read once)."""
    text = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


_DECORATION = re.compile(r"[\d\W_]+$")


def is_common_password(password: str) -> bool:
    """In the list, as typed or with the digits and symbols people append stripped
    ("Sunshine2024!" is "sunshine")."""
    lowered = password.lower()
    common = common_passwords()
    return lowered in common or _DECORATION.sub("", lowered) in common


def _name_parts(person: Person) -> set[str]:
    """The username and each part of it and of the display name, lower-cased."""
    parts = {person.username.lower()}
    for text in (person.username, person.display_name):
        parts.update(re.split(r"[\W_]+", text.lower()))
    return {part for part in parts if len(part) >= MIN_NAME_PART}


def _same_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, person: Person) -> list[str]:
    """Why `password` is not acceptable for `person` (empty when it is)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)))
    lowered = password.lower()
    if is_common_password(password) or len(set(password)) < 4:
        problems.append(str(_l("This password is too easy to guess: it is one of the most "
                               "common passwords.")))
    if (any(part in lowered for part in _name_parts(person))
            or lowered in person.display_name.lower()):
        problems.append(str(_l("Do not use your name or username in the password.")))
    if _same_password(person.previous_password_hash, password):
        problems.append(str(_l("This was your previous password: choose a new one.")))
    return problems


class PasswordError(ValueError):
    def __init__(self, field: str, messages: list[str]):
        super().__init__("; ".join(messages))
        self.field = field
        self.messages = messages


def change_password(person: Person, current: str, new: str) -> None:
    """A person changes their own password; their other sessions end. The old hash is kept
    as the previous one, unless it was a temporary password from HR (then the one before
    the reset stays the previous)."""
    if not verify_password(person, current):
        raise PasswordError("current_password", [str(_l("The current password is wrong."))])
    problems = password_problems(new, person)
    if current == new:
        problems.append(str(_l("Choose a password different from the current one.")))
    if problems:
        raise PasswordError("new_password", problems)
    if not person.must_change_password:
        person.previous_password_hash = person.password_hash
    person.password_hash = hash_password(new)
    person.must_change_password = False
    end_all_sessions(person, keep_token=person.login_token)
    record("person.password_changed", person, actor=person)


def reset_password(person: Person, actor: Person) -> str:
    """HR sets a one-time password; the person must change it at next login."""
    can.enforce(can.can_reset_password(actor, person))
    temporary = "-".join(secrets.token_hex(3) for _ in range(3))
    if not person.must_change_password:
        person.previous_password_hash = person.password_hash
    person.password_hash = hash_password(temporary)
    person.must_change_password = True
    end_all_sessions(person)
    record("person.password_reset", person, actor=actor)
    return temporary


def set_time_zone(person: Person, actor: Person, zone: str | None) -> None:
    """A person chooses the time zone they read times in (an IANA zone), or none to read
    them in the site's (timezones.zone_of)."""
    from ..errors import Invalid
    from ..timezones import is_zone

    can.enforce(can.can_edit_account(actor, person))
    zone = (zone or "").strip() or None
    if zone is not None and not is_zone(zone):
        raise Invalid(_l("Choose a time zone from the list."), "time_zone")
    if zone == person.time_zone:
        return
    before = person.time_zone
    person.time_zone = zone
    record("person.time_zone_changed", person, actor=actor,
           before={"time_zone": before or ""}, after={"time_zone": zone or ""})
