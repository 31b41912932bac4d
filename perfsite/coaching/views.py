"""Pages for the in-progress part of a cycle: a KPI's check-ins, obstacles, resource
requests, a head's coaching page, HR's overview, to-dos and notifications.

Views stay thin: `load` the objects (404) with their access check (403), hand the form to
a service through `attempt` (which commits once), and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import permissions as can
from ..extensions import db
from ..forms import EmptyForm
from ..models import (
    CheckIn,
    CoachingComment,
    Cycle,
    Kpi,
    Notification,
    Obstacle,
    Person,
    PersonalPlan,
    ResourceRequest,
    utcnow,
)
from ..org.services import department_options
from ..paging import paginate
from ..planning.services import progress
from ..rules import to_id
from ..submissions import submit_once
from ..talent.services import allocations
from ..web import attempt, is_htmx, load, render
from . import bp
from .forms import (
    CheckInForm,
    CommentForm,
    DecisionForm,
    NoteForm,
    OverviewFilterForm,
    ResolveForm,
    TakeForm,
)
from .services import checkins, kept_todos, notes, notifications, obstacles, requests, todos
from .services.common import is_overdue, overdue_clause

# Template helpers -----------------------------------------------------------------------------

@bp.app_context_processor
def coaching_helpers():
    return {"notification_text": notifications.text_of,
            "notification_link": notifications.link_of}


@bp.app_template_global("item_overdue")
def item_overdue(item, now) -> bool:
    """Whether an obstacle or request is overdue (a global: macros are imported without
    the request context)."""
    return is_overdue(item, now)


def _my_todos() -> list[todos.Todo]:
    """The kept list (one row), made afresh and kept when it is not fresh."""
    return kept_todos.todos_and_keep(current_user, utcnow())


# Overview of one's own check-ins and team -----------------------------------------------------

def _checkin_cycle_ids() -> list[int]:
    return list(db.session.scalars(select(Cycle.id).where(can.phase_clause("check_in"))))


@bp.get("/")
def index():
    """My KPIs open for check-ins, what I raised, and (for heads) the people I coach."""
    cycle_ids = _checkin_cycle_ids()
    my_kpis = list(db.session.scalars(
        select(Kpi).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .where(PersonalPlan.person_id == current_user.id,
               PersonalPlan.cycle_id.in_(cycle_ids or [0]),
               PersonalPlan.is_approved, Kpi.counts)
        .options(joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))
        .order_by(PersonalPlan.cycle_id.desc(), Kpi.title)))
    team = list(db.session.scalars(
        select(Person).where(Person.active.is_(True), can.managed_people_clause(current_user))
        .order_by(Person.display_name).limit(200)))
    return render("coaching/index.html", my_kpis=my_kpis,
                  latest=progress.latest_checkins(k.id for k in my_kpis),
                  raised=_raised_by(current_user), team=team, now=utcnow())


def _raised_by(person: Person) -> dict:
    return {
        "obstacles": list(db.session.scalars(
            select(Obstacle).where(Obstacle.raised_by_id == person.id)
            .options(joinedload(Obstacle.kpi), joinedload(Obstacle.cycle))
            .order_by(Obstacle.created_at.desc()).limit(20))),
        "requests": list(db.session.scalars(
            select(ResourceRequest).where(ResourceRequest.raised_by_id == person.id)
            .options(joinedload(ResourceRequest.kpi), joinedload(ResourceRequest.cycle))
            .order_by(ResourceRequest.created_at.desc()).limit(20))),
    }


# A KPI: its check-in timeline and the check-in form -------------------------------------------

KPI_OPTIONS = (joinedload(Kpi.plan).joinedload(PersonalPlan.person),
               joinedload(Kpi.plan).joinedload(PersonalPlan.cycle), joinedload(Kpi.goal))


def _checkin_form(kpi: Kpi, formdata=None) -> CheckInForm:
    form = CheckInForm(formdata=formdata)
    if formdata is None:
        if kpi.actual_value is not None:
            form.actual_value.data = kpi.actual_value
        form.done.data = "1" if kpi.actual_value == 1 else "0"
    return form


def _kpi_context(kpi: Kpi, **extra) -> dict:
    items_filter = {"kpi_id": kpi.id}
    return {
        "kpi": kpi, "person": kpi.plan.person, "cycle": kpi.plan.cycle,
        "progress": progress.of(kpi), "timeline": checkins.timeline(kpi),
        "form": extra.pop("form", None) or _checkin_form(kpi),
        "comment_form_for": _comment_forms(extra.pop("comment_form", None)),
        "obstacle_list": list(db.session.scalars(
            select(Obstacle).filter_by(**items_filter).options(joinedload(Obstacle.cycle))
            .order_by(Obstacle.created_at.desc()))),
        "request_list": list(db.session.scalars(
            select(ResourceRequest).filter_by(**items_filter)
            .options(joinedload(ResourceRequest.cycle))
            .order_by(ResourceRequest.created_at.desc()))),
        "now": utcnow(), **extra,
    }


@bp.get("/kpis/<int:kpi_id>")
def kpi(kpi_id):
    kpi = load(Kpi, kpi_id, can.can_view_kpi, options=KPI_OPTIONS)
    return render("coaching/kpi.html", **_kpi_context(kpi))


def _request_fields(form: CheckInForm) -> dict | None:
    fields = {"kind": form.request_kind.data, "what": form.request_what.data,
              "why": form.request_why.data, "needed_by": form.request_needed_by.data}
    started = any(value.strip() if isinstance(value, str) else value is not None
                  for value in fields.values())
    return fields if started else None


@bp.post("/kpis/<int:kpi_id>/check-ins")
def check_in(kpi_id):
    kpi = load(Kpi, kpi_id, can.can_check_in, options=KPI_OPTIONS)
    form = _checkin_form(kpi, request.form)
    status = 422
    if form.validate_on_submit():
        value = form.done.data if kpi.metric_type == "milestone" else form.actual_value.data
        status, entry = attempt(form, lambda: submit_once(
            form.form_token.data, current_user, lambda: checkins.post_check_in(
                kpi, current_user, actual_value=value, status=form.status.data,
                confidence=form.confidence.data, note=form.note.data,
                obstacle=form.obstacle.data, request=_request_fields(form), now=utcnow())))
        if status == 200:
            if is_htmx():
                # The new entry goes on top of the timeline; a fresh form, the KPI's facts
                # and its items replace theirs out of band.
                return render("coaching/_checkin_posted.html", entry=entry,
                              **_kpi_context(kpi, form=_checkin_form(kpi)))
            flash(_("Check-in posted."), "success")
            return redirect(url_for("coaching.kpi", kpi_id=kpi.id))
    if is_htmx():
        response = render("coaching/_checkin_form.html", status=status,
                          **_kpi_context(kpi, form=form))
        response.headers["HX-Retarget"] = "#checkin-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return render("coaching/kpi.html", status=status, **_kpi_context(kpi, form=form))


# Coaching comments ----------------------------------------------------------------------------

def _comment_form(check_in_id: int, formdata=None) -> CommentForm:
    """Each check-in's reply form has its own prefix, so field ids stay unique."""
    if formdata is None:
        return CommentForm(formdata=None, prefix=f"c{check_in_id}")
    return CommentForm(prefix=f"c{check_in_id}")


