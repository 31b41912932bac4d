"""360 feedback forms. The rater's card is built per request (one rating per competency of
the cycle); the rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import OnceForm, VersionedForm
from ..planning.forms import NumberField
from .services.answers import TEXT_LIMIT, rating_field


class NominateForm(OnceForm):
    raters = StringField(_l("Colleagues to ask"), validators=[DataRequired(), Length(max=1000)],
                         description=_l("Usernames, separated by commas. Anyone in the company "
                                        "but yourself, from any department."))


class AddRatersForm(OnceForm):
    raters = StringField(_l("Add raters"), validators=[DataRequired(), Length(max=1000)],
                         description=_l("Usernames, separated by commas. They are asked at "
                                        "once."))


class ReplaceForm(OnceForm):
    username = StringField(_l("Ask instead"), validators=[DataRequired(), Length(max=200)],
                           description=_l("The username of the colleague to ask instead."))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why you decline"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("The head of the person asking is told, and picks "
                                          "someone else."))


class ReopenFeedbackForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"),
                           validators=[DataRequired(), Length(max=2000)],
                           description=_l("The rater is told, and it is kept in the log."))


class SettingsForm(VersionedForm):
    min_raters = IntegerField(_l("Fewest peers per person"), validators=[Optional()])
    max_raters = IntegerField(_l("Most peers per person"), validators=[Optional()])
    opens_on = DateField(_l("Feedback opens on"), validators=[Optional()],
                         description=_l("Leave empty to open feedback with the review phase."))
    subject_sees_report = BooleanField(_l("People see their own 360 report (from the feedback "
                                          "interviews on)"))
    peers_weight = NumberField(_l("Weight of the peers' average"), validators=[Optional()],
                               description=_l("Beside the manager's ratings, which weigh 100."))
    reports_weight = NumberField(_l("Weight of the direct reports' average"),
                                 validators=[Optional()])


class CardBase(VersionedForm):
    """A feedback card: the rating fields are added per request (card_form_class)."""

    keep_doing = TextAreaField(_l("Keep doing"), validators=[Optional(),
                                                            Length(max=TEXT_LIMIT)],
                               description=_l("What this colleague does well."))
    improve = TextAreaField(_l("Improve"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                            description=_l("What would make them even better."))


class RatingField(StringField):
    """A rating on the cycle's scale, shown as radio buttons (templates/feedback/_card.html);
    the service checks the value."""


def card_form_class(competencies, language: str) -> type[CardBase]:
    fields = {rating_field(c): RatingField(c.name_in(language), validators=[Optional()])
              for c in competencies}
    return type("CardForm", (CardBase,), fields)


def card_values(form, competencies, posted=None) -> dict:
    """What the service takes, by field name (without the card's prefix). A card loaded
    before the cycle's competencies were saved names them by position (rating_new0): the
    saved ones answer to that name too."""
    values = {name: form[name].data for name in ("keep_doing", "improve")}
    for competency in competencies:
        value = form[rating_field(competency)].data
        if not value and posted is not None:
            value = posted.get(f"{form._prefix}rating_new{competency.position}")
        values[rating_field(competency)] = value
    return values


def card_data(request, competencies) -> dict:
    data = {"keep_doing": request.keep_doing or "", "improve": request.improve or ""}
    for competency in competencies:
        entry = request.rating_for(competency.id) if competency.id is not None else None
        data[rating_field(competency)] = "" if entry is None or entry.rating is None \
            else str(entry.rating)
    return data
