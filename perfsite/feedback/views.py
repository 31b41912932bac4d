"""360 feedback pages: a person's raters (nominate; the head approves, removes, adds and
replaces), the rater's "Feedback to give" cards (drafts saved as one types, submitted in
place), the head's list of people whose raters wait for them, HR's overview with stuck
nominations, the 360 report (page, chart, CSV) and the cycle's 360 settings.

Views stay thin: `load` the objects with their access check (404/403), hand the form to a
service through `attempt` (which commits once), and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
No page but the rater's own cards shows an answer, and none puts a request id where the
person the feedback is on could pair it with an answer.
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import drafts
from .. import permissions as can
from ..extensions import db
from ..i18n import language
from ..models import Cycle, FeedbackRequest, Person, utcnow
from ..org import picker
from ..org.forms import PickerSearchForm
from ..paging import window
from ..reviews.services import settings as review_settings
from ..rules import to_id
from ..submissions import submit_once
from ..web import attempt, is_htmx, load, load_cycle, render, status_of
from . import bp
from .forms import (
    AddRatersForm,
    DeclineForm,
    NominateForm,
    ReopenFeedbackForm,
    ReplaceForm,
    SettingsForm,
    card_data,
    card_form_class,
    card_values,
)
from .services import answers, completion, nominations, report
from .services import settings as settings_service


def _me():
    return current_user._get_current_object()


# Overview ---------------------------------------------------------------------------------

@bp.get("/")
def index():
    """The cycles with 360 feedback: my raters, feedback to give, reports I may read."""
    cycles = [c for c in db.session.scalars(
        select(Cycle).where(can.feedback_cycles_clause())
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()))
        if can.can_use_cycle(current_user, c)]
    me = _me()
    rows = [{"cycle": c,
             "may_nominate": bool(can.can_nominate_raters(me, (me, c))),
             "sees_own_report": bool(can.can_view_feedback_report(me, (me, c))),
             "admin": can.can_view_feedback_admin(me, c)} for c in cycles]
    return render("feedback/index.html", rows=rows)


# A person's raters --------------------------------------------------------------------------

def _raters_context(cycle: Cycle, person: Person, **forms) -> dict:
    me = _me()
    target = (person, cycle)
    requests = nominations.requests_on(cycle, person)
    is_self = person.id == me.id
    may_approve = can.can_approve_nominations(me, target)
    may_replace = {r.id: bool(can.can_pick_replacement(me, r)) for r in requests}
    may_reopen = {r.id: bool(can.can_reopen_feedback(me, r)) for r in requests}
    replace_forms = {r.id: ReplaceForm(formdata=None, prefix=f"replace{r.id}")
                     for r in requests if may_replace[r.id]}
    replace_forms.update(forms.get("replace_forms") or {})
    reopen_forms = {r.id: ReopenFeedbackForm(formdata=None, prefix=f"reopen{r.id}")
                    for r in requests if may_reopen[r.id]}
    reopen_forms.update(forms.get("reopen_forms") or {})
    return {
        "cycle": cycle, "person": person, "requests": requests, "is_self": is_self,
        "settings": settings_service.settings_of(cycle),
        "may_nominate": can.can_nominate_raters(me, target), "may_approve": may_approve,
        "pending": sum(1 for r in requests if r.awaiting_approval),
        "may_remove": {r.id: bool(can.can_remove_rater(me, r)) for r in requests},
        "may_replace": may_replace, "may_reopen": may_reopen,
        "nominate_form": forms.get("nominate_form") or NominateForm(formdata=None),
        "add_form": forms.get("add_form") or AddRatersForm(formdata=None, prefix="add"),
        "replace_forms": replace_forms, "reopen_forms": reopen_forms,
        "approve_errors": forms.get("approve_errors") or [],
        "sees_report": bool(can.can_view_feedback_report(me, target)),
        "pick_url": url_for("feedback.pick_raters", cycle_id=cycle.id),
    }


def _load_person(cycle_id: int, person_id: int, check):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    can.ensure(check(current_user, (person, cycle)))
    return cycle, person


def _raters_url(cycle: Cycle, person: Person) -> str:
    return url_for("feedback.raters", cycle_id=cycle.id, person_id=person.id)


@bp.get("/<int:cycle_id>/people/<int:person_id>/raters")
def raters(cycle_id, person_id):
    cycle, person = _load_person(cycle_id, person_id, can.can_view_nominations)
    return render("feedback/raters.html", **_raters_context(cycle, person))


def _ask(cycle_id, person_id, check, form, call, message):
    cycle, person = _load_person(cycle_id, person_id, check)
    status = status_of(form)
    if form.validate_on_submit():
        status, _made = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: call(cycle, person, form)))
        if status == 200:
            flash(message, "success")
            return redirect(_raters_url(cycle, person))
    key = "nominate_form" if isinstance(form, NominateForm) else "add_form"
    return render("feedback/raters.html", status=status,
                  **_raters_context(cycle, person, **{key: form}))


@bp.post("/<int:cycle_id>/people/<int:person_id>/raters/nominate")
def nominate(cycle_id, person_id):
    """The person nominates peers (usernames from the people picker)."""
    return _ask(cycle_id, person_id, can.can_nominate_raters, NominateForm(),
                lambda cycle, person, form: nominations.nominate(
                    cycle, person, current_user, usernames=form.raters.data, now=utcnow()),
                _("Nominated. Your head approves the list."))


@bp.post("/<int:cycle_id>/people/<int:person_id>/raters/add")
def add_raters(cycle_id, person_id):
    """The head (or HR) adds raters, asked at once."""
    return _ask(cycle_id, person_id, can.can_approve_nominations, AddRatersForm(prefix="add"),
                lambda cycle, person, form: nominations.add_raters(
                    cycle, person, current_user, usernames=form.raters.data, now=utcnow()),
                _("Added: they are asked for feedback."))


@bp.post("/<int:cycle_id>/people/<int:person_id>/raters/approve")
def approve(cycle_id, person_id):
    cycle, person = _load_person(cycle_id, person_id, can.can_approve_nominations)
    form = NominateForm(formdata=None)  # carries the refusal, if any
    from ..forms import EmptyForm

    confirm = EmptyForm()
    status = 422
    if confirm.validate_on_submit():
        status, _count = attempt(form, lambda: nominations.approve(
            cycle, person, current_user, now=utcnow()))
        if status == 200:
            flash(_("Raters approved: they are asked for feedback, and so are you and %(name)s's "
                    "direct reports.", name=person.display_name), "success")
            return redirect(_raters_url(cycle, person))
    return render("feedback/raters.html", status=status, **_raters_context(
        cycle, person, approve_errors=form.form_errors or [_("Reload the page and try again.")]))


def _load_request(feedback_request_id: int, check) -> FeedbackRequest:
    return load(FeedbackRequest, feedback_request_id, check)


@bp.post("/requests/<int:feedback_request_id>/remove")
def remove_rater(feedback_request_id):
    found = _load_request(feedback_request_id, can.can_remove_rater)
    from ..forms import EmptyForm

    form = EmptyForm()
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: nominations.remove(found, current_user,
                                                                     now=utcnow()))
        if status == 200:
            flash(_("%(name)s is no longer asked.", name=found.rater.display_name), "success")
            return redirect(_raters_url(found.cycle, found.subject))
    return render("feedback/raters.html", status=status, **_raters_context(
        found.cycle, found.subject, approve_errors=form.form_errors or
        [_("Reload the page and try again.")]))


@bp.post("/requests/<int:feedback_request_id>/replace")
def replace_rater(feedback_request_id):
    """The head picks someone to ask instead of a rater who declined."""
    found = _load_request(feedback_request_id, can.can_pick_replacement)
    form = ReplaceForm(prefix=f"replace{found.id}")
    status = status_of(form)
    if form.validate_on_submit():
        status, _made = attempt(form, lambda: submit_once(
            form.form_token.data, current_user, lambda: nominations.replace(
                found, current_user, username=form.username.data, now=utcnow())))
        if status == 200:
            flash(_("Replacement asked."), "success")
            return redirect(_raters_url(found.cycle, found.subject))
    return render("feedback/raters.html", status=status, **_raters_context(
        found.cycle, found.subject, replace_forms={found.id: form}))


@bp.post("/requests/<int:feedback_request_id>/reopen")
def reopen(feedback_request_id):
    """HR reopens a submitted answer, with a reason (never reading it)."""
    found = _load_request(feedback_request_id, can.can_reopen_feedback)
    form = ReopenFeedbackForm(prefix=f"reopen{found.id}")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: answers.reopen(
            found, current_user, reason=form.reason.data, now=utcnow()), current=found)
        if status == 200:
            flash(_("The feedback is open again; its author has been told."), "success")
            return redirect(_raters_url(found.cycle, found.subject))
    return render("feedback/raters.html", status=status, **_raters_context(
        found.cycle, found.subject, reopen_forms={found.id: form}))


@bp.get("/<int:cycle_id>/raters/pick")
def pick_raters(cycle_id):
    """The people picker's options for raters: anyone active but oneself."""
    load_cycle(cycle_id)
    form = PickerSearchForm(request.args)
    valid = form.validate()
    query = (form.q.data or "") if valid else ""
    return render("org/_people_options.html", "org/_people_options.html",
                  people=picker.search(nominations.RATERS, current_user, query), query=query,
                  for_id=(form.for_id.data or "picker") if valid else "picker")


