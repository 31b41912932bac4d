"""Company sign-in: HR sees how people sign in, tests the connections and syncs the
directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .answers import who
from .org import is_hr


def can_view_signin_settings(user):
    """The sign-in settings page and its "test connection" button."""
    return who(is_hr(user), _l("Only HR sees how people sign in."))


def can_sync_directory(user):
    """HR's "sync now": the org chart brought in step with the directory."""
    return who(is_hr(user), _l("Only HR syncs the org chart with the directory."))
