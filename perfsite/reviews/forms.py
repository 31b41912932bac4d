"""Review forms. The review and settings forms are built per page: one field per KPI,
competency, scale point and band. The rules live in the services."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from ..forms import OptionalIntSelectField, VersionedForm
from ..models import ReviewKind
from ..planning.forms import NumberField, plain_number
from .services.reviews import TEXT_FIELDS, TEXT_LIMIT, competency_field, kpi_field


class Messages(Field):
    """Holds the messages about a group of fields (the weights' total, the bands' coverage);
    the template shows them above the group. Posts nothing."""

    widget = TextInput()

    def process(self, *args, **kwargs):
        self.data = None
        self.raw_data = []
        self.object_data = None

    def __call__(self, **kwargs):
        return ""


# Reviews ----------------------------------------------------------------------------------------

TEXT_LABELS = {
    "achievements": (_l("Achievements"), _l("What you achieved this cycle, and what you are "
                                           "proud of.")),
    "obstacles": (_l("What got in the way"), _l("Obstacles, and what would have helped.")),
    "learning": (_l("What you want to learn"), _l("Skills and experience for the next cycle.")),
    "overall": (_l("Overall assessment"), _l("Strengths, what to improve, and how the cycle "
                                            "went overall.")),
}


class ReviewFormBase(VersionedForm):
    """A review's draft: the fields are added per page (review_form_class)."""


def review_form_class(kind: ReviewKind, subject, language: str) -> type[ReviewFormBase]:
    """The form of a review of `kind` about `subject` (its KPIs, competencies and scale)."""
    choices = [("", _l("Not scored yet"))] + [(str(point.value), point.choice_label(language))
                                              for point in subject.scale]
    fields = {}
    for name in TEXT_FIELDS[kind]:
        label, hint = TEXT_LABELS[name]
        fields[name] = TextAreaField(label, description=hint,
                                     validators=[Optional(), Length(max=TEXT_LIMIT)])
    for kpi in subject.kpis:
        fields[kpi_field(kpi.id, "score")] = SelectField(
            _l("Score for “%(title)s”", title=kpi.title), choices=choices,
            validators=[Optional()])
        fields[kpi_field(kpi.id, "comment")] = TextAreaField(
            _l("Comment on “%(title)s”", title=kpi.title),
            validators=[Optional(), Length(max=TEXT_LIMIT)])
    for competency in subject.competencies:
        name = competency.name_in(language)
        fields[competency_field(competency, "rating")] = SelectField(
            _l("Rating for “%(name)s”", name=name), choices=choices, validators=[Optional()])
        fields[competency_field(competency, "comment")] = TextAreaField(
            _l("Comment on “%(name)s”", name=name),
            validators=[Optional(), Length(max=TEXT_LIMIT)])
    return type("ReviewForm", (ReviewFormBase,), fields)


def review_data(review, subject) -> dict:
    """The saved draft as form data."""
    data = {name: getattr(review, name) or "" for name in TEXT_FIELDS[review.review_kind]}
    for kpi in subject.kpis:
        entry = review.score_for(kpi.id)
        data[kpi_field(kpi.id, "score")] = "" if entry is None or entry.score is None \
            else str(entry.score)
        data[kpi_field(kpi.id, "comment")] = entry.comment if entry else ""
    for competency in subject.competencies:
        entry = review.rating_for(competency.id)
        data[competency_field(competency, "rating")] = "" if entry is None or \
            entry.rating is None else str(entry.rating)
        data[competency_field(competency, "comment")] = entry.comment if entry else ""
    return data


def posted_values(form: ReviewFormBase) -> dict:
    """What the form posted, for the service (version and tokens aside)."""
    return {f.name: f.data for f in form
            if f.name not in ("csrf_token", "version") and f.raw_data}


class SubmitReviewForm(VersionedForm):
    """The confirmation: "submit now", carrying the version of the draft confirmed."""

    confirmed = HiddenField(default="1")


class ReopenForm(VersionedForm):
    reason = TextAreaField(_l("Reason for reopening"),
                           validators=[DataRequired(), Length(max=2000)],
                           description=_l("The author is told, and it is kept in the log."))


# Settings ---------------------------------------------------------------------------------------

MAX_ROWS = 20
_ROW = re.compile(r"^(band|competency)_(\d+)_")


def rows_posted(formdata, kind: str, default: int) -> int:
    """How many rows of `kind` ("band", "competency") the post carries (at most MAX_ROWS)."""
    if not formdata:
        return default
    found = [int(m.group(2)) + 1 for key in formdata.keys()
             if (m := _ROW.match(key)) and m.group(1) == kind]
    return min(max(found, default=0), MAX_ROWS)