def _comment_forms(submitted: CommentForm | None = None):
    """For the template: the reply form of an entry (the submitted one, errors and all)."""
    def form_for(entry):
        if submitted is not None and submitted._prefix == f"c{entry.id}-":
            return submitted
        return _comment_form(entry.id)
    return form_for


def _entry_context(check_in: CheckIn, **extra) -> dict:
    kpi = check_in.kpi
    return {"entry": check_in, "kpi": kpi, "person": kpi.plan.person,
            "comment_form_for": _comment_forms(extra.pop("comment_form", None)), **extra}


@bp.post("/check-ins/<int:check_in_id>/comments")
def comment(check_in_id):
    check_in = load(CheckIn, check_in_id, can.can_comment_on)
    form = _comment_form(check_in.id, request.form)
    status = 422
    if form.validate_on_submit():
        status, _comment = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: notes.comment_on(check_in, current_user, body=form.body.data,
                                     now=utcnow())))
        if status == 200:
            form = None
            if not is_htmx():
                flash(_("Comment sent."), "success")
                return redirect(url_for("coaching.kpi", kpi_id=check_in.kpi_id)
                                + f"#check-in-{check_in.id}")
    if not is_htmx():
        return render("coaching/kpi.html", status=status,
                      **_kpi_context(check_in.kpi, comment_form=form))
    db.session.refresh(check_in)
    return render("coaching/_checkin.html", status=status,
                  **_entry_context(check_in, comment_form=form, open_comment=bool(form)))


