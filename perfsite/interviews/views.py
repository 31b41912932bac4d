"""Feedback interview pages: the cycle's interviews, scheduling (and an .ics file), the
interview page (results, reviews side by side, the 360 report, open obstacles, last cycle's
improvement plan) with notes that save as one types, the improvement plan and goal drafts
edited inline, completion, acknowledgement, appeals, outcomes and closing the cycle.

Views stay thin: `load` with the access check (404/403), the service through `attempt`
(one commit), the whole page or, for htmx, the fragment the page itself includes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, to_user_timezone
from flask_login import current_user
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import drafts
from .. import permissions as can
from ..extensions import db
from ..i18n import language
from ..models import (
    Cycle,
    GoalDraft,
    ImprovementItem,
    Interview,
    NoteSection,
    Obstacle,
    Outcome,
    Person,
    Review,
    ReviewKind,
    utcnow,
)
from ..rules import to_id
from ..submissions import submit_once
from ..talent.services import review as talent_review
from ..web import attempt, is_htmx, load, load_cycle, render, status_of
from . import bp
from .forms import (
    AcknowledgeForm,
    AppealForm,
    ApproveForm,
    CloseForm,
    GoalDraftForm,
    ItemForm,
    NewItemForm,
    NoteForm,
    OverrideForm,
    ProposeForm,
    ScheduleForm,
    TrackForm,
    VersionOnlyForm,
    rules_form_class,
)
from .services import closing, outcomes
from .services import interviews as service

MEETING_SECTIONS = (NoteSection.STRENGTHS, NoteSection.IMPROVE, NoteSection.OUTCOMES,
                    NoteSection.PERSON, NoteSection.REPLY)


@bp.app_context_processor
def interview_helpers():
    """For the planning page: the goal drafts of the person's last interview proposed in
    this cycle (see services.interviews.propose_goal_drafts)."""
    return {"interview_goal_drafts": service.drafts_proposed_to}


def load_interview(interview_id: int, check=can.can_view_interview) -> Interview:
    return load(Interview, interview_id, check, options=(
        selectinload(Interview.notes), selectinload(Interview.items),
        selectinload(Interview.goal_drafts), joinedload(Interview.person),
        joinedload(Interview.head), joinedload(Interview.cycle)))


def interview_url(interview: Interview, anchor: str = "") -> str:
    return url_for("interviews.interview", interview_id=interview.id) + anchor


# Lists ----------------------------------------------------------------------------------------

@bp.get("/")
def index():
    """Cycles with interviews: mine, the ones I hold, and (HR, executives) everyone's."""
    cycles = [c for c in db.session.scalars(
        select(Cycle).where(can.interview_cycles_clause(current_user))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())) if can.can_view_interviews(
            current_user, c)]
    ids = [c.id for c in cycles] or [0]
    mine = {i.cycle_id: i for i in db.session.scalars(select(Interview).where(
        Interview.person_id == current_user.id, Interview.cycle_id.in_(ids)))}
    return render("interviews/index.html", cycles=cycles, mine=mine, **_tracking())


def _tracking(forms=None) -> dict:
    """My last improvement plan, tracked in the current cycle while check-ins are open."""
    from ..cycles.services import current_cycle

    cycle = current_cycle()
    plan = service.plan_to_track(current_user, cycle) if cycle is not None else None
    if plan is None or not plan.items:
        return {"tracked": None}
    forms = forms or {}
    return {"tracked": plan, "tracking_cycle": cycle,
            "may_track": bool(can.can_track_item(current_user, plan.items[0], cycle)),
            "track_forms": {item.id: forms.get(item.id) or TrackForm(
                formdata=None, prefix=f"track-{item.id}", cycle_id=cycle.id,
                status=item.current_state.value) for item in plan.items}}


@bp.post("/items/<int:item_id>/track")
def track_item(item_id):
    """The person reports how an item of their last plan is going (in a later cycle)."""
    item = load(ImprovementItem, item_id)
    form = TrackForm(prefix=f"track-{item.id}")
    cycle = db.session.get(Cycle, to_id(form.cycle_id.data) or 0)
    if cycle is None:
        can.ensure(can.can_report_on_plan(current_user, item.interview))
        form.form_errors.append(_("Reload the page and try again."))
        status = 422
    else:
        can.ensure(can.can_track_item(current_user, item, cycle))
        status = 422
        if form.validate_on_submit():
            status, _update = attempt(form, lambda: service.track_item(
                item, current_user, cycle, status=form.status.data, note=form.note.data,
                now=utcnow()))
            if status == 200:
                flash(_("Thank you: your head sees how it is going."), "success")
                return redirect(url_for("interviews.index") + "#my-plan")
    return render("interviews/index.html", status=status, cycles=[], mine={},
                  **_tracking({item.id: form}))


