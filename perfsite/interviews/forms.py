"""Forms of the interviews area. Creating forms carry a one-time token (OnceForm); edits
carry the version they were based on (VersionedForm)."""

from __future__ import annotations

from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import OnceForm, VersionedForm
from ..models import ItemStatus, utcnow


def moment_of(day, at: time | None):
    """A date and a time typed in the reader's time zone, as an aware UTC datetime."""
    if day is None or at is None:
        return None
    from datetime import UTC

    return to_utc(datetime.combine(day, at)).replace(tzinfo=UTC)


class ScheduleForm(OnceForm, VersionedForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    at = TimeField(_l("Time"), validators=[InputRequired()])
    duration_minutes = IntegerField(_l("Length (minutes)"), default=60,
                                    validators=[InputRequired(), NumberRange(10, 480)])
    place = StringField(_l("Place"), validators=[Length(max=200)],
                        description=_l("A room, or leave empty for an online meeting."))
    meeting_link = StringField(_l("Meeting link"), validators=[Length(max=500)])

    @property
    def starts_at(self):
        return moment_of(self.day.data, self.at.data)


class ProposeForm(VersionedForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    at = TimeField(_l("Time"), validators=[InputRequired()])
    note = TextAreaField(_l("Why another time? (optional)"), validators=[Length(max=1000)])

    @property
    def starts_at(self):
        return moment_of(self.day.data, self.at.data)


class NoteForm(VersionedForm):
    text = TextAreaField(_l("Notes"), validators=[Length(max=20000)])
    # Pressed after a stale save: the version of the newer text to save over.
    overwrite_version = HiddenField()
    # Pressed after a stale save: keep the newer text, save nothing of this tab's.
    keep_newer = HiddenField()


class ItemForm(VersionedForm):
    action = StringField(_l("Action"), validators=[InputRequired(), Length(max=500)])
    support = TextAreaField(_l("Support needed"), validators=[Length(max=2000)])
    owner_id = SelectField(_l("Owner"), coerce=int, validate_choice=False)
    due_date = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[(s.value, s.label) for s in ItemStatus],
                         default=ItemStatus.OPEN.value)


class NewItemForm(OnceForm, ItemForm):
    pass


class TrackForm(FlaskForm):
    cycle_id = HiddenField()
    status = SelectField(_l("How is it going?"),
                         choices=[(s.value, s.label) for s in ItemStatus])
    note = StringField(_l("Note (optional)"), validators=[Length(max=1000)])


class GoalDraftForm(OnceForm):
    title = StringField(_l("Goal for next cycle"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("What success looks like"), validators=[Length(max=2000)])


class AcknowledgeForm(VersionedForm):
    agreement = RadioField(_l("Do you agree with this record?"), choices=[
        ("agree", _l("I agree")), ("disagree", _l("I disagree (HR will review it)"))],
        validators=[InputRequired(message=_l("Choose whether you agree."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)],
                            description=_l("Needed when you disagree: say with what."))


class AppealForm(VersionedForm):
    decision = RadioField(_l("Decision"), choices=[
        ("upheld", _l("Uphold the rating")), ("changed", _l("Change the rating"))],
        validators=[InputRequired(message=_l("Choose a decision."))])
    band = SelectField(_l("New rating"), validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)],
                           description=_l("Both the person and their head read it."))


class OverrideForm(VersionedForm):
    bonus_multiplier = DecimalField(_l("Bonus multiplier"), places=2,
                                    validators=[InputRequired(), NumberRange(0, 5)])
    promotion = BooleanField(_l("Nominate for promotion"))
    training = BooleanField(_l("Training recommended"))
    improvement_plan = BooleanField(_l("Formal improvement plan"))
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class VersionOnlyForm(VersionedForm):
    """A bare button on a versioned record (complete, remove): the CSRF token and version."""


class ApproveForm(FlaskForm):
    department_id = HiddenField()


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("Reason to close with interviews missing"),
                           validators=[Length(max=2000)])


def rules_form_class(bands):
    """One row per band: multiplier and the three flags."""
    class RulesForm(FlaskForm):
        pass

    for band in bands:
        code = band.code
        setattr(RulesForm, f"rule_{code}_bonus_multiplier", StringField(
            _l("Bonus multiplier for %(band)s", band=code), validators=[Length(max=10)]))
        setattr(RulesForm, f"rule_{code}_promotion",
                BooleanField(_l("Promotion nomination for %(band)s", band=code)))
        setattr(RulesForm, f"rule_{code}_training",
                BooleanField(_l("Training for %(band)s", band=code)))
        setattr(RulesForm, f"rule_{code}_improvement_plan",
                BooleanField(_l("Improvement plan for %(band)s", band=code)))
    return RulesForm


def now():
    return utcnow()