@bp.post("/comments/<int:comment_id>/read")
def comment_read(comment_id):
    comment = load(CoachingComment, comment_id, can.can_mark_comment_read)
    form = EmptyForm()
    if form.validate_on_submit():
        attempt(form, lambda: notes.mark_comment_read(comment, current_user, now=utcnow()))
    if is_htmx():
        return render("coaching/_checkin.html", **_entry_context(comment.check_in))
    return redirect(url_for("coaching.kpi", kpi_id=comment.check_in.kpi_id)
                    + f"#check-in-{comment.check_in_id}")


# Obstacles ------------------------------------------------------------------------------------

def _obstacle_context(obstacle: Obstacle, **extra) -> dict:
    return {"item": obstacle, "now": utcnow(),
            "take_form": extra.pop("take_form", None)
            or TakeForm(formdata=None, version=obstacle.version, prefix="take"),
            "resolve_form": extra.pop("resolve_form", None)
            or ResolveForm(formdata=None, version=obstacle.version, prefix="resolve"),
            **extra}


def _obstacle_answer(obstacle: Obstacle, status: int, **extra):
    if status == 200 and not is_htmx():
        return redirect(url_for("coaching.obstacle", obstacle_id=obstacle.id))
    return render("coaching/obstacle.html", "coaching/_obstacle.html", status=status,
                  **_obstacle_context(obstacle, **extra))


@bp.get("/obstacles/<int:obstacle_id>")
def obstacle(obstacle_id):
    obstacle = load(Obstacle, obstacle_id, can.can_view_item)
    return render("coaching/obstacle.html", **_obstacle_context(obstacle))


@bp.post("/obstacles/<int:obstacle_id>/take")
def take_obstacle(obstacle_id):
    obstacle = load(Obstacle, obstacle_id, can.can_take_obstacle)
    form = TakeForm(prefix="take")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: obstacles.take_in_hand(
            obstacle, current_user, expected_version=form.version.data, now=utcnow()),
            current=obstacle)
        if status == 200:
            flash(_("You are handling this obstacle."), "success")
    return _obstacle_answer(obstacle, status, take_form=form)


@bp.post("/obstacles/<int:obstacle_id>/resolve")
def resolve_obstacle(obstacle_id):
    obstacle = load(Obstacle, obstacle_id, can.can_resolve_obstacle)
    form = ResolveForm(prefix="resolve")
    status = 422
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: obstacles.resolve(
            obstacle, current_user, resolution=form.resolution.data,
            expected_version=form.version.data, now=utcnow()), current=obstacle)
        if status == 200:
            flash(_("Obstacle resolved; %(name)s has been told.",
                    name=obstacle.raised_by.display_name), "success")
    return _obstacle_answer(obstacle, status, resolve_form=form)


