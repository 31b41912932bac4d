"""Review pages: my reviews, a self-review and a manager review (drafts saved as one types,
submitted after a confirmation), a reviewer's list of people, results with their formula,
review settings, completion with reminders, and calibration.

Views stay thin: `load` the objects with their access check (404/403), hand the form to a
service through `attempt` (which commits once), and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import drafts
from .. import permissions as can
from ..charts import Marker, Series, bar_chart
from ..extensions import db
from ..i18n import language
from ..models import (
    Cycle,
    Department,
    Person,
    Review,
    ReviewKind,
    ReviewResult,
    utcnow,
)
from ..planning.services import progress
from ..rules import to_id
from ..web import attempt, is_htmx, load, load_cycle, render, status_of
from . import bp
from .forms import (
    CalibrateForm,
    CompletionFilterForm,
    CopySettingsForm,
    DepartmentFilterForm,
    NudgeForm,
    ReopenForm,
    SubmitReviewForm,
    posted_values,
    review_data,
    review_form_class,
    rows_posted,
    settings_data,
    settings_form_class,
)
from .services import calibration, completion, reviews, scores
from .services import settings as settings_service

REVIEW_PAGES = {ReviewKind.SELF: "reviews.self_review",
                ReviewKind.MANAGER: "reviews.manager_review"}


def review_url(review: Review, anchor: str = "") -> str:
    return url_for(REVIEW_PAGES[review.review_kind], cycle_id=review.cycle_id,
                   person_id=review.person_id) + anchor


@bp.app_context_processor
def review_helpers():
    return {"review_url": review_url}


@bp.app_template_filter("score")
def score_filter(value) -> str:
    """A computed score as the formulas print it: two places ("3.90"); "—" when none."""
    return "—" if value is None else f"{scores.rounded(value):.2f}"


# My reviews ---------------------------------------------------------------------------------------


@bp.get("/")
def index():
    """My self-reviews, the people I review, my results, and (HR, executives) each cycle's
    settings, completion and calibration."""
    rows, upcoming = completion.my_cycles(current_user._get_current_object())
    return render("reviews/index.html", rows=rows, upcoming=upcoming,
                  highlight=to_id(request.args.get("cycle_id")))


# A self-review or a manager review ----------------------------------------------------------------

def _review_form(review: Review, subject, formdata=None):
    form_class = review_form_class(review.review_kind, subject, language())
    if formdata is None:
        return form_class(formdata=None, data=review_data(review, subject),
                          version=review.version or "")
    return form_class()


def _load_review(cycle_id: int, person_id: int, kind: ReviewKind, check):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    review = reviews.review_for(cycle, person, kind)
    can.ensure(check(current_user, review))
    return review


def _review_context(review: Review, *, form=None, notice=(), reopen_form=None,
                    conflict: bool = False) -> dict:
    cycle, person = review.cycle, review.person
    subject = reviews.subject_of(cycle, person)
    may_write = can.can_write_review(current_user, review)
    may_read = can.can_read_review(current_user, review)
    other = other_readable = None
    if review.review_kind is ReviewKind.MANAGER:
        # Side by side: the self-review, once the reviewer may read it (blind until then).
        other = reviews.review_for(cycle, person, ReviewKind.SELF)
        other_readable = can.can_read_self_review(current_user, other)
    if may_write and form is None:
        form = _review_form(review, subject)
    if reopen_form is None:
        reopen_form = ReopenForm(formdata=None, prefix="reopen", version=review.version or "")
    return {
        "review": review, "cycle": cycle, "person": person, "subject": subject,
        "may_write": may_write, "may_read": may_read, "form": form,
        "other": other, "other_readable": bool(other_readable),
        "other_refusal": other_readable,
        "checkins": reviews.checkins_of(subject.kpis),
        "kpi_progress": {k.id: progress.of(k) for k in subject.kpis},
        "scale": {p.value: p for p in subject.scale}, "lang": language(),
        "is_self": person.id == current_user.id, "notice": list(notice),
        "reopen_form": reopen_form, "conflict": conflict,
        "may_reopen": can.can_reopen_review(current_user, review),
    }


def _review_page(review: Review, status: int = 200, **extra):
    return render("reviews/review.html", status=status, **_review_context(review, **extra))


@bp.get("/<int:cycle_id>/people/<int:person_id>/self")
def self_review(cycle_id, person_id):
    return _review_page(_load_review(cycle_id, person_id, ReviewKind.SELF,
                                     can.can_read_self_review))


@bp.get("/<int:cycle_id>/people/<int:person_id>/manager")
def manager_review(cycle_id, person_id):
    return _review_page(_load_review(cycle_id, person_id, ReviewKind.MANAGER,
                                     can.can_read_manager_review))


def _save_draft(cycle_id: int, person_id: int, kind: ReviewKind):
    """Autosave (htmx: the "saved at" note, or why not) or the "Save draft" button."""
    review = _load_review(cycle_id, person_id, kind, can.can_write_review)
    subject = reviews.subject_of(review.cycle, review.person)
    form = _review_form(review, subject, formdata=request.form)
    posted_version = form.version.data
    # "Save mine over it", pressed after a conflict, names the newer version explicitly.
    expected = request.form.get("overwrite_version") or posted_version
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: reviews.save_draft(
            review, current_user, expected_version=expected, values=posted_values(form),
            now=utcnow(), writer=drafts.writer_of(request.form)),
            current=review if review.id else None)
    if status == 409:
        # The form keeps the version it was loaded with: a stale tab is told again on every
        # save until its author chooses, never quietly saved over the newer draft.
        form.version.data = posted_version
    if is_htmx():
        return render("reviews/_autosave.html", status=status, save_status=status,
                      review=review, form=form,
                      newer=reviews.get_review(review.cycle, review.person, kind)
                      if status == 409 else review)
    if status == 200:
        flash(_("Draft saved."), "success")
        return redirect(review_url(review, "#review-form"))
    current = reviews.get_review(review.cycle, review.person, kind) if status == 409 else None
    return _review_page(current or review, status, form=form, conflict=status == 409)


@bp.post("/<int:cycle_id>/people/<int:person_id>/self/draft")
def save_self_draft(cycle_id, person_id):
    return _save_draft(cycle_id, person_id, ReviewKind.SELF)


@bp.post("/<int:cycle_id>/people/<int:person_id>/manager/draft")
def save_manager_draft(cycle_id, person_id):
    return _save_draft(cycle_id, person_id, ReviewKind.MANAGER)


def _submit(cycle_id: int, person_id: int, kind: ReviewKind):
    """Step one (the review form's "Submit"): keep the draft as typed if it is complete and
    ask for confirmation. Step two (the confirmation's "Submit now"): submit it."""
    review = _load_review(cycle_id, person_id, kind, can.can_write_review)
    if request.form.get("confirmed"):
        confirm = SubmitReviewForm()
        status = 422
        if confirm.validate_on_submit():
            status, _result = attempt(confirm, lambda: reviews.submit(
                review, current_user, expected_version=confirm.version.data, now=utcnow()),
                current=review if review.id else None)
            if status == 200:
                flash(_("Your self-review is submitted.") if kind is ReviewKind.SELF else
                      _("Your review of %(name)s is submitted.",
                        name=review.person.display_name), "success")
                return redirect(review_url(review))
        # Refused (incomplete, changed meanwhile, submitted already): the review as it
        # stands, with the reason above it and each gap beside its field.
        review = reviews.review_for(review.cycle, review.person, kind)
        context = {"notice": confirm.form_errors}
        if can.can_write_review(current_user, review):
            subject = reviews.subject_of(review.cycle, review.person)
            form = _review_form(review, subject)
            for name, message in reviews.gaps(review, subject).items():
                form[name].errors = [str(message)]
            context["form"] = form
        return _review_page(review, status, **context)
    subject = reviews.subject_of(review.cycle, review.person)
    form = _review_form(review, subject, formdata=request.form)
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: reviews.save_draft(
            review, current_user, expected_version=form.version.data,
            values=posted_values(form), now=utcnow(), complete=True),
            current=review if review.id else None)
        if status == 200:
            return render("reviews/confirm_submit.html", review=review, subject=subject,
                          form=SubmitReviewForm(formdata=None, version=review.version),
                          scale={p.value: p for p in subject.scale}, lang=language())
    return _review_page(review, status, form=form, conflict=status == 409)


@bp.post("/<int:cycle_id>/people/<int:person_id>/self/submit")
def submit_self_review(cycle_id, person_id):
    return _submit(cycle_id, person_id, ReviewKind.SELF)


@bp.post("/<int:cycle_id>/people/<int:person_id>/manager/submit")
def submit_manager_review(cycle_id, person_id):
    return _submit(cycle_id, person_id, ReviewKind.MANAGER)


def _reopen(cycle_id: int, person_id: int, kind: ReviewKind):
    review = _load_review(cycle_id, person_id, kind, can.can_reopen_review)
    form = ReopenForm(prefix="reopen")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: reviews.reopen(
            review, current_user, reason=form.reason.data, expected_version=form.version.data,
            now=utcnow()), current=review if review.id else None)
        if status == 200:
            flash(_("The review is a draft again; its author has been told."), "success")
            return redirect(review_url(review))
    return _review_page(review, status, reopen_form=form)