# The head's list ----------------------------------------------------------------------------

@bp.get("/<int:cycle_id>/team")
def team(cycle_id):
    """The people whose raters I approve, with what waits for me, a page at a time."""
    cycle = load_cycle(cycle_id)
    me = _me()
    per_page = current_app.config["PAGE_SIZE"]
    page = db.paginate(nominations.approved_by(me), page=to_id(request.args.get("page")) or 1,
                       per_page=per_page, max_per_page=per_page, error_out=False)
    people = list(page.items)
    return render("feedback/team.html", cycle=cycle, people=people, page=page,
                  waiting=nominations.waiting_for_approval(cycle, [p.id for p in people]))


# Feedback to give ---------------------------------------------------------------------------

def _card(found: FeedbackRequest, competencies, formdata=None):
    form_class = card_form_class(competencies, language())
    prefix = f"card{found.id}"
    if formdata is None:
        return form_class(formdata=None, prefix=prefix, data=card_data(found, competencies),
                          version=found.version)
    return form_class(prefix=prefix)


def _card_context(found: FeedbackRequest, competencies, form=None, save_status=None,
                  decline_form=None) -> dict:
    me = _me()
    may_give = can.can_give_feedback(me, found)
    if may_give and form is None:
        form = _card(found, competencies)
    return {"req": found, "competencies": competencies, "form": form, "may_give": may_give,
            "save_status": save_status, "lang": language(),
            "scale": review_settings.scale_of(review_settings.settings_for(found.cycle)),
            "decline_form": decline_form or DeclineForm(formdata=None,
                                                        prefix=f"decline{found.id}")}


