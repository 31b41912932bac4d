"""Coaching forms. Choices are filled here or by the views; rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import OnceForm, OptionalIntSelectField, VersionedForm
from ..models.coaching import CHECKIN_STATUS_LABELS, RequestKind
from ..planning.forms import NumberField


def _status_choices():
    return [(status.value, label) for status, label in CHECKIN_STATUS_LABELS.items()]


def _kind_choices():
    return [("", _l("No request"))] + [(kind.value, kind.label) for kind in RequestKind]


class CheckInForm(OnceForm):
    actual_value = NumberField(_l("Value reached so far"), validators=[Optional()])
    # A milestone is done or not: a choice, not a number to type.
    done = RadioField(_l("Milestone"), choices=[("1", _l("Done")), ("0", _l("Not done yet"))],
                      validators=[Optional()], default="0")
    status = RadioField(_l("Status"), choices=_status_choices, validators=[Optional()],
                        default="on_track")
    confidence = SelectField(
        _l("Confidence"), validators=[Optional()],
        choices=[("", _l("Not given")), ("1", _l("1 – very low")), ("2", "2"), ("3", "3"),
                 ("4", "4"), ("5", _l("5 – very high"))],
        description=_l("How sure you are of reaching the target."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    obstacle = TextAreaField(
        _l("Obstacle (optional)"), validators=[Optional(), Length(max=5000)],
        description=_l("Something in the way? Your head gets it as an item to resolve."))
    request_kind = SelectField(_l("Resource request (optional)"), choices=_kind_choices,
                               validators=[Optional()])
    request_what = StringField(_l("What you need"), validators=[Optional(), Length(max=200)])
    request_why = TextAreaField(_l("Why you need it"), validators=[Optional(),
                                                                 Length(max=5000)])
    request_needed_by = DateField(_l("Needed by"), validators=[Optional()])


class CommentForm(OnceForm):
    body = TextAreaField(_l("Coaching comment"), validators=[DataRequired(), Length(max=5000)])


class NoteForm(OnceForm):
    body = TextAreaField(_l("Private note"), validators=[DataRequired(), Length(max=5000)],
                         description=_l("Only this person's heads and HR can read it; "
                                        "never the person."))


class ResolveForm(VersionedForm):
    resolution = TextAreaField(_l("Resolution"), validators=[Optional(), Length(max=5000)])


class TakeForm(VersionedForm):
    """Take an obstacle in hand: a button carrying the version."""


class DecisionForm(VersionedForm):
    """Approve, decline or escalate: the button pressed is the decision."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)],
                            description=_l("Required when declining or escalating."))
    escalate_to_id = OptionalIntSelectField(_l("Escalate to"))
    # resource allocation (perfsite/talent): what an approval draws on
    allocation_id = OptionalIntSelectField(_l("Draws on the allocation"))
    amount = StringField(_l("Amount"), validators=[Optional(), Length(max=30)],
                         description=_l("What the approval takes from the allocation's budget."),
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    headcount = StringField(_l("Positions"), validators=[Optional(), Length(max=10)],
                            description=_l("What the approval takes from its headcount."),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    over_allocation_reason = TextAreaField(
        _l("Why approve beyond the allocation"), validators=[Optional(), Length(max=2000)],
        description=_l("Only an executive approves more than the allocation has left, with a "
                       "reason."))


class OverviewFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()],
                       choices=[("", _l("Obstacles and requests")), ("obstacle", _l("Obstacles")),
                                ("request", _l("Resource requests"))])
    state = SelectField(_l("Status"), validators=[Optional()],
                        choices=[("open", _l("Open")), ("overdue", _l("Overdue")),
                                 ("closed", _l("Resolved or decided")), ("all", _l("All"))])
    department_id = OptionalIntSelectField(_l("Department"))

