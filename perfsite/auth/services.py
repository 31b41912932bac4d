"""Passwords, logins and server-side sessions.

Rules:
- Passwords are hashed with argon2id; an unknown username costs the same work as a
  wrong password, and both get the same answer.
- Each login creates a LoginSession; the cookie holds only its token. Logging out
  revokes that session; deactivating a person or resetting their password revokes all
  of theirs, so a copied cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..audit.services import record
from ..extensions import db
from ..models import LoginSession, Person, utcnow

MIN_PASSWORD_LENGTH = 10
# The handful of passwords people reach for first; the length rule catches most others.
COMMON_PASSWORDS = {
    "password123", "password1234", "qwertyuiop", "1234567890", "12345678910",
    "abcdefghij", "iloveyou12", "letmein123", "welcome123", "changeme123",
    "administrator", "passw0rd123", "qwerty12345", "perfsite123",
}


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
    """The active person with this username and password, or None (for any failure)."""
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
    db.session.add(LoginSession(token_hash=_token_hash(token), person=person,
                                user_agent=user_agent[:255]))
    person.login_token = token
    return token


def person_for_session_token(token: str) -> Person | None:
    row = db.session.execute(
        select(LoginSession, Person)
        .join(Person, LoginSession.person_id == Person.id)
        .where(LoginSession.token_hash == _token_hash(token),
               LoginSession.revoked_at.is_(None),
               Person.active.is_(True))
    ).first()
    if row is None:
        return None
    person = row.Person
    person.login_token = token
    return person


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


def password_problems(password: str, person: Person) -> list[str]:
    """Why `password` is not acceptable for `person` (empty when it is)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(str(_l("This password is too easy to guess.")))
    if person.username.lower() in lowered or lowered in person.display_name.lower():
        problems.append(str(_l("Do not use your name or username in the password.")))
    return problems


class PasswordError(ValueError):
    def __init__(self, field: str, messages: list[str]):
        super().__init__("; ".join(messages))
        self.field = field
        self.messages = messages


def change_password(person: Person, current: str, new: str) -> None:
    """A person changes their own password; their other sessions end."""
    if not verify_password(person, current):
        raise PasswordError("current_password", [str(_l("The current password is wrong."))])
    problems = password_problems(new, person)
    if current == new:
        problems.append(str(_l("Choose a password different from the current one.")))
    if problems:
        raise PasswordError("new_password", problems)
    person.password_hash = hash_password(new)
    person.must_change_password = False
    end_all_sessions(person, keep_token=person.login_token)
    record("person.password_changed", person)


def reset_password(person: Person) -> str:
    """HR sets a one-time password; the person must change it at next login."""
    temporary = "-".join(secrets.token_hex(3) for _ in range(3))
    person.password_hash = hash_password(temporary)
    person.must_change_password = True
    end_all_sessions(person)
    record("person.password_reset", person)
    return temporary
