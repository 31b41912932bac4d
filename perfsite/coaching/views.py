"""Pages for the in-progress part of a cycle: a KPI's check-ins, obstacles, resource
requests, a head's coaching page, HR's overview, to-dos and notifications.

Views stay thin: load the objects (404), check permission through perfsite.permissions
(403), hand the form to a service, commit once, and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
Every htmx answer that may change someone's to-dos carries `HX-Trigger: todos-changed`,
on which the navigation badge reloads itself.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import permissions as can
from ..cycles.services import PhaseError, is_allowed
from ..extensions import db
from ..forms import EmptyForm
from ..models import (
    CheckIn,
    CheckInStatus,
    CoachingComment,
    Cycle,
    Department,
    Kpi,
    Notification,
    Obstacle,
    ObstacleStatus,
    Person,
    PersonalPlan,
    Phase,
    PlanStatus,
    RequestStatus,
    ResourceRequest,
    utcnow,
)
from ..planning.services import progress
from ..web import is_htmx, render
from .forms import (
    CheckInForm,
    CommentForm,
    DecisionForm,
    NoteForm,
    OverviewFilterForm,
    ResolveForm,
    TakeForm,
)
from .services import (
    CoachingError,
    ConflictError,
    NotAllowed,
    checkins,
    notes,
    notifications,
    obstacles,
    requests,
    todos,
)
from .services.common import is_overdue, overdue_cutoff

bp = Blueprint("coaching", __name__, url_prefix="/coaching")

TODOS_CHANGED = {"HX-Trigger": "todos-changed"}


# Loading and saving ---------------------------------------------------------------------------

def get_or_404(model, ident):
    return db.session.get(model, ident) or abort(404)


def attempt(form, call, current=None):
    """Run the service `call` and commit once: (200, result), or (409 or 422, None) with the
    reason on the form. A rule about who may act is a 403."""
    try:
        result = call()
        db.session.commit()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except (ConflictError, StaleDataError):
        db.session.rollback()
        if current is not None:
            db.session.refresh(current)
            if hasattr(form, "version"):
                form.version.data = current.version
        form.form_errors.append(_("Someone else changed this meanwhile. The current state is "
                                  "shown; check it before trying again."))
        return 409, None
    except PhaseError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return 409, None
    except CoachingError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        if field is not None and hasattr(field, "errors") and error.field != "version":
            field.errors = [*field.errors, str(error)]
        else:
            form.form_errors.append(str(error))
        return 422, None
    return 200, result


def _with_headers(response, status: int):
    if status == 200:
        response.headers.update(TODOS_CHANGED)
    return response


# Template helpers -----------------------------------------------------------------------------

@bp.app_context_processor
def coaching_helpers():
    return {"coaching_todos": _my_todos, "notification_text": notifications.text_of,
            "notification_link": notifications.link_of}


@bp.app_template_global("latest_checkin")
def latest_checkin(kpi) -> tuple[CheckInStatus, bool] | None:
    """The latest check-in status (and whether it was late) of a KPI on planning pages.
    The whole cycle's statuses are read in one query, once per request, so a plan or the
    alignment tree asks no query per row."""
    from flask import g

    cache = g.setdefault("_latest_checkins", {})
    cycle_id = kpi.plan.cycle_id
    if cycle_id not in cache:
        cache[cycle_id] = checkins.latest_in_cycle(cycle_id)
    found = cache[cycle_id].get(kpi.id)
    return (CheckInStatus(found[0]), found[1]) if found else None


@bp.app_template_global("item_overdue")
def item_overdue(item, now) -> bool:
    """Whether an obstacle or request is overdue (a global: macros are imported without
    the request context)."""
    return is_overdue(item, now)


def _my_todos() -> list[todos.Todo]:
    """The current user's to-dos, computed once per request (home page and badge)."""
    from flask import g

    if not current_user.is_authenticated:
        return []
    if "_coaching_todos" not in g:
        g._coaching_todos = todos.todos_for(current_user, utcnow())
    return g._coaching_todos


# Overview of one's own check-ins and team -----------------------------------------------------

def _checkin_cycle_ids() -> list[int]:
    phases = [p.value for p in (Phase.IN_PROGRESS, Phase.REVIEW)]
    return list(db.session.scalars(select(Cycle.id).where(Cycle.phase.in_(phases))))


