"""The daily job (`flask send-reminders`, from cron once a day)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..extensions import db
from . import group, outbox, personal
from .email import mail_enabled


def send_reminders(now: datetime, log=print) -> int:
    """Write each person's digest (personal.queue_digests: their to-dos not e-mailed before,
    read through the to-do service, and the notifications they get daily) and the group
    channels' daily notices (group.daily_notices) to the outbox, commit, then deliver what
    is due (as `flask deliver --once` would). Returns how many digests were written."""
    if not mail_enabled():
        log(_("MAIL_SERVER is not configured: no reminders sent."))
        digests = 0
    else:
        digests = personal.queue_digests(now, log=log)
        if not digests:
            log(_("Nothing new to remind anybody of."))
    group.daily_notices(now)
    db.session.commit()
    outbox.deliver_all_due()
    return digests