@bp.get("/cycles/<int:cycle_id>")
def cycle_page(cycle_id):
    """The interviews of a cycle: whom I hold (to schedule), and everyone's I may read."""
    cycle = load_cycle(cycle_id, can.can_view_interviews)
    per_page = current_app.config["PAGE_SIZE"]
    me = current_user._get_current_object()
    page = db.paginate(service.listed_people(cycle, me),
                       page=to_id(request.args.get("page")) or 1,
                       per_page=per_page, max_per_page=per_page, error_out=False)
    rows = service.listed_interviews(cycle, me, list(page.items))
    own = service.get_interview(cycle, me)
    return render("interviews/cycle.html", cycle=cycle, rows=rows, page=page, own=own,
                  may_close=can.can_close_cycle(current_user, cycle),
                  sees_outcomes=can.can_view_outcomes(current_user, cycle))


# Scheduling -----------------------------------------------------------------------------------

@bp.route("/cycles/<int:cycle_id>/people/<int:person_id>/schedule", methods=["GET", "POST"])
def schedule(cycle_id, person_id):
    cycle = load_cycle(cycle_id, can.can_view_interviews)
    person = load(Person, person_id)
    interview = service.interview_for(cycle, person)
    allowed = can.can_schedule_interview(current_user, interview)
    can.ensure(allowed)
    if request.method == "POST":
        form = ScheduleForm()
    elif interview.id:
        # The form takes the date and time in the reader's zone (forms.moment_of).
        local = to_user_timezone(interview.starts_at)
        form = ScheduleForm(formdata=None, version=interview.version,
                            day=local.date(), at=local.time().replace(second=0, microsecond=0),
                            duration_minutes=interview.duration_minutes, place=interview.place,
                            meeting_link=interview.meeting_link)
        if interview.proposed_starts_at:
            proposed = to_user_timezone(interview.proposed_starts_at)
            form.day.data = proposed.date()
            form.at.data = proposed.time().replace(second=0, microsecond=0)
    else:
        form = ScheduleForm(formdata=None)
    status = status_of(form)
    if request.method == "GET" and not allowed:
        form.form_errors.append(allowed.reason)
    if form.validate_on_submit():
        def call():
            fields = dict(starts_at=form.starts_at, duration_minutes=form.duration_minutes.data,
                          place=form.place.data, meeting_link=form.meeting_link.data,
                          expected_version=form.version.data, now=utcnow())
            if interview.id:
                return service.schedule(interview, current_user, **fields)
            return submit_once(form.form_token.data, current_user,
                               lambda: service.schedule(interview, current_user, **fields))

        status, saved = attempt(form, call, current=interview if interview.id else None)
        if status == 200:
            flash(_("The interview with %(name)s is scheduled; they have been told.",
                    name=person.display_name), "success")
            return redirect(interview_url(saved or interview))
    return render("interviews/schedule.html", status=status, cycle=cycle, person=person,
                  interview=interview, form=form)


@bp.get("/<int:interview_id>/calendar.ics")
def calendar(interview_id):
    """The interview for a calendar: an invitation, or once cancelled the cancellation of
    the same event. The UID names the site's host (SITE_URL's, else the request's), so it
    stays the same however often and wherever the file is downloaded."""
    interview = load_interview(interview_id)
    host = (urlsplit(current_app.config.get("SITE_URL") or "").hostname
            or request.host.split(":")[0])
    body = service.calendar_file(interview, utcnow(), host=host)
    method = "CANCEL" if interview.is_cancelled else "REQUEST"
    return Response(body, content_type=f"text/calendar; charset=utf-8; method={method}",
                    headers={"Content-Disposition":
                             f'attachment; filename="interview-{interview.id}.ics"'})