@bp.post("/<int:cycle_id>/people/<int:person_id>/self/reopen")
def reopen_self_review(cycle_id, person_id):
    return _reopen(cycle_id, person_id, ReviewKind.SELF)


@bp.post("/<int:cycle_id>/people/<int:person_id>/manager/reopen")
def reopen_manager_review(cycle_id, person_id):
    return _reopen(cycle_id, person_id, ReviewKind.MANAGER)


# The people a reviewer reviews --------------------------------------------------------------------

@bp.get("/<int:cycle_id>/team")
def team(cycle_id):
    """The people whose manager review I write, with where each review stands, a page at a
    time (the sort kept from page to page)."""
    cycle = load_cycle(cycle_id)
    me = current_user._get_current_object()
    sort = request.args.get("sort", "manager")
    sort = sort if sort in completion.SORTS else "manager"
    descending = request.args.get("dir") == "desc"
    per_page = current_app.config["PAGE_SIZE"]
    counts = completion.report_counts(cycle, me)
    page = db.paginate(completion.reports_query(cycle, me, sort, descending),
                       page=to_id(request.args.get("page")) or 1, per_page=per_page,
                       max_per_page=per_page, error_out=False, count=False)
    page.total = counts.people
    return render("reviews/team.html", "reviews/_team_rows.html", cycle=cycle,
                  rows=completion.report_rows(cycle, me, list(page.items)), page=page,
                  counts=counts, sort=sort, descending=descending)


