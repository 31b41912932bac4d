"""Forms of the channel settings, the delivery log and the e-mail preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import EmptyForm, OnceForm, OptionalIntSelectField, VersionedForm
from .preferences import KINDS, MODE_LABELS


class ChannelForm(VersionedForm, OnceForm):
    kind = SelectField(_l("Chat service"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("How the delivery log names it, e.g. “Engineering "
                                      "group”."))
    department_id = OptionalIntSelectField(
        _l("Who is in the group"),
        description=_l("The group hears only what all of it may see: phases, deadlines, "
                       "how many have done what."))
    locale = SelectField(_l("Language of its messages"),
                         choices=[("zh_CN", "简体中文"), ("en", "English")])
    # Write-only: PasswordField never writes its value back into the page.
    url = PasswordField(_l("Webhook address"), validators=[Length(max=2000)],
                        render_kw={"autocomplete": "off"})
    secret = PasswordField(_l("Signing secret"), validators=[Length(max=200)],
                           render_kw={"autocomplete": "off"},
                           description=_l("DingTalk: the “SEC…” string under 加签. Feishu/"
                                          "Lark: the key under 签名校验. None for the "
                                          "others."))
    remove_secret = BooleanField(_l("Remove the stored signing secret"))
    active = BooleanField(_l("Switched on"), default=True)


class RetryForm(EmptyForm):
    """"Retry now" on one delivery."""


def preferences_form(modes: dict[str, str]):
    """One choice per kind of notification, offering the ways that kind allows."""

    class PreferencesForm(EmptyForm):
        pass

    for kind in KINDS:
        setattr(PreferencesForm, kind.code, RadioField(
            kind.label, choices=[(mode, MODE_LABELS[mode]) for mode in kind.modes],
            default=modes.get(kind.code, kind.default), validators=[DataRequired()]))
    return PreferencesForm()