@bp.post("/<int:interview_id>/cancel")
def cancel(interview_id):
    interview = load_interview(interview_id, can.can_cancel_interview)
    form = VersionOnlyForm(prefix="cancel")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: service.cancel(
            interview, current_user, expected_version=form.version.data, now=utcnow()),
            current=interview)
        if status == 200:
            flash(_("The interview with %(name)s is cancelled; they have been told.",
                    name=interview.person.display_name), "success")
            return redirect(interview_url(interview))
    return _interview_page(interview, status, cancel_form=form)


@bp.post("/<int:interview_id>/propose")
def propose(interview_id):
    interview = load_interview(interview_id, can.can_propose_time)
    form = ProposeForm(prefix="propose")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: service.propose_time(
            interview, current_user, starts_at=form.starts_at, note=form.note.data,
            expected_version=form.version.data, now=utcnow()), current=interview)
        if status == 200:
            flash(_("Your proposal has been sent to %(name)s.",
                    name=interview.head.display_name), "success")
            return redirect(interview_url(interview))
    return _interview_page(interview, status, propose_form=form)


# The interview page ---------------------------------------------------------------------------

def _report(interview: Interview):
    """The 360 report as the viewer may see it, once the feedback area provides one."""
    try:
        from ..feedback.services.report import report_for
        current_app.jinja_env.get_template("feedback/_report.html")
    except (ImportError, TemplateNotFound):
        return None
    return report_for(current_user._get_current_object(), interview.person, interview.cycle)


def _previous_interview(interview: Interview) -> Interview | None:
    return db.session.scalar(
        select(Interview).join(Cycle, Cycle.id == Interview.cycle_id)
        .where(Interview.person_id == interview.person_id,
               Cycle.start_date < interview.cycle.start_date)
        .options(selectinload(Interview.items).joinedload(ImprovementItem.owner),
                 selectinload(Interview.items).selectinload(ImprovementItem.updates),
                 joinedload(Interview.cycle))
        .order_by(Cycle.start_date.desc()).limit(1))


def _note_forms(interview: Interview, sections) -> dict:
    forms = {}
    for section in sections:
        note = interview.note(section)
        forms[section.value] = NoteForm(formdata=None, prefix=f"note-{section.value}",
                                        text=note.text if note else "",
                                        version=note.version if note else "")
    return forms


def _item_form(interview: Interview, item=None, formdata=None, new=False):
    cls = NewItemForm if new else ItemForm
    prefix = "item-new" if new else f"item-{item.id}"
    if formdata is not None:
        form = cls(prefix=prefix)
    elif item is not None:
        form = cls(formdata=None, prefix=prefix, obj=item, version=item.version)
    else:
        form = cls(formdata=None, prefix=prefix, owner_id=interview.person_id)
    form.owner_id.choices = [(p.id, p.display_name) for p in service.owner_choices(interview)]
    return form