# Results ------------------------------------------------------------------------------------------

@bp.get("/<int:cycle_id>/people/<int:person_id>/results")
def results(cycle_id, person_id):
    """A person's scores with every step of their computation, their rating (calibrated and
    computed), and both reviews side by side."""
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    result = scores.result_for(cycle, person)
    allowed = can.can_view_results(current_user, result)
    can.ensure(allowed)
    context = {"cycle": cycle, "person": person, "result": result, "allowed": allowed,
               "lang": language(), "is_self": person.id == current_user.id}
    if allowed:
        subject = reviews.subject_of(cycle, person)
        saved = scores.reviews_of(cycle, person)
        found = {kind: saved.get(kind.value) or Review.blank(cycle, person, kind)
                 for kind in ReviewKind}
        context.update(
            subject=subject, scale={p.value: p for p in subject.scale},
            kpi_progress={k.id: progress.of(k) for k in subject.kpis},
            breakdown=scores.breakdown(cycle, person, settings=subject.settings,
                                       kpis=subject.kpis, competencies=subject.competencies,
                                       reviews=saved),
            self_review=found[ReviewKind.SELF], manager=found[ReviewKind.MANAGER],
            readable={kind: can.can_read_review(current_user, review)
                      for kind, review in found.items()},
            bands=settings_service.bands_of(subject.settings),
            moves=list(result.moves) if result.id else [])
        # interviews: the outcome and the history of past cycles (perfsite/interviews)
        from ..interviews.services import history, outcomes

        context.update(outcome=outcomes.get_outcome(cycle, person),
                       history=history.history_of(person, current_user))
    return render("reviews/results.html", **context)