@bp.get("/")
def index():
    """My KPIs open for check-ins, what I raised, and (for heads) the people I coach."""
    cycle_ids = _checkin_cycle_ids()
    my_kpis = list(db.session.scalars(
        select(Kpi).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .where(PersonalPlan.person_id == current_user.id,
               PersonalPlan.cycle_id.in_(cycle_ids or [0]),
               PersonalPlan.status == PlanStatus.APPROVED.value)
        .options(joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))
        .order_by(PersonalPlan.cycle_id.desc(), Kpi.title)))
    managed = can.managed_department_ids(current_user)
    team = list(db.session.scalars(
        select(Person).where(Person.active.is_(True), Person.id != current_user.id,
                             or_(Person.manager_id == current_user.id,
                                 Person.department_id.in_(managed)))
        .order_by(Person.display_name)))
    return render("coaching/index.html", my_kpis=my_kpis,
                  latest=checkins.latest_by_kpi(k.id for k in my_kpis),
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

def get_kpi(kpi_id: int) -> Kpi:
    kpi = db.session.get(Kpi, kpi_id, options=[
        joinedload(Kpi.plan).joinedload(PersonalPlan.person),
        joinedload(Kpi.plan).joinedload(PersonalPlan.cycle), joinedload(Kpi.goal)]) \
        or abort(404)
    can.ensure(can.can_view_checkins_of(current_user, kpi.plan.person))
    return kpi


def _checkin_form(kpi: Kpi, formdata=None) -> CheckInForm:
    form = CheckInForm(formdata=formdata)
    if formdata is None and kpi.actual_value is not None:
        form.actual_value.data = kpi.actual_value
    return form


def _kpi_context(kpi: Kpi, **extra) -> dict:
    person = kpi.plan.person
    items_filter = {"kpi_id": kpi.id}
    return {
        "kpi": kpi, "person": person, "cycle": kpi.plan.cycle,
        "progress": progress.of(kpi), "timeline": checkins.timeline(kpi),
        "may_check_in": can.can_check_in(current_user, kpi)
        and is_allowed(kpi.plan.cycle, "check_in"),
        "may_coach": can.can_coach(current_user, person)
        and is_allowed(kpi.plan.cycle, "handle_items"),
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
    return render("coaching/kpi.html", **_kpi_context(get_kpi(kpi_id)))


@bp.post("/kpis/<int:kpi_id>/check-ins")
def check_in(kpi_id):
    kpi = get_kpi(kpi_id)
    can.ensure(can.can_check_in(current_user, kpi))
    form = _checkin_form(kpi, request.form)
    status = 422
    if form.validate_on_submit():
        request_fields = None
        if form.request_kind.data or form.request_what.data or form.request_why.data:
            request_fields = {"kind": form.request_kind.data, "what": form.request_what.data,
                              "why": form.request_why.data,
                              "needed_by": form.request_needed_by.data}
        status, entry = attempt(form, lambda: checkins.post_check_in(
            kpi, current_user, actual_value=form.actual_value.data, status=form.status.data,
            confidence=form.confidence.data, note=form.note.data, obstacle=form.obstacle.data,
            request=request_fields, now=utcnow()))
        if status == 200:
            if is_htmx():
                # The new entry goes on top of the timeline; a fresh form replaces the old.
                response = render("coaching/_checkin_posted.html", entry=entry,
                                  **_kpi_context(kpi, form=_checkin_form(kpi)))
                return _with_headers(response, 200)
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
            "may_coach": can.can_coach(current_user, kpi.plan.person)
            and is_allowed(kpi.plan.cycle, "handle_items"),
            "comment_form_for": _comment_forms(extra.pop("comment_form", None)), **extra}


@bp.post("/check-ins/<int:check_in_id>/comments")
def comment(check_in_id):
    check_in = get_or_404(CheckIn, check_in_id)
    can.ensure(can.can_coach(current_user, check_in.author))
    form = _comment_form(check_in.id, request.form)
    status = 422
    if form.validate_on_submit():
        status, _comment = attempt(form, lambda: notes.comment_on(
            check_in, current_user, body=form.body.data, now=utcnow()))
        if status == 200:
            form = None
            if not is_htmx():
                flash(_("Comment sent."), "success")
                return redirect(url_for("coaching.kpi", kpi_id=check_in.kpi_id)
                                + f"#check-in-{check_in.id}")
    if not is_htmx():
        return render("coaching/kpi.html", status=status,
                      **_kpi_context(check_in.kpi, comment_form=form))
    response = render("coaching/_checkin.html", status=status,
                      **_entry_context(check_in, comment_form=form, open_comment=bool(form)))
    return _with_headers(response, status)


@bp.post("/comments/<int:comment_id>/read")
def comment_read(comment_id):
    comment = get_or_404(CoachingComment, comment_id)
    can.ensure(comment.person_id == current_user.id)
    notes.mark_comment_read(comment, current_user, now=utcnow())
    db.session.commit()
    if is_htmx():
        return _with_headers(render("coaching/_checkin.html",
                                    **_entry_context(comment.check_in)), 200)
    return redirect(url_for("coaching.kpi", kpi_id=comment.check_in.kpi_id)
                    + f"#check-in-{comment.check_in_id}")


# Obstacles ------------------------------------------------------------------------------------

def get_obstacle(obstacle_id: int) -> Obstacle:
    obstacle = get_or_404(Obstacle, obstacle_id)
    can.ensure(can.can_view_item(current_user, obstacle))
    return obstacle


def _obstacle_context(obstacle: Obstacle, **extra) -> dict:
    return {"item": obstacle, "now": utcnow(),
            "may_handle": can.can_handle_item(current_user, obstacle) and obstacle.is_open
            and is_allowed(obstacle.cycle, "handle_items"),
            "take_form": extra.pop("take_form", None)
            or TakeForm(formdata=None, version=obstacle.version, prefix="take"),
            "resolve_form": extra.pop("resolve_form", None)
            or ResolveForm(formdata=None, version=obstacle.version, prefix="resolve"),
            **extra}


def _obstacle_answer(obstacle: Obstacle, status: int, **extra):
    if status == 200 and not is_htmx():
        return redirect(url_for("coaching.obstacle", obstacle_id=obstacle.id))
    response = render("coaching/obstacle.html", "coaching/_obstacle.html", status=status,
                      **_obstacle_context(obstacle, **extra))
    return _with_headers(response, status)


@bp.get("/obstacles/<int:obstacle_id>")
def obstacle(obstacle_id):
    return render("coaching/obstacle.html", **_obstacle_context(get_obstacle(obstacle_id)))


@bp.post("/obstacles/<int:obstacle_id>/take")
def take_obstacle(obstacle_id):
    obstacle = get_obstacle(obstacle_id)
    can.ensure(can.can_handle_item(current_user, obstacle))
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
    obstacle = get_obstacle(obstacle_id)
    can.ensure(can.can_handle_item(current_user, obstacle))
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

def get_request(request_id: int) -> ResourceRequest:
    item = get_or_404(ResourceRequest, request_id)
    can.ensure(can.can_view_item(current_user, item))
    return item


def _decision_form(item: ResourceRequest, formdata=None) -> DecisionForm:
    form = DecisionForm(formdata=None, version=item.version) if formdata is None \
        else DecisionForm()
    form.escalate_to_id.choices = [(None, _("Choose an executive"))] + [
        (p.id, p.display_name) for p in db.session.scalars(requests.executives())
        if p.id != item.raised_by_id]
    return form


def _request_context(item: ResourceRequest, **extra) -> dict:
    return {"item": item, "now": utcnow(),
            "may_decide": requests.may_decide(current_user, item)
            and is_allowed(item.cycle, "handle_items"),
            "may_escalate": item.status == RequestStatus.OPEN,
            "form": extra.pop("form", None) or _decision_form(item), **extra}


@bp.get("/requests/<int:request_id>")
def request_detail(request_id):
    return render("coaching/request.html", **_request_context(get_request(request_id)))


@bp.post("/requests/<int:request_id>/decide")
def decide_request(request_id):
    item = get_request(request_id)
    can.ensure(requests.may_decide(current_user, item))
    form = _decision_form(item, request.form)
    status = 422
    if form.validate_on_submit():
        decision = request.form.get("decision", "")
        status, _result = attempt(form, lambda: requests.decide(
            item, current_user, decision=decision, comment=form.comment.data,
            escalate_to_id=form.escalate_to_id.data, expected_version=form.version.data,
            now=utcnow()), current=item)
        if status == 200:
            flash(_("Decision recorded; %(name)s has been told.",
                    name=item.raised_by.display_name), "success")
            if not is_htmx():
                return redirect(url_for("coaching.request_detail", request_id=item.id))
            form = None
    response = render("coaching/request.html", "coaching/_request.html", status=status,
                      **_request_context(item, form=form))
    return _with_headers(response, status)


# A head's coaching page for one person --------------------------------------------------------

@bp.get("/people/<int:person_id>")
def person(person_id):
    person = get_or_404(Person, person_id)
    can.ensure(can.can_view_coaching_page(current_user, person))
    return render("coaching/person.html", **_person_context(person))


def _person_context(person: Person, **extra) -> dict:
    cycle_ids = _checkin_cycle_ids()
    kpis = list(db.session.scalars(
        select(Kpi).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
        .where(PersonalPlan.person_id == person.id, PersonalPlan.cycle_id.in_(cycle_ids or [0]))
        .options(joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))
        .order_by(PersonalPlan.cycle_id.desc(), Kpi.title)))
    may_read_notes = can.can_read_private_notes(current_user, person)
    return {
        "person": person, "kpis": kpis, "latest": checkins.latest_by_kpi(k.id for k in kpis),
        "kpi_progress": {k.id: progress.of(k) for k in kpis},
        "raised": _raised_by(person), "now": utcnow(),
        "may_read_notes": may_read_notes,
        "private_notes": notes.private_notes_on(person, current_user) if may_read_notes else [],
        "may_write_note": can.can_coach(current_user, person),
        "note_form": extra.pop("note_form", None) or NoteForm(formdata=None), **extra,
    }


