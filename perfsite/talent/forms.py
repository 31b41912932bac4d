"""Forms of resource allocation and the talent review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import OnceForm, OptionalIntSelectField, VersionedForm
from ..models import CURRENCIES, LEVEL_LABELS, READINESS_LABELS, Level, Readiness


def level_choices():
    return [(level.value, LEVEL_LABELS[level]) for level in reversed(list(Level))]


class AllocationForm(VersionedForm):
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES],
                           validators=[Optional()])
    budget = StringField(_l("Budget"), validators=[Optional(), Length(max=30)],
                         description=_l("The amount for this target, at most two decimals."),
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    headcount = StringField(_l("Headcount"), validators=[Optional(), Length(max=10)],
                            description=_l("New positions for this target."),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})


class SplitForm(VersionedForm):
    """The departments' shares: budget-<id> and headcount-<id> fields, read from the post
    (the departments supporting the target decide which there are)."""


class DepartmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    department_id = OptionalIntSelectField(_l("Department"), validators=[Optional()])


class PotentialForm(VersionedForm):
    potential = SelectField(_l("Potential"), validators=[Optional()], choices=level_choices())
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("What the assessment rests on. Never shown to "
                                           "the person."))


class MoveForm(VersionedForm):
    to_box = SelectField(_l("Move to"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)],
                           description=_l("Kept with the move and listed on the talent "
                                          "review."))


class AgreedActionForm(VersionedForm):
    agreed_action = TextAreaField(_l("Agreed development action"),
                                  validators=[Optional(), Length(max=1000)],
                                  description=_l("Shown to the heads on the person's next "
                                                 "improvement plan and outcome."))


class TalentSettingsForm(VersionedForm):
    """column-<band code> selects and guidance-<level>-<en|zh> texts, read from the post
    (the cycle's bands decide which there are)."""


class KeyPositionForm(OnceForm):
    holder_username = StringField(_l("Holder"), validators=[Optional(), Length(max=60)],
                                  description=_l("The username of the person in the role."))
    title = StringField(_l("Position"), validators=[Optional(), Length(max=120)],
                        description=_l("Leave empty to use their job title."))


class SuccessorForm(OnceForm):
    candidate_username = StringField(_l("Successor candidate"),
                                     validators=[Optional(), Length(max=60)],
                                     description=_l("Their username."))
    readiness = SelectField(_l("Readiness"), validators=[Optional()],
                            choices=[(r.value, READINESS_LABELS[r]) for r in Readiness])
