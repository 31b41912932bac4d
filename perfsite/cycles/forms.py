from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import EmptyForm, OnceForm, VersionedForm


class CycleForm(VersionedForm, OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("For example “2027 H1”."))
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[InputRequired()])
    rating_scale_max = IntegerField(
        _l("Rating scale (1 to …)"), default=5,
        validators=[InputRequired(), NumberRange(min=3, max=10)])
    anonymity_threshold = IntegerField(
        _l("Anonymity threshold for 360 feedback"), default=3,
        validators=[InputRequired(), NumberRange(min=2, max=20)],
        description=_l("Feedback from peers or reports shows only when at least this many "
                       "have answered (never fewer than 2)."))
    checkin_interval_days = IntegerField(
        _l("Check-in interval (days)"), default=14,
        validators=[InputRequired(), NumberRange(min=1, max=90)])
    overdue_after_days = IntegerField(
        _l("Obstacles and requests overdue after (days)"), default=7,
        # Left out (an older form): the default of 7 days.
        filters=[lambda value: 7 if value is None else value],
        validators=[Optional(), NumberRange(min=1, max=90)],
        description=_l("An obstacle or resource request open longer than this is shown as "
                       "overdue to its owner and to HR."))


class PhaseForm(EmptyForm):
    to = HiddenField(validators=[DataRequired()])