@bp.get("/<int:cycle_id>/give")
def give(cycle_id):
    """My feedback requests in the cycle: one card each."""
    cycle = load_cycle(cycle_id)
    competencies = answers.competencies_of(cycle)
    scale = review_settings.scale_of(review_settings.settings_for(cycle))
    cards = [_card_context_light(found, competencies, scale)
             for found in answers.requests_of_rater(cycle, _me())]
    return render("feedback/give.html", cycle=cycle, cards=cards, competencies=competencies)


def _card_context_light(found, competencies, scale) -> dict:
    """A card on the list page: the settings and scale read once for all cards."""
    me = _me()
    may_give = can.can_give_feedback(me, found)
    return {"req": found, "competencies": competencies, "scale": scale, "lang": language(),
            "form": _card(found, competencies) if may_give else None, "may_give": may_give,
            "save_status": None,
            "decline_form": DeclineForm(formdata=None, prefix=f"decline{found.id}")}


def _own_request(feedback_request_id: int) -> FeedbackRequest:
    """A request of mine (the rater's alone: 403 for anyone else, whatever its state)."""
    return _load_request(feedback_request_id, can.can_read_feedback)


def _give_url(found: FeedbackRequest) -> str:
    return url_for("feedback.give", cycle_id=found.cycle_id) + f"#card-{found.id}"