@bp.post("/people/<int:person_id>/notes")
def add_note(person_id):
    person = get_or_404(Person, person_id)
    can.ensure(can.can_coach(current_user, person))
    form = NoteForm()
    status = 422
    if form.validate_on_submit():
        status, _note = attempt(form, lambda: notes.add_private_note(
            person, current_user, body=form.body.data, now=utcnow()))
        if status == 200:
            flash(_("Private note saved."), "success")
            if not is_htmx():
                return redirect(url_for("coaching.person", person_id=person.id) + "#notes")
            form = None
    return render("coaching/person.html", "coaching/_private_notes.html", status=status,
                  **_person_context(person, note_form=form))


# HR's overview: every open and overdue item, company-wide -------------------------------------

@bp.get("/overview")
@can.require(can.can_view_overview)
def overview():
    form = OverviewFilterForm(request.args)
    form.department_id.choices = [(None, _("All departments"))] + [
        (d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.name))]
    form.validate()
    kind = form.kind.data or ""
    state = form.state.data or "open"
    now = utcnow()
    per_page = current_app.config["PAGE_SIZE"]
    page_number = request.args.get("page", 1, type=int)
    results = {}
    for name, model, open_states in (
            ("obstacle", Obstacle, [ObstacleStatus.OPEN.value, ObstacleStatus.IN_HAND.value]),
            ("request", ResourceRequest, [RequestStatus.OPEN.value,
                                          RequestStatus.ESCALATED.value])):
        if kind and kind != name:
            continue
        stmt = (select(model).join(Person, Person.id == model.raised_by_id)
                .options(joinedload(model.kpi), joinedload(model.cycle),
                         joinedload(model.raised_by), joinedload(model.owner))
                .order_by(model.created_at, model.id))
        if state in ("open", "overdue"):
            stmt = stmt.where(model.status.in_(open_states))
        elif state == "closed":
            stmt = stmt.where(model.status.not_in(open_states))
        if state == "overdue":
            stmt = stmt.where(_overdue_clause(model, now))
        if form.department_id.data:
            stmt = stmt.where(Person.department_id.in_(can.subtree_ids([form.department_id.data])))
        results[name] = db.paginate(stmt, page=page_number, per_page=per_page, error_out=False)
    return render("coaching/overview.html", "coaching/_overview_results.html", form=form,
                  results=results, now=now)