def _interview_context(interview: Interview, **extra) -> dict:
    from ..planning.services import progress
    from ..reviews.services import reviews as review_service
    from ..reviews.services import scores
    from ..reviews.services import settings as settings_service

    me = current_user._get_current_object()
    cycle, person = interview.cycle, interview.person
    subject = review_service.subject_of(cycle, person)
    saved = scores.reviews_of(cycle, person)
    found = {kind: saved.get(kind.value) or Review.blank(cycle, person, kind)
             for kind in ReviewKind}
    readable = {kind.value: bool(can.can_read_review(me, review))
                for kind, review in found.items()}
    result = scores.result_for(cycle, person)
    sections = [s for s in MEETING_SECTIONS]
    if can.can_read_prep_notes(me, interview):
        sections.insert(0, NoteSection.PREP)
    obstacles = list(db.session.scalars(
        select(Obstacle).where(Obstacle.raised_by_id == person.id,
                               Obstacle.is_open)
        .options(joinedload(Obstacle.kpi), joinedload(Obstacle.owner))
        .order_by(Obstacle.created_at)))
    may_plan = can.can_edit_improvement_plan(me, interview)
    context = {
        "interview": interview, "cycle": cycle, "person": person, "lang": language(),
        "is_person": person.id == me.id, "subject": subject,
        "kpi_progress": {k.id: progress.of(k) for k in subject.kpis},
        "self_review": found[ReviewKind.SELF], "manager_review": found[ReviewKind.MANAGER],
        "readable": readable, "result": result,
        "sees_results": bool(can.can_view_results(me, result)),
        "bands": settings_service.bands_of(subject.settings),
        "scale": {p.value: p for p in subject.scale},
        "report": _report(interview), "obstacles": obstacles,
        "previous": _previous_interview(interview),
        # the talent review's agreed action: for the heads, HR and executives only
        "talent_action": talent_review.agreed_actions([person.id], me).get(person.id),
        "sections": sections, "note_forms": _note_forms(interview, sections),
        "note_states": {}, "may_note": {s.value: can.can_take_notes(me, interview, s.value)
                                        for s in sections},
        "may_plan": may_plan, "item_forms": {}, "new_item_form": _item_form(interview, new=True)
        if may_plan else None,
        "draft_form": GoalDraftForm(formdata=None, prefix="draft") if may_plan else None,
        "editing_item": None,
        "may_complete": can.can_complete_interview(me, interview),
        "may_schedule": can.can_schedule_interview(me, interview),
        "may_cancel": can.can_cancel_interview(me, interview),
        "cancel_form": VersionOnlyForm(formdata=None, prefix="cancel",
                                       version=interview.version),
        "may_propose": can.can_propose_time(me, interview),
        "may_acknowledge": can.can_acknowledge_interview(me, interview),
        "may_resolve": can.can_resolve_appeal(me, interview),
        "propose_form": ProposeForm(formdata=None, prefix="propose",
                                    version=interview.version),
        "ack_form": AcknowledgeForm(formdata=None, prefix="ack", version=interview.version),
        "complete_form": VersionOnlyForm(formdata=None, prefix="complete",
                                         version=interview.version),
        "remove_form": lambda obj, prefix: VersionOnlyForm(formdata=None, prefix=prefix,
                                                           version=obj.version),
        "outcome": outcomes.get_outcome(cycle, person),
    }
    context.update(extra)
    return context


def _interview_page(interview: Interview, status: int = 200, **extra):
    return render("interviews/interview.html", status=status,
                  **_interview_context(interview, **extra))


@bp.get("/<int:interview_id>")
def interview(interview_id):
    return _interview_page(load_interview(interview_id))


# Notes ------------------------------------------------------------------------------------------

@bp.post("/<int:interview_id>/notes/<section>")
def save_note(interview_id, section):
    """Autosave (htmx: the "saved at" note, or on a stale save the section with both texts)
    or the section's "Save" button."""
    try:
        section = NoteSection(section)
    except ValueError:
        return render("errors/error.html", status=404, code=404, title=_("Not found"),
                      message=_("There is no such section."))
    interview = load_interview(interview_id)
    can.ensure(can.can_take_notes(current_user, interview, section.value))
    form = NoteForm(prefix=f"note-{section.value}")
    posted_version = form.version.data
    expected = form.overwrite_version.data or posted_version
    status, saved = 422, None
    if form.keep_newer.data and form.validate_on_submit():
        # After a stale save the writer chose the newer text: nothing of theirs is saved
        # (their text stays a refused revision in the history).
        return _kept_newer(interview, section)
    if form.validate_on_submit():
        status, saved = attempt(form, lambda: service.save_note(
            interview, current_user, section, form.text.data, expected_version=expected,
            now=utcnow(), writer=drafts.writer_of(request.form)))
        if status == 200 and saved.stale:
            status = 409
    note = interview.note(section) or service.note_for(interview, section)
    state = {"status": status, "saved": saved, "note": note}
    if is_htmx():
        if status == 409 and saved is not None:
            # Show the section again with both texts side by side, based on the newer one.
            response = render("interviews/_note.html", status=409,
                              **_note_context(interview, section, form, state))
            response.headers["HX-Retarget"] = f"#note-{section.value}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        return render("interviews/_note_status.html", status=status,
                      **_note_context(interview, section, form, state))
    if status == 200:
        flash(_("Notes saved."), "success")
        return redirect(interview_url(interview, f"#note-{section.value}"))
    return _interview_page(interview, status, note_states={section.value: state},
                           note_forms={**_note_forms(interview, _sections_for(interview)),
                                       section.value: _conflict_form(form, state)})


def _sections_for(interview):
    sections = list(MEETING_SECTIONS)
    if can.can_read_prep_notes(current_user, interview):
        sections.insert(0, NoteSection.PREP)
    return sections