# Settings -----------------------------------------------------------------------------------------

def _settings_form(cycle: Cycle, current, formdata=None):
    bands = settings_service.bands_of(current)
    competencies = settings_service.competencies_for(cycle, current)
    form_class = settings_form_class(
        cycle.rating_scale_max, rows_posted(formdata, "band", min(len(bands) + 1, 20)),
        rows_posted(formdata, "competency", min(len(competencies) + 2, 20)))
    if formdata is None:
        return form_class(formdata=None, version=current.version or "", data=settings_data(
            current, settings_service.scale_of(current), bands, competencies))
    return form_class()


def _settings_fields(form, cycle: Cycle) -> dict:
    field_names = {f.name for f in form}

    def rows(kind, keys):
        count = sum(1 for name in field_names if name.startswith(f"{kind}_")
                    and name.endswith(f"_{keys[0]}"))
        return [{"row": i, **{key: form[f"{kind}_{i}_{key}"].data for key in keys}}
                for i in range(count)]

    competencies = rows("competency", ("name", "name_zh", "description", "description_zh",
                                       "remove", "id"))
    for row in competencies:
        row["id"] = to_id(row["id"])
    return {
        "scale_labels": [(form[f"scale_{v}_en"].data, form[f"scale_{v}_zh"].data)
                         for v in range(1, cycle.rating_scale_max + 1)],
        "weights": {name: form[name].data for name in settings_service.WEIGHT_FIELDS},
        "bands": rows("band", ("code", "label_en", "label_zh", "low", "high", "guidance_max",
                               "guidance_min")),
        "competencies": competencies,
    }


@bp.route("/<int:cycle_id>/settings", methods=["GET", "POST"])
def settings(cycle_id):
    """HR sets how the cycle's reviews are scored; executives read it."""
    cycle = load_cycle(cycle_id)
    current = settings_service.settings_for(cycle)
    may_edit = can.can_edit_review_settings(current_user, current)
    can.ensure(may_edit if request.method == "POST"
               else can.can_view_review_settings(current_user, cycle))
    form = _settings_form(cycle, current, request.form if request.method == "POST" else None)
    status = status_of(form)
    if request.method == "POST" and form.validate_on_submit():
        status, _result = attempt(form, lambda: settings_service.update_settings(
            cycle, current_user, expected_version=form.version.data, now=utcnow(),
            **_settings_fields(form, cycle)), current=current if current.id else None)
        if status == 200:
            flash(_("Review settings saved."), "success")
            return redirect(url_for("reviews.settings", cycle_id=cycle.id))
    competencies = settings_service.competencies_for(cycle, current)
    return render("reviews/settings.html", status=status, cycle=cycle, settings_row=current,
                  form=form, may_edit=may_edit, lang=language(),
                  scale=settings_service.scale_of(current),
                  bands=settings_service.bands_of(current), competencies=competencies,
                  problems=settings_service.problems(current),
                  previous=settings_service.previous_settings(cycle),
                  copy_form=CopySettingsForm(formdata=None, prefix="copy",
                                             version=current.version or ""))


@bp.post("/<int:cycle_id>/settings/copy")
def copy_settings(cycle_id):
    cycle = load_cycle(cycle_id)
    current = settings_service.settings_for(cycle)
    can.ensure(can.can_edit_review_settings(current_user, current))
    form = CopySettingsForm(prefix="copy")
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: settings_service.copy_previous(
            cycle, current_user, expected_version=form.version.data, now=utcnow()),
            current=current if current.id else None)
        if status == 200:
            flash(_("The previous cycle's review settings were copied."), "success")
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("reviews.settings", cycle_id=cycle.id))