# Resource requests ----------------------------------------------------------------------------

def _decision_form(item: ResourceRequest, formdata=None) -> DecisionForm:
    form = DecisionForm(formdata=None, version=item.version) if formdata is None \
        else DecisionForm()
    form.escalate_to_id.choices = [(None, _("Choose an executive"))] + [
        (p.id, p.display_name) for p in db.session.scalars(requests.executives())
        if p.id != item.raised_by_id]
    form.drawable = allocations.drawable(item) if item.is_open else []
    form.allocation_id.choices = [(None, _("No allocation (nothing counted)"))] + [
        (row.share.id, f"{row.share.target_allocation.target.title} · "
                       f"{row.share.department.name}") for row in form.drawable]
    if formdata is None and form.drawable:
        form.allocation_id.data = form.drawable[0].share.id
    return form


def _request_context(item: ResourceRequest, **extra) -> dict:
    return {"item": item, "now": utcnow(),
            "form": extra.pop("form", None) or _decision_form(item), **extra}


@bp.get("/requests/<int:request_id>")
def request_detail(request_id):
    item = load(ResourceRequest, request_id, can.can_view_item)
    return render("coaching/request.html", **_request_context(item))


def _may_decide_some_way(user, item):
    """The decide endpoint takes approve, decline and escalate: the person must be one who
    may make one of them."""
    decide = can.can_decide_request(user, item)
    return decide if decide or (isinstance(decide, can.Refusal) and not decide.forbidden) \
        else can.can_escalate_request(user, item)


@bp.post("/requests/<int:request_id>/decide")
def decide_request(request_id):
    item = load(ResourceRequest, request_id, _may_decide_some_way)
    form = _decision_form(item, request.form)
    status = 422
    if form.validate_on_submit():
        decision = request.form.get("decision", "")
        status, _result = attempt(form, lambda: requests.decide(
            item, current_user, decision=decision, comment=form.comment.data,
            escalate_to_id=form.escalate_to_id.data, expected_version=form.version.data,
            now=utcnow(), allocation_id=form.allocation_id.data, amount=form.amount.data,
            headcount=form.headcount.data,
            over_reason=form.over_allocation_reason.data), current=item)
        if status == 200:
            flash(_("Decision recorded; %(name)s has been told.",
                    name=item.raised_by.display_name), "success")
            if not is_htmx():
                return redirect(url_for("coaching.request_detail", request_id=item.id))
            form = None
    return render("coaching/request.html", "coaching/_request.html", status=status,
                  **_request_context(item, form=form))


# A head's coaching page for one person --------------------------------------------------------

@bp.get("/people/<int:person_id>")
def person(person_id):
    person = load(Person, person_id, can.can_view_coaching_page)
    return render("coaching/person.html", **_person_context(person))


def _person_context(person: Person, **extra) -> dict:
    cycle_ids = _checkin_cycle_ids()
    kpis = list(db.session.scalars(
        select(Kpi).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .where(PersonalPlan.person_id == person.id, PersonalPlan.cycle_id.in_(cycle_ids or [0]),
               Kpi.counts)
        .options(joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))
        .order_by(PersonalPlan.cycle_id.desc(), Kpi.title)))
    may_read_notes = can.can_read_private_notes(current_user, person)
    return {
        "person": person, "kpis": kpis, "latest": progress.latest_checkins(k.id for k in kpis),
        "kpi_progress": {k.id: progress.of(k) for k in kpis},
        "raised": _raised_by(person), "now": utcnow(),
        "may_read_notes": may_read_notes,
        "private_notes": notes.private_notes_on(person, current_user) if may_read_notes else [],
        "note_form": extra.pop("note_form", None) or NoteForm(formdata=None), **extra,
    }


