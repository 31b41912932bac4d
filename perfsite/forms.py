"""Form pieces shared by every blueprint."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class EmptyForm(FlaskForm):
    """For bare POST buttons (deactivate, advance…): it carries only the CSRF token."""


class VersionedForm(FlaskForm):
    """A form that edits a record guarded by optimistic locking."""

    version = HiddenField()


class OptionalIntSelectField(SelectField):
    """A <select> of ids where the first, empty option means "none"."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=_int_or_none, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)
