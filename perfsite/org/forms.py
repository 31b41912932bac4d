from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import OnceForm, OptionalIntSelectField, VersionedForm
from ..models import ROLE_LABELS
from .rules import USERNAME_HINT, USERNAME_PATTERN

USERNAME_RULE = Regexp(USERNAME_PATTERN, message=USERNAME_HINT)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def role_choices():
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class PersonForm(VersionedForm, OnceForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60),
                                                       USERNAME_RULE])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    employee_number = StringField(_l("Employee number"), validators=[Optional(), Length(max=30)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    department_id = OptionalIntSelectField(_l("Department"))
    manager_username = StringField(
        _l("Manager"), validators=[Optional(), Length(max=60)],
        description=_l("Their username; search by name to find it. Leave empty for someone "
                       "without a manager."))
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)


class PersonInlineForm(VersionedForm):
    """The fields a row on the people list edits in place."""

    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    department_id = OptionalIntSelectField(_l("Department"))


class DepartmentForm(VersionedForm, OnceForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)],
                       description=_l("A short unique code, used in imports, e.g. ENG."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    parent_id = OptionalIntSelectField(_l("Parent department"))
    head_username = StringField(_l("Head"), validators=[Optional(), Length(max=60)],
                                description=_l("Their username; search by name to find it."))


class DepartmentInlineForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    head_username = StringField(_l("Head"), validators=[Optional(), Length(max=60)],
                                description=_l("Their username; search by name to find it."))


class PeopleSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    department = OptionalIntSelectField(_l("Department"), validators=[Optional()])
    inactive = BooleanField(_l("Include deactivated"))


class PickerSearchForm(FlaskForm):
    """What the people picker's search box sends: the words, and which field asks."""

    class Meta:
        csrf = False

    q = StringField(validators=[Optional(), Length(max=100)])
    for_id = StringField(validators=[Optional(), Length(max=60),
                                     Regexp(r"^[A-Za-z0-9_-]+$")])


class ImportForm(FlaskForm):
    file = FileField(_l("Org chart file (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
    ])