def _overdue_clause(model, now):
    """Created before its cycle's overdue cutoff (one cut-off per cycle, computed here)."""
    cycles = db.session.scalars(select(Cycle)).all()
    return or_(*[and_(model.cycle_id == c.id, model.created_at < overdue_cutoff(c, now))
                 for c in cycles]) if cycles else model.id.is_(None)


# To-dos and the badge -------------------------------------------------------------------------

@bp.get("/todos")
def todo_list():
    return render("coaching/todos.html", "coaching/_todo_list.html", items=_my_todos())


@bp.get("/todos/badge")
def todo_badge():
    return render("coaching/_todo_badge.html")


# Notifications --------------------------------------------------------------------------------

@bp.get("/notifications")
def notification_list():
    page = db.paginate(notifications.for_person(current_user),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("coaching/notifications.html", page=page,
                  unread=notifications.unread_count(current_user))


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id):
    notification = get_or_404(Notification, notification_id)
    can.ensure(notification.recipient_id == current_user.id)
    notifications.mark_read(notification, current_user, utcnow())
    db.session.commit()
    if is_htmx():
        return _with_headers(render("coaching/_notification.html", item=notification), 200)
    target = notifications.link_of(notification) if request.form.get("follow") else None
    return redirect(target or url_for("coaching.notification_list"))


@bp.post("/notifications/read-all")
def read_all_notifications():
    if EmptyForm().validate_on_submit():
        notifications.mark_all_read(current_user, utcnow())
        db.session.commit()
        flash(_("All notifications marked read."), "success")
    return redirect(url_for("coaching.notification_list"))