@bp.post("/people/<int:person_id>/notes")
def add_note(person_id):
    person = load(Person, person_id, can.can_write_private_note)
    form = NoteForm()
    status = 422
    if form.validate_on_submit():
        status, _note = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: notes.add_private_note(person, current_user, body=form.body.data,
                                           now=utcnow())))
        if status == 200:
            flash(_("Private note saved."), "success")
            if not is_htmx():
                return redirect(url_for("coaching.person", person_id=person.id) + "#notes")
            form = None
    return render("coaching/person.html", "coaching/_private_notes.html", status=status,
                  **_person_context(person, note_form=form))


# HR's overview: every open and overdue obstacle and request, company-wide -------------------------

@bp.get("/overview")
@can.require(can.can_view_overview)
def overview():
    form = OverviewFilterForm(request.args)
    form.department_id.choices = [(None, _("All departments"))] + department_options(
        active_only=False)
    if not form.validate():
        form.department_id.data = None
    kind = form.kind.data if form.kind.data in ("obstacle", "request") else ""
    state = form.state.data if form.state.data in ("open", "overdue", "closed", "all") \
        else "open"
    now = utcnow()
    per_page = current_app.config["PAGE_SIZE"]
    page_number = to_id(request.args.get("page")) or 1
    results = {}
    for name, model in (("obstacle", Obstacle), ("request", ResourceRequest)):
        if kind and kind != name:
            continue
        # Of the KPI and the people, only what a row shows (their names): a page of 50
        # rows decoded four whole records each.
        stmt = (select(model).join(Person, Person.id == model.raised_by_id)
                .options(joinedload(model.kpi).load_only(Kpi.title), joinedload(model.cycle),
                         joinedload(model.raised_by).load_only(Person.display_name),
                         joinedload(model.owner).load_only(Person.display_name))
                .order_by(model.created_at, model.id))
        if model is ResourceRequest:  # the owner column names whom it was escalated to
            stmt = stmt.options(joinedload(ResourceRequest.escalated_to)
                                .load_only(Person.display_name))
        if state == "open":
            stmt = stmt.where(model.is_open)
        elif state == "closed":
            stmt = stmt.where(~model.is_open)
        elif state == "overdue":
            stmt = stmt.where(overdue_clause(model, now))
        if form.department_id.data:
            stmt = stmt.where(Person.department_id.in_(can.subtree_ids([form.department_id.data])))
        results[name] = paginate(stmt, page_number, per_page)
    return render("coaching/overview.html", "coaching/_overview_results.html", form=form,
                  results=results, now=now)


# To-dos and the badge -------------------------------------------------------------------------

@bp.get("/todos")
def todo_list():
    return render("coaching/todos.html", "coaching/_todo_list.html", items=_my_todos())


@bp.get("/todos/badge")
def todo_badge():
    """The kept count: one row read (counted afresh, and kept, when stale)."""
    count = kept_todos.count_and_keep(current_user, utcnow())
    return render("coaching/_todo_badge.html", todo_count=count)


# Notifications --------------------------------------------------------------------------------

@bp.get("/notifications")
def notification_list():
    page = db.paginate(notifications.for_person(current_user),
                       page=to_id(request.args.get("page")) or 1,
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("coaching/notifications.html", page=page,
                  unread=notifications.unread_count(current_user), action_form=EmptyForm())


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id):
    notification = load(Notification, notification_id, can.can_read_notification)
    form = EmptyForm()
    if form.validate_on_submit():
        attempt(form, lambda: notifications.mark_read(notification, current_user, utcnow()))
    if is_htmx():
        return render("coaching/_notification.html", item=notification)
    target = notifications.link_of(notification) if request.form.get("follow") else None
    return redirect(target or url_for("coaching.notification_list"))


@bp.post("/notifications/read-all")
def read_all_notifications():
    form = EmptyForm()
    if form.validate_on_submit():
        attempt(form, lambda: notifications.mark_all_read(current_user, utcnow()))
        flash(_("All notifications marked read."), "success")
    return redirect(url_for("coaching.notification_list"))