# Completion ---------------------------------------------------------------------------------------

def _department_choices(first: str) -> list:
    return [("", first)] + [(d.id, d.name) for d in db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.name))]


@bp.get("/<int:cycle_id>/completion")
def completion_page(cycle_id):
    """Who has written which review, per department and per person."""
    cycle = load(Cycle, cycle_id, can.can_view_review_completion)
    form = CompletionFilterForm(request.args)
    form.department_id.choices = _department_choices(_("All departments"))
    if not form.validate():
        form.department_id.data = None
    department_id = form.department_id.data
    per_page = current_app.config["PAGE_SIZE"]
    page = db.paginate(completion.people_query(cycle, department_id, bool(form.late.data)),
                       page=to_id(request.args.get("page")) or 1, per_page=per_page,
                       max_per_page=per_page, error_out=False)
    return render("reviews/completion.html", "reviews/_completion_results.html", cycle=cycle,
                  form=form, departments=completion.by_department(cycle), page=page,
                  rows=completion.rows_of(cycle, list(page.items)),
                  nudge_form=NudgeForm(formdata=None, department_id=department_id or ""),
                  may_nudge=can.can_nudge_reviewers(current_user, cycle))


@bp.post("/<int:cycle_id>/completion/nudge")
def nudge(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_nudge_reviewers)
    form = NudgeForm()
    department_id = to_id(form.department_id.data)
    if form.validate_on_submit():
        status, sent = attempt(form, lambda: completion.nudge(
            cycle, current_user, department_id=department_id, now=utcnow()))
        if sent is not None:
            flash(_("Reminders sent: %(people)s to write their self-review, %(reviewers)s to "
                    "finish their reviews.",
                    people=ngettext("%(num)d person", "%(num)d people", sent.people),
                    reviewers=ngettext("%(num)d reviewer", "%(num)d reviewers",
                                       sent.reviewers)), "success")
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("reviews.completion_page", cycle_id=cycle.id,
                            department_id=department_id or None))


# Calibration --------------------------------------------------------------------------------------

def _band_choices(bands) -> list:
    return [(band.code, f"{band.code} – {band.label_in(language())}" if band.label_in(
        language()) else band.code) for band in bands]


def _charts(overview: calibration.Overview, bands) -> list:
    """One chart per department shown: its distribution beside the company's, with the
    guidance as marks."""
    codes = [band.code for band in bands]
    markers = []
    for i, band in enumerate(bands):
        if band.guidance_max is not None:
            markers.append(Marker(i, band.guidance_max, _("at most %(share)s%%",
                                                         share=f"{band.guidance_max:g}")))
        if band.guidance_min is not None:
            markers.append(Marker(i, band.guidance_min, _("at least %(share)s%%",
                                                         share=f"{band.guidance_min:g}")))
    company = overview.company
    company_series = Series(ngettext("Company (%(num)d person)", "Company (%(num)d people)",
                                     company.total),
                            [company.share(c) for c in codes])
    shown = overview.departments or []
    charts = []
    for distribution in shown:
        series = [Series(ngettext("%(department)s (%(num)d person)",
                                  "%(department)s (%(num)d people)", distribution.total,
                                  department=distribution.name),
                         [distribution.share(c) for c in codes]), company_series]
        charts.append({"distribution": distribution, "markup": bar_chart(
            chart_id=f"chart-{distribution.department_id or 0}",
            title=_("Ratings in %(department)s beside the company's",
                    department=distribution.name),
            summary=", ".join(f"{c}: {distribution.share(c)}% ({distribution.count(c)})"
                              for c in codes),
            categories=codes, series=series, unit="%", max_value=100, markers=markers,
            category_heading=_("Rating"), marker_heading=_("Guidance"))})
    if not charts:
        charts.append({"distribution": company, "markup": bar_chart(
            chart_id="chart-company", title=_("Ratings in the company"),
            categories=codes, series=[company_series], unit="%", max_value=100,
            markers=markers, category_heading=_("Rating"), marker_heading=_("Guidance"))})
    return charts