def _kept_newer(interview, section):
    """The section as saved, its form based on the newer version (htmx: the section)."""
    if not is_htmx():
        flash(_("The newer text is kept."), "success")
        return redirect(interview_url(interview, f"#note-{section.value}"))
    form = _note_forms(interview, [section])[section.value]
    note = interview.note(section) or service.note_for(interview, section)
    response = render("interviews/_note.html", **_note_context(
        interview, section, form, {"status": None, "saved": None, "note": note}))
    response.headers["HX-Retarget"] = f"#note-{section.value}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _conflict_form(form, state):
    """After a stale save: the form holds what this tab typed (never a merge), based on
    the newer version, for its writer to keep, edit or give up for the newer text."""
    saved = state.get("saved")
    if state["status"] == 409 and saved is not None and saved.stale:
        form.text.data = saved.mine
        form.version.data = saved.note.version
        form.overwrite_version.data = None
    return form


def _note_context(interview, section, form, state) -> dict:
    return {"interview": interview, "section": section, "form": _conflict_form(form, state),
            "state": state, "may_write": True, "sections": [section]}


# The improvement plan and goal drafts ----------------------------------------------------------

def _plan_fragment(interview: Interview, status: int = 200, **extra):
    context = _interview_context(interview, **extra)
    if is_htmx():
        return render("interviews/_plan.html", status=status, **context)
    return render("interviews/interview.html", status=status, **context)


def _change_plan(interview: Interview, form, change, *, done: str, anchor: str,
                 current=None, **fragment):
    """Run an improvement-plan or goal-draft change posted with `form`: back to the page
    without JavaScript, the plan fragment with htmx; 422/409 with the form's errors."""
    status = status_of(form) if request.method == "GET" else 422
    if form.validate_on_submit():
        status, _result = attempt(form, change, current=current)
        if status == 200:
            flash(done, "success")
            if not is_htmx():
                return redirect(interview_url(interview, anchor))
            return _plan_fragment(interview)
    if not fragment:
        for message in form.form_errors:
            flash(message, "error")
    return _plan_fragment(interview, status, **fragment)


@bp.post("/<int:interview_id>/items")
def add_item(interview_id):
    interview = load_interview(interview_id, can.can_edit_improvement_plan)
    form = _item_form(interview, formdata=request.form, new=True)
    return _change_plan(interview, form, lambda: submit_once(
        form.form_token.data, current_user, lambda: service.add_item(
            interview, current_user, action=form.action.data, support=form.support.data,
            owner_id=form.owner_id.data, due_date=form.due_date.data,
            status=form.status.data)),
        done=_("Improvement-plan item added."), anchor="#improvement-plan",
        new_item_form=form)


def _load_item(item_id, check=can.can_edit_improvement_plan) -> ImprovementItem:
    item = load(ImprovementItem, item_id)
    can.ensure(check(current_user, item.interview))
    return item


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
def edit_item(item_id):
    """GET: the item's row as a form (inline with htmx, its own page without); POST: save."""
    item = _load_item(item_id)
    interview = item.interview
    form = _item_form(interview, item, formdata=request.form if request.method == "POST"
                      else None)
    return _change_plan(interview, form, lambda: service.update_item(
        item, current_user, expected_version=form.version.data, action=form.action.data,
        support=form.support.data, owner_id=form.owner_id.data,
        due_date=form.due_date.data, status=form.status.data),
        done=_("Improvement-plan item saved."), anchor="#improvement-plan", current=item,
        editing_item=item.id, item_forms={item.id: form})


@bp.post("/items/<int:item_id>/remove")
def remove_item(item_id):
    item = _load_item(item_id)
    form = VersionOnlyForm(prefix=f"remove-{item.id}")
    return _change_plan(item.interview, form, lambda: service.remove_item(
        item, current_user, expected_version=form.version.data),
        done=_("Improvement-plan item removed."), anchor="#improvement-plan", current=item)


@bp.post("/<int:interview_id>/drafts")
def add_draft(interview_id):
    interview = load_interview(interview_id, can.can_edit_improvement_plan)
    form = GoalDraftForm(prefix="draft")
    return _change_plan(interview, form, lambda: submit_once(
        form.form_token.data, current_user, lambda: service.add_goal_draft(
            interview, current_user, title=form.title.data,
            description=form.description.data)),
        done=_("Goal draft added."), anchor="#goal-drafts", draft_form=form)


