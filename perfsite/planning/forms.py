"""Planning forms. Choices are filled by the views; rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..errors import Invalid
from ..forms import EmptyForm, OnceForm, OptionalIntSelectField, VersionedForm
from ..models.planning import METRIC_LABELS
from ..org.forms import MultiCheckboxField
from ..rules import to_decimal


class NumberField(DecimalField):
    """A decimal shown without trailing zeros ("40", not "40.0000"). Only finite numbers
    of a sane size are accepted: "NaN", "sNaN", "Infinity" and "1E+1000000000" are "Enter a
    number" here, never an error further on."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, places=None, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            number = to_decimal(valuelist[0], self.name)
        except Invalid as error:
            self.data = None
            raise ValueError(error.message) from None
        self.data = number

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return plain_number(self.data)


def plain_number(value) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return "0" if text in ("-0", "") else text


def metric_choices():
    return [(metric.value, label) for metric, label in METRIC_LABELS.items()]


WEIGHT_HINT = _l("Percent, up to two decimals; a set of weights adds up to 100.")
MILESTONE_HINT = _l("Ignored for milestones (they are done or not).")
REASON_HINT = _l("Required for a revision; kept in the history.")


class MeasureFields:
    """Metric, baseline, target value and unit, as every level has them."""

    metric_type = SelectField(_l("Measured as"), choices=metric_choices,
                              validators=[InputRequired()])
    baseline = NumberField(_l("Baseline"), validators=[Optional()], description=MILESTONE_HINT)
    target_value = NumberField(_l("Target value"), validators=[Optional()],
                               description=MILESTONE_HINT)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=30)],
                       description=_l("For example %, CNY, hours, customers."))


class TargetForm(MeasureFields, VersionedForm, OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    owner_id = OptionalIntSelectField(_l("Owner"))
    reason = TextAreaField(_l("Reason for this revision"),
                           validators=[Optional(), Length(max=2000)], description=REASON_HINT)


class GoalForm(MeasureFields, VersionedForm, OnceForm):
    title = StringField(_l("Goal"), validators=[DataRequired(), Length(max=200)])
    alignment = SelectField(_l("Serves"), validators=[Optional()],
                            description=_l("A company target, a goal your department "
                                           "contributes to, or none (a department-only goal)."))
    weight = NumberField(_l("Weight (%)"),
                         validators=[InputRequired(), NumberRange(min=0, max=100)],
                         description=WEIGHT_HINT)
    due_date = DateField(_l("Due date"), validators=[Optional()])
    contributor_ids = MultiCheckboxField(_l("Contributing departments"), coerce=int,
                                         validators=[Optional()])
    reason = TextAreaField(_l("Reason for this revision"),
                           validators=[Optional(), Length(max=2000)], description=REASON_HINT)


class KpiForm(MeasureFields, VersionedForm, OnceForm):
    title = StringField(_l("KPI"), validators=[DataRequired(), Length(max=200)])
    goal_id = OptionalIntSelectField(_l("Serves the department goal"))
    weight = NumberField(_l("Weight (%)"),
                         validators=[InputRequired(), NumberRange(min=0, max=100)],
                         description=WEIGHT_HINT)
    due_date = DateField(_l("Due date"), validators=[Optional()])


class RealignForm(VersionedForm):
    alignment = SelectField(_l("Serves"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Why this goal still (or now) serves the strategy."))


class DeleteForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)],
                           description=REASON_HINT)


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ReturnForm(VersionedForm):
    comment = TextAreaField(_l("Comment for the person"),
                            validators=[DataRequired(), Length(max=2000)],
                            description=_l("Say what to change before submitting again."))


class DecideForm(VersionedForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Required when declining."))


class ActualForm(VersionedForm):
    actual_value = NumberField(_l("Actual value"), validators=[Optional()])
    done = BooleanField(_l("Done"))


class PlanActionForm(VersionedForm):
    """Submit, approve: a button that carries the plan's version."""


class CopyKpiForm(EmptyForm):
    # A people picker (perfsite/org/picker.py): usernames, separated by commas.
    people = TextAreaField(_l("Copy to"), validators=[Optional(), Length(max=20000)],
                           description=_l("Usernames, separated by commas; search by name "
                                          "to add someone."))
    whole_department = BooleanField(_l("Everyone in the department whose plan I manage"))


class TreeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    department_id = OptionalIntSelectField(_l("Department"), validators=[Optional()])


class TreeSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search goals, KPIs and people"), validators=[Optional(), Length(max=100)])