class SettingsFormBase(VersionedForm):
    weights = Messages()
    bands = Messages()
    competencies = Messages()
    goals_weight = NumberField(_l("Goals (%)"), validators=[Optional()])
    competencies_weight = NumberField(_l("Competencies (%)"), validators=[Optional()])
    self_weight = NumberField(_l("Self-review (%)"), validators=[Optional()])


def settings_form_class(scale_max: int, band_rows: int, competency_rows: int):
    fields = {}
    for value in range(1, scale_max + 1):
        fields[f"scale_{value}_en"] = StringField(
            _l("Point %(value)d in English", value=value),
            validators=[Optional(), Length(max=60)])
        fields[f"scale_{value}_zh"] = StringField(
            _l("Point %(value)d in Chinese", value=value),
            validators=[Optional(), Length(max=60)])
    for i in range(band_rows):
        n = i + 1
        fields[f"band_{i}_code"] = StringField(_l("Band %(n)d: code", n=n),
                                               validators=[Optional(), Length(max=10)])
        fields[f"band_{i}_label_en"] = StringField(_l("Band %(n)d: name in English", n=n),
                                                   validators=[Optional(), Length(max=60)])
        fields[f"band_{i}_label_zh"] = StringField(_l("Band %(n)d: name in Chinese", n=n),
                                                   validators=[Optional(), Length(max=60)])
        fields[f"band_{i}_low"] = NumberField(_l("Band %(n)d: from score", n=n),
                                              validators=[Optional()])
        fields[f"band_{i}_high"] = NumberField(_l("Band %(n)d: to score", n=n),
                                               validators=[Optional()])
        fields[f"band_{i}_guidance_max"] = NumberField(_l("Band %(n)d: at most (%%)", n=n),
                                                       validators=[Optional()])
        fields[f"band_{i}_guidance_min"] = NumberField(_l("Band %(n)d: at least (%%)", n=n),
                                                       validators=[Optional()])
    for i in range(competency_rows):
        n = i + 1
        fields[f"competency_{i}_id"] = HiddenField()
        fields[f"competency_{i}_name"] = StringField(
            _l("Competency %(n)d: name", n=n), validators=[Optional(), Length(max=120)])
        fields[f"competency_{i}_name_zh"] = StringField(
            _l("Competency %(n)d: name in Chinese", n=n),
            validators=[Optional(), Length(max=120)])
        fields[f"competency_{i}_description"] = TextAreaField(
            _l("Competency %(n)d: description", n=n), validators=[Optional(), Length(max=2000)])
        fields[f"competency_{i}_description_zh"] = TextAreaField(
            _l("Competency %(n)d: description in Chinese", n=n),
            validators=[Optional(), Length(max=2000)])
        fields[f"competency_{i}_remove"] = BooleanField(_l("Remove competency %(n)d", n=n))
    return type("SettingsForm", (SettingsFormBase,), fields)


def settings_data(settings, scale, bands, competencies) -> dict:
    data = {name: plain_number(getattr(settings, name))
            for name in ("goals_weight", "competencies_weight", "self_weight")}
    for point in scale:
        data[f"scale_{point.value}_en"] = point.en
        data[f"scale_{point.value}_zh"] = point.zh
    for i, band in enumerate(bands):
        data.update({f"band_{i}_code": band.code, f"band_{i}_label_en": band.label_en,
                     f"band_{i}_label_zh": band.label_zh, f"band_{i}_low": band.low,
                     f"band_{i}_high": band.high, f"band_{i}_guidance_max": band.guidance_max,
                     f"band_{i}_guidance_min": band.guidance_min})
    for i, competency in enumerate(competencies):
        data.update({f"competency_{i}_id": competency.id or "",
                     f"competency_{i}_name": competency.name,
                     f"competency_{i}_name_zh": competency.name_zh,
                     f"competency_{i}_description": competency.description,
                     f"competency_{i}_description_zh": competency.description_zh})
    return data


class CopySettingsForm(VersionedForm):
    """Replace this cycle's settings with the previous cycle's: a button with the version."""


# Calibration and completion ------------------------------------------------------------------

class CalibrateForm(VersionedForm):
    to_band = SelectField(_l("New rating"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Kept with the move and shown on the calibration "
                                          "page."))
    department_id = HiddenField()  # the calibration page's filter, to come back to


class DepartmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    department_id = OptionalIntSelectField(_l("Department"), validators=[Optional()])


class CompletionFilterForm(DepartmentFilterForm):
    late = BooleanField(_l("Only the late ones"))


class NudgeForm(FlaskForm):
    department_id = HiddenField()