def _move_form(result: ReviewResult, bands, department_id, formdata=None) -> CalibrateForm:
    prefix = f"move{result.person_id}"
    form = CalibrateForm(prefix=prefix) if formdata is not None else CalibrateForm(
        formdata=None, prefix=prefix, version=result.version or "",
        to_band=result.final_band, department_id=department_id or "")
    form.to_band.choices = _band_choices(bands)
    return form


def _calibration_context(cycle: Cycle, department_id: int | None,
                         submitted: CalibrateForm | None = None,
                         submitted_for: int | None = None) -> dict:
    current = settings_service.settings_for(cycle)
    bands = settings_service.bands_of(current)
    overview = calibration.distributions(cycle, department_id)
    per_page = current_app.config["PAGE_SIZE"]
    page = db.paginate(calibration.results_query(cycle, department_id),
                       page=to_id(request.args.get("page")) or 1, per_page=per_page,
                       max_per_page=per_page, error_out=False)

    def move_form(result):
        if submitted is not None and result.person_id == submitted_for:
            return submitted
        return _move_form(result, bands, department_id)

    return {"cycle": cycle, "bands": bands, "overview": overview,
            "charts": _charts(overview, bands),
            "checks": calibration.guidance_checks(overview.company, bands),
            "page": page, "finals": {r.id: scores.final_of(r, current) for r in page.items},
            "moves": calibration.moves_of(cycle, department_id), "move_form": move_form,
            "without_score": calibration.without_final_score(cycle, department_id),
            "open_for": submitted_for, "department_id": department_id, "lang": language(),
            "calibrating": can.can_calibrate_ratings(current_user, cycle)}


@bp.get("/<int:cycle_id>/calibration")
def calibration_page(cycle_id):
    """Each department's ratings beside the company's and the guidance; the people's ratings
    to move, and every move made."""
    cycle = load(Cycle, cycle_id, can.can_view_calibration)
    form = DepartmentFilterForm(request.args)
    form.department_id.choices = _department_choices(_("All departments"))
    if not form.validate():
        form.department_id.data = None
    return render("reviews/calibration.html", "reviews/_calibration_results.html", form=form,
                  **_calibration_context(cycle, form.department_id.data))


@bp.route("/<int:cycle_id>/people/<int:person_id>/calibrate", methods=["GET", "POST"])
def calibrate(cycle_id, person_id):
    """Move a person's final rating, with a reason (its own page without JavaScript; htmx
    answers the calibration page's results)."""
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    result = scores.result_for(cycle, person)
    allowed = can.can_calibrate(current_user, result)
    can.ensure(allowed)
    bands = settings_service.bands_of(settings_service.settings_for(cycle))
    department_id = to_id(request.values.get(f"move{person.id}-department_id")
                          or request.args.get("department_id"))
    form = _move_form(result, bands, department_id,
                      request.form if request.method == "POST" else None)
    status = status_of(form)
    if request.method == "GET" and not allowed:
        form.form_errors.append(allowed.reason)
    if form.validate_on_submit():
        status, _move = attempt(form, lambda: calibration.move_rating(
            result, current_user, to_band=form.to_band.data, reason=form.reason.data,
            expected_version=form.version.data, now=utcnow()),
            current=result if result.id else None)
        if status == 200:
            flash(_("%(name)s's rating is now %(band)s.", name=person.display_name,
                    band=result.final_band), "success")
            if not is_htmx():
                return redirect(url_for("reviews.calibration_page", cycle_id=cycle.id,
                                        department_id=department_id))
            form = None
    if is_htmx():
        return render("reviews/_calibration_results.html", status=status,
                      **_calibration_context(cycle, department_id, form,
                                             person.id if form is not None else None))
    return render("reviews/calibrate.html", status=status, cycle=cycle, person=person,
                  result=result, form=form, bands=bands, lang=language(),
                  final=scores.final_of(result, settings_service.settings_for(cycle))
                  if result.id else None)
