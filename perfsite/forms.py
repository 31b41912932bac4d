"""Form pieces shared by every blueprint."""

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.utils import unset_value

from .rules import to_id


class EmptyForm(FlaskForm):
    """For bare POST buttons (deactivate, advance…): it carries only the CSRF token."""


class VersionField(HiddenField):
    """The version of the record the editor saw. On a post it comes from the post alone:
    a form that lost it must not borrow the record's current version (and overwrite a
    colleague's save unknowingly)."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        if formdata is not None:
            data = None
        super().process(formdata, data, extra_filters)


class VersionedForm(FlaskForm):
    """A form that edits a record guarded by optimistic locking."""

    version = VersionField()


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class OnceForm(FlaskForm):
    """A form that creates something: its one-time token makes a double click, a resend
    or parallel posts create one record (see perfsite/submissions.py)."""

    form_token = HiddenField(default=new_form_token)


class OptionalIntSelectField(SelectField):
    """A <select> of ids where the first, empty option means "none"."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=_int_or_none, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = _int_or_none(valuelist[0])
            if self.data is None and valuelist[0] not in ("", "None"):
                raise ValueError(_l("Not a valid choice."))

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    return to_id(value)