@bp.post("/requests/<int:feedback_request_id>/draft")
def save_draft(feedback_request_id):
    """Autosave (htmx: the card's "saved at" note) or the card's "Save draft" button."""
    found = _own_request(feedback_request_id)
    competencies = answers.competencies_of(found.cycle)
    form = _card(found, competencies, formdata=request.form)
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: answers.save_draft(
            found, current_user, expected_version=form.version.data,
            values=card_values(form, competencies, request.form), now=utcnow(),
            writer=drafts.writer_of(request.form)), current=found)
    if is_htmx():
        return render("feedback/_card_status.html", status=status, save_status=status,
                      req=found, form=form)
    if status == 200:
        flash(_("Draft saved."), "success")
        return redirect(_give_url(found))
    return _give_page_with(found, competencies, status, form=form, save_status=status)


def _give_page_with(found, competencies, status, **card) -> Response:
    """The give page with one card as posted (no JavaScript) or that card alone (htmx)."""
    context = _card_context(found, competencies, **card)
    if is_htmx():
        return render("feedback/_card.html", status=status, **context)
    scale = context["scale"]
    cards = [context if other.id == found.id else _card_context_light(other, competencies, scale)
             for other in answers.requests_of_rater(found.cycle, _me())]
    return render("feedback/give.html", status=status, cycle=found.cycle, cards=cards,
                  competencies=competencies)


@bp.post("/requests/<int:feedback_request_id>/submit")
def submit(feedback_request_id):
    """Submit the card: with htmx the card turns into the submitted card in place (422 with
    the errors inside it); without, back to the page. A repeat changes nothing."""
    found = _own_request(feedback_request_id)
    competencies = answers.competencies_of(found.cycle)
    if found.is_submitted:
        # A double click, a resent form, or a crafted post: the answer stays as submitted.
        if is_htmx():
            return render("feedback/_card.html", **_card_context(found, competencies))
        return redirect(_give_url(found))
    form = _card(found, competencies, formdata=request.form)
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: answers.submit(
            found, current_user, expected_version=form.version.data,
            values=card_values(form, competencies, request.form), now=utcnow()), current=found)
        if status == 200:
            if is_htmx():
                return render("feedback/_card.html", **_card_context(found, competencies))
            flash(_("Your feedback on %(name)s is submitted.", name=found.subject.display_name),
                  "success")
            return redirect(_give_url(found))
    if found.is_submitted:  # submitted meanwhile (the other click won)
        return _give_page_with(found, competencies, 200)
    if status == 409:
        form.version.data = found.version
    return _give_page_with(found, competencies, status, form=form, save_status=status)


@bp.post("/requests/<int:feedback_request_id>/decline")
def decline(feedback_request_id):
    found = _own_request(feedback_request_id)
    competencies = answers.competencies_of(found.cycle)
    form = DeclineForm(prefix=f"decline{found.id}")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: answers.decline(
            found, current_user, reason=form.reason.data, now=utcnow()), current=found)
        if status == 200:
            flash(_("You declined; %(name)s's head picks someone else.",
                    name=found.subject.display_name), "success")
            return redirect(url_for("feedback.give", cycle_id=found.cycle_id))
    return _give_page_with(found, competencies, status, decline_form=form)


# HR ----------------------------------------------------------------------------------------

@bp.get("/<int:cycle_id>/admin")
def admin(cycle_id):
    """Counts per department and stuck nominations; who has answered only on the person's
    raters page, never what."""
    cycle = load_cycle(cycle_id)
    can.ensure(can.can_view_feedback_admin(current_user, cycle))
    rows = completion.completion(cycle)
    return render("feedback/admin.html", cycle=cycle, rows=rows,
                  total=completion.totals(rows), stuck=_stuck(cycle))