@bp.post("/drafts/<int:draft_id>/remove")
def remove_draft(draft_id):
    draft = load(GoalDraft, draft_id)
    can.ensure(can.can_edit_improvement_plan(current_user, draft.interview))
    form = VersionOnlyForm(prefix=f"remove-draft-{draft.id}")
    return _change_plan(draft.interview, form, lambda: service.remove_goal_draft(
        draft, current_user, expected_version=form.version.data),
        done=_("Goal draft removed."), anchor="#goal-drafts", current=draft)


# Completing, acknowledging, appeals -------------------------------------------------------------

@bp.post("/<int:interview_id>/complete")
def complete(interview_id):
    interview = load_interview(interview_id, can.can_complete_interview)
    form = VersionOnlyForm(prefix="complete")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: service.complete(
            interview, current_user, expected_version=form.version.data, now=utcnow()),
            current=interview)
        if status == 200:
            flash(_("The record is completed; %(name)s has been asked to acknowledge it.",
                    name=interview.person.display_name), "success")
            return redirect(interview_url(interview))
    return _interview_page(interview, status, complete_form=form)


@bp.post("/<int:interview_id>/acknowledge")
def acknowledge(interview_id):
    interview = load_interview(interview_id, can.can_acknowledge_interview)
    form = AcknowledgeForm(prefix="ack")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: service.acknowledge(
            interview, current_user, agreement=form.agreement.data, comment=form.comment.data,
            expected_version=form.version.data, now=utcnow()), current=interview)
        if status == 200:
            flash(_("Thank you: you agreed with the record.")
                  if form.agreement.data == "agree" else
                  _("Your disagreement is with HR as an appeal; you will be told the "
                    "decision."), "success")
            return redirect(interview_url(interview))
    return _interview_page(interview, status, ack_form=form)


def _appeal_form(interview, formdata=None):
    from ..reviews.services import settings as settings_service

    bands = settings_service.bands_of(settings_service.settings_for(interview.cycle))
    form = AppealForm() if formdata is not None else AppealForm(
        formdata=None, version=interview.version)
    form.band.choices = [("", _("Keep"))] + [(b.code, f"{b.code} – {b.label_in(language())}")
                                             for b in bands]
    return form


@bp.route("/<int:interview_id>/appeal", methods=["GET", "POST"])
def resolve_appeal(interview_id):
    interview = load_interview(interview_id)
    allowed = can.can_resolve_appeal(current_user, interview)
    can.ensure(allowed)
    form = _appeal_form(interview, request.form if request.method == "POST" else None)
    status = status_of(form)
    if request.method == "GET" and not allowed:
        form.form_errors.append(allowed.reason)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: service.resolve_appeal(
            interview, current_user, decision=form.decision.data, band=form.band.data,
            reason=form.reason.data, expected_version=form.version.data, now=utcnow()),
            current=interview)
        if status == 200:
            flash(_("The appeal is resolved; %(name)s and their head have been told.",
                    name=interview.person.display_name), "success")
            return redirect(interview_url(interview))
    from ..reviews.services import scores

    return render("interviews/appeal.html", status=status, interview=interview, form=form,
                  result=scores.result_for(interview.cycle, interview.person),
                  cycle=interview.cycle, person=interview.person)


# Outcomes -----------------------------------------------------------------------------------------

def _rules_form(cycle, rows, formdata=None):
    cls = rules_form_class([row.band for row in rows])
    if formdata is not None:
        return cls()
    data = {}
    for row in rows:
        code = row.band.code
        data[f"rule_{code}_bonus_multiplier"] = f"{row.rule.bonus_multiplier:.2f}"
        for flag in ("promotion", "training", "improvement_plan"):
            data[f"rule_{code}_{flag}"] = getattr(row.rule, flag)
    return cls(formdata=None, data=data)


