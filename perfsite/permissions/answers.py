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

    __slots__ = ("_error", "_kind", "_args")

    def __init__(self, error=None, *, kind=None, args=()):
        # Most refusals are only asked whether they are a yes (a button hidden, a row left
        # out): the error, whose message is translated as it is made, is made when read.
        self._error, self._kind, self._args = error, kind, args

    @property
    def error(self):
        if self._error is None:
            self._error = self._kind(*self._args)
        return self._error

    def __bool__(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self.error.message

    @property
    def forbidden(self) -> bool:
        """A "who" refusal: the person may never do this (403)."""
        return issubclass(self._kind, NotAllowed) if self._error is None \
            else isinstance(self._error, NotAllowed)

    def __repr__(self) -> str:
        return f"<Refusal {type(self.error).__name__}: {self.reason}>"


def who(allowed: bool, message=None):
    return True if allowed else Refusal(kind=NotAllowed,
                                        args=(message or _l("You may not do this."),))


def phase(cycle, action: str):
    """The cycle's phase allows `action` (cycles.services.ALLOWED_PHASES decides)."""
    return True if is_allowed(cycle, action) else Refusal(kind=PhaseError, args=(cycle, action))


def state(allowed: bool, message):
    return True if allowed else Refusal(kind=StateError, args=(message,))


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

