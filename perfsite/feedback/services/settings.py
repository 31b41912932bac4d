"""A cycle's 360 settings: rater limits, when feedback opens, whether the subject reads
their report, and the weights of the peer and direct-report averages in the competency
score. The anonymity threshold is the cycle's own (never below 2).

Rules:
- Defaults until HR saves them: 3 to 8 nominated raters, feedback opens with the review
  phase, the subject reads their report (from the feedback interviews on), peers and
  direct reports weigh 50 each beside the manager's ratings (100).
- HR edits them while review settings may change (before review opens); every change is
  audited, and names the version it was based on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...errors import Invalid
from ...extensions import db
from ...models import Cycle, FeedbackSettings
from ...rules import check_version, to_decimal

MIN_THRESHOLD = 2
FIELDS = ("min_raters", "max_raters", "opens_on", "subject_sees_report", "peers_weight",
          "reports_weight")
DEFAULTS = FeedbackSettings.DEFAULTS


def get_settings(cycle: Cycle) -> FeedbackSettings | None:
    return db.session.scalar(select(FeedbackSettings)
                             .where(FeedbackSettings.cycle_id == cycle.id))


def settings_of(cycle: Cycle) -> FeedbackSettings:
    """The cycle's saved 360 settings, or its defaults (not saved), read once per request."""
    return FeedbackSettings.of(cycle)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_settings(session):
    if has_app_context():
        g.pop("_feedback_settings", None)


def threshold_of(cycle: Cycle) -> int:
    """How many answers an anonymous group needs before anything of it is shown."""
    return max(int(cycle.anonymity_threshold or 0), MIN_THRESHOLD)


def _whole(value, field: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(_l("Enter a whole number."), field) from None
    if not low <= number <= high:
        raise Invalid(_l("Between %(low)d and %(high)d.", low=low, high=high), field)
    return number


def _weight(value, field: str) -> Decimal:
    number = to_decimal(value, field)
    if number is None:
        raise Invalid(_l("Give a weight from 0 to 100."), field)
    if not 0 <= number <= 100:
        raise Invalid(_l("Give a weight from 0 to 100."), field)
    return number.quantize(Decimal("0.01"))


def clean(values: dict) -> dict:
    """The settings as given, checked: each problem named beside its field."""
    errors, cleaned = {}, {}
    for name, call in (("min_raters", lambda v: _whole(v, "min_raters", 1, 20)),
                       ("max_raters", lambda v: _whole(v, "max_raters", 1, 20)),
                       ("peers_weight", lambda v: _weight(v, "peers_weight")),
                       ("reports_weight", lambda v: _weight(v, "reports_weight"))):
        try:
            cleaned[name] = call(values.get(name))
        except Invalid as error:
            errors[name] = error.message
    if "min_raters" in cleaned and "max_raters" in cleaned \
            and cleaned["max_raters"] < cleaned["min_raters"]:
        errors["max_raters"] = _l("At least the minimum.")
    opens_on = values.get("opens_on")
    if opens_on is not None and not isinstance(opens_on, date):
        errors["opens_on"] = _l("Enter a date.")
    cleaned["opens_on"] = opens_on
    cleaned["subject_sees_report"] = bool(values.get("subject_sees_report"))
    if errors:
        raise Invalid(errors=errors)
    return cleaned


def update_settings(cycle: Cycle, actor, *, expected_version, now: datetime,
                    **values) -> FeedbackSettings:
    """HR saves the cycle's 360 settings (permissions.can_edit_feedback_settings)."""
    current = settings_of(cycle)
    can.enforce(can.can_edit_feedback_settings(actor, current))
    if current.id is not None:
        check_version(current, expected_version)
    cleaned = clean(values)
    before = snapshot(current, FIELDS) if current.id is not None else dict.fromkeys(FIELDS)
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.updated_at = now
    if current.id is None:
        db.session.add(current)
    db.session.flush()
    old, new = changed(before, snapshot(current, FIELDS))
    if new:
        record("feedback_settings.updated", current, actor=actor, label=cycle.name,
               before=old, after=new)
    return current
