"""Notifications where people work: chat channels, the delivery log, e-mail preferences.

HR sets up the company's and departments' chat channels, sends them test messages, reads
the delivery log and retries a failed delivery. Each person, and only they, chooses how
they are e-mailed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .answers import state, who
from .org import is_hr


def can_manage_channels(user):
    return who(is_hr(user), _l("Only HR sets up chat channels."))


def can_send_test(user, channel):
    """Send a test message: HR, to a channel that is switched on."""
    return (can_manage_channels(user)
            and state(channel.active, _l("Switch the channel on first.")))


def can_view_deliveries(user):
    return who(is_hr(user), _l("Only HR reads the delivery log."))


def can_retry_delivery(user, message):
    """Retry now: HR, a delivery that failed (waiting for its next attempt, or given up)."""
    return (can_view_deliveries(user)
            and state(message.is_retryable and bool(message.last_error),
                      _l("Only a delivery that failed can be retried.")))


def can_edit_preferences(user, person):
    return who(user.is_authenticated and user.id == person.id,
               _l("Only %(name)s chooses what they are e-mailed.", name=person.display_name))