def _outcomes_page(cycle, status=200, rules_form=None):
    department_id = to_id(request.args.get("department_id"))
    per_page = current_app.config["PAGE_SIZE"]
    page = db.paginate(outcomes.visible_outcomes(cycle, current_user, department_id),
                       page=to_id(request.args.get("page")) or 1, per_page=per_page,
                       max_per_page=per_page, error_out=False)
    rows = outcomes.rules_for(cycle)
    return render("interviews/outcomes.html", status=status, cycle=cycle, page=page,
                  rules=rows, rules_form=rules_form or _rules_form(cycle, rows),
                  may_edit_rules=can.can_edit_outcome_rules(current_user, cycle),
                  may_approve=can.can_approve_outcomes(current_user, cycle),
                  pending=outcomes.pending_by_department(cycle)
                  if can.sees_whole_company(current_user) else [],
                  approve_form=ApproveForm(formdata=None), department_id=department_id,
                  may_override={o.id: can.can_override_outcome(current_user, o)
                                for o in page.items},
                  talent_actions=talent_review.agreed_actions(
                      [o.person_id for o in page.items], current_user))


@bp.get("/cycles/<int:cycle_id>/outcomes")
def outcomes_page(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_view_outcomes)
    return _outcomes_page(cycle)


@bp.post("/cycles/<int:cycle_id>/outcomes/rules")
def save_rules(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_edit_outcome_rules)
    rows = outcomes.rules_for(cycle)
    form = _rules_form(cycle, rows, request.form)
    status = 422
    if form.validate_on_submit():
        values = {row.band.code: {
            "bonus_multiplier": form[f"rule_{row.band.code}_bonus_multiplier"].data,
            **{flag: form[f"rule_{row.band.code}_{flag}"].data
               for flag in ("promotion", "training", "improvement_plan")}} for row in rows}
        status, _result = attempt(form, lambda: outcomes.save_rules(
            cycle, current_user, values, utcnow()))
        if status == 200:
            flash(_("Outcome rules saved; outcomes not approved or overridden follow them."),
                  "success")
            return redirect(url_for("interviews.outcomes_page", cycle_id=cycle.id))
    return _outcomes_page(cycle, status, rules_form=form)


@bp.post("/cycles/<int:cycle_id>/outcomes/approve")
def approve_outcomes(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_approve_outcomes)
    form = ApproveForm()
    department_id = to_id(form.department_id.data)
    if form.validate_on_submit():
        status, count = attempt(form, lambda: outcomes.approve_department(
            cycle, current_user, department_id, utcnow()))
        if status == 200:
            flash(ngettext("%(num)d outcome approved.", "%(num)d outcomes approved.", count),
                  "success")
    for message in form.form_errors:
        flash(message, "error")
    return redirect(url_for("interviews.outcomes_page", cycle_id=cycle.id))


@bp.route("/outcomes/<int:outcome_id>", methods=["GET", "POST"])
def override_outcome(outcome_id):
    outcome = load(Outcome, outcome_id, can.can_override_outcome)
    if request.method == "POST":
        form = OverrideForm()
    else:
        form = OverrideForm(formdata=None, obj=outcome, version=outcome.version, reason="")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: outcomes.override(
            outcome, current_user, bonus_multiplier=form.bonus_multiplier.data,
            promotion=form.promotion.data, training=form.training.data,
            improvement_plan=form.improvement_plan.data, reason=form.reason.data,
            expected_version=form.version.data, now=utcnow()), current=outcome)
        if status == 200:
            flash(_("Your recommendation for %(name)s is saved.",
                    name=outcome.person.display_name), "success")
            return redirect(url_for("interviews.outcomes_page", cycle_id=outcome.cycle_id))
    return render("interviews/override.html", status=status, outcome=outcome, form=form,
                  cycle=outcome.cycle)


# Closing the cycle ----------------------------------------------------------------------------

@bp.route("/cycles/<int:cycle_id>/close", methods=["GET", "POST"])
def close(cycle_id):
    cycle = load(Cycle, cycle_id, lambda user, c: can.can_manage_cycles(user))
    allowed = can.can_close_cycle(current_user, cycle)
    form = CloseForm()
    status = status_of(form)
    if request.method == "GET" and not allowed:
        form.form_errors.append(allowed.reason)
    if request.method == "POST" and form.validate_on_submit():
        status, _result = attempt(form, lambda: closing.close(
            cycle, current_user, reason=form.reason.data, now=utcnow()), current=cycle)
        if status == 200:
            flash(_("%(name)s is closed: results and outcomes are locked and shown to each "
                    "person.", name=cycle.name), "success")
            return redirect(url_for("interviews.cycle_page", cycle_id=cycle.id))
    return render("interviews/close.html", status=status, cycle=cycle, form=form,
                  missing=closing.missing(cycle), allowed=allowed)
