"""A predicate's answer: True, or a Refusal that says why (who, phase, state)."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..errors import NotAllowed, PhaseError, StateError
from .phases import is_allowed


class Refusal:
    """A "no" that says why. Falsy, so `if can_x(user, obj)` reads it as a plain no."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error

    def __bool__(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self.error.message

    @property
    def forbidden(self) -> bool:
        """A "who" refusal: the person may never do this (403)."""
        return isinstance(self.error, NotAllowed)

    def __repr__(self) -> str:
        return f"<Refusal {type(self.error).__name__}: {self.reason}>"


def who(allowed: bool, message=None):
    return True if allowed else Refusal(NotAllowed(message or _l("You may not do this.")))


def phase(cycle, action: str):
    """The cycle's phase allows `action` (cycles.services.ALLOWED_PHASES decides)."""
    return True if is_allowed(cycle, action) else Refusal(PhaseError(cycle, action))


def state(allowed: bool, message):
    return True if allowed else Refusal(StateError(message))


def enforce(answer) -> None:
    """For services: raise the refusal's error (NotAllowed, PhaseError, StateError)."""
    if isinstance(answer, Refusal):
        raise answer.error
    if not answer:
        raise NotAllowed(_l("You may not do this."))


def ensure(answer) -> None:
    """For views: 403 when the person may never do this; phase and state refusals pass,
    for the service to explain beside the form."""
    if isinstance(answer, Refusal):
        if answer.forbidden:
            abort(403)
        return
    if not answer:
        abort(403)


def require(predicate):
    """Decorator for views: the current user must satisfy `predicate(user)`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            ensure(predicate(current_user))
            return view(*args, **kwargs)

        return wrapped

    return decorator