def _stuck(cycle: Cycle):
    """A page of the stuck nominations (uncounted: previous and next)."""
    return window(nominations.stuck_query(cycle), to_id(request.args.get("page")) or 1,
                  current_app.config["PAGE_SIZE"])


@bp.post("/<int:cycle_id>/admin/recompute")
def recompute(cycle_id):
    """HR folds the 360 answers into everyone's stored scores (one batch)."""
    cycle = load_cycle(cycle_id)
    can.ensure(can.can_recompute_scores(current_user, cycle))
    from ..forms import EmptyForm

    form = EmptyForm()
    status = 422
    if form.validate_on_submit():
        status, count = attempt(form, lambda: completion.recompute_scores(
            cycle, current_user, utcnow()))
        if status == 200:
            flash(ngettext("Scores stored again for %(num)d person.",
                           "Scores stored again for %(num)d people.", count), "success")
            return redirect(url_for("feedback.admin", cycle_id=cycle.id))
    rows = completion.completion(cycle)
    return render("feedback/admin.html", status=status, cycle=cycle, rows=rows,
                  total=completion.totals(rows), stuck=_stuck(cycle),
                  errors=form.form_errors or [_("Reload the page and try again.")])


# The 360 report -------------------------------------------------------------------------------

def _report(cycle_id: int, person_id: int):
    cycle, person = _load_person(cycle_id, person_id, can.can_view_feedback_report)
    found = report.report_for(current_user, person, cycle)
    if found is None:  # a phase or state refusal: the page says why
        return cycle, person, None, can.can_view_feedback_report(current_user, (person, cycle))
    return cycle, person, found, True


@bp.get("/<int:cycle_id>/people/<int:person_id>/report")
def report_page(cycle_id, person_id):
    cycle, person, found, allowed = _report(cycle_id, person_id)
    if found is None and is_htmx():
        # The fragment has no report to show: refused, with the reason (never a 500).
        return render("feedback/_report_refused.html", status=403, refusal=allowed)
    return render("feedback/report.html", "feedback/_report.html", cycle=cycle, person=person,
                  report=found, refusal=allowed if found is None else None, lang=language())


@bp.get("/<int:cycle_id>/people/<int:person_id>/report.csv")
def report_csv(cycle_id, person_id):
    cycle, person, found, allowed = _report(cycle_id, person_id)
    if found is None:
        return render("feedback/report.html", status=409, cycle=cycle, person=person,
                      report=None, refusal=allowed, lang=language())
    response = Response(found.csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="360-{cycle.id}-{person.id}.csv"')
    return response


# Settings -------------------------------------------------------------------------------------

@bp.route("/<int:cycle_id>/settings", methods=["GET", "POST"])
def settings(cycle_id):
    """HR sets the cycle's 360 settings; executives read them."""
    cycle = load_cycle(cycle_id)
    current = settings_service.settings_of(cycle)
    may_edit = can.can_edit_feedback_settings(current_user, current)
    can.ensure(may_edit if request.method == "POST"
               else can.can_view_review_settings(current_user, cycle))
    if request.method == "POST":
        form = SettingsForm()
    else:
        form = SettingsForm(formdata=None, obj=current, version=current.version or "")
    status = status_of(form)
    if request.method == "POST" and form.validate_on_submit():
        status, _result = attempt(form, lambda: settings_service.update_settings(
            cycle, current_user, expected_version=form.version.data, now=utcnow(),
            **{name: form[name].data for name in settings_service.FIELDS}),
            current=current if current.id else None)
        if status == 200:
            flash(_("360 settings saved."), "success")
            return redirect(url_for("feedback.settings", cycle_id=cycle.id))
    return render("feedback/settings.html", status=status, cycle=cycle, form=form,
                  may_edit=may_edit, threshold=settings_service.threshold_of(cycle))
