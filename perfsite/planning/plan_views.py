"""A person's plan: KPIs edited in place, proposals decided, and the plan's journey
(submit, approve, return, revise) answered as a page or as the plan fragment."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from .. import permissions as can
from ..audit.readable import describe
from ..errors import Invalid
from ..extensions import db
from ..forms import EmptyForm
from ..models import AuditEvent, Cycle, Kpi, Person, PersonalPlan
from ..org import picker
from ..org.forms import PickerSearchForm
from ..rules import to_id
from ..submissions import submit_once
from ..web import attempt, is_htmx, load, load_cycle, render, status_of
from . import bp, flash_copy_result
from .forms import CopyKpiForm, DecideForm, KpiForm, PlanActionForm, ReasonForm, ReturnForm
from .services import bulk, goals, plans, progress

KPI_OPTIONS = (joinedload(Kpi.plan).joinedload(PersonalPlan.person),
               joinedload(Kpi.plan).joinedload(PersonalPlan.cycle))

# A person's plan -----------------------------------------------------------------------------


def _plan_context(cycle: Cycle, person: Person, **extra) -> dict:
    plan = plans.plan_with_kpis(cycle, person) or plans.plan_for(cycle, person)
    kpis = plan.kpis
    version = plan.version or ""
    action_form = PlanActionForm(formdata=None, prefix="plan", version=version)
    return_form = (extra.pop("return_form", None)
                   or ReturnForm(formdata=None, prefix="return"))
    reopen_form = (extra.pop("reopen_form", None)
                   or ReasonForm(formdata=None, prefix="reopen"))
    for form in (return_form, reopen_form):
        form.version.data = version
    history = []
    if plan.id is not None:
        kpi_ids = [k.id for k in kpis]
        history = db.session.scalars(
            select(AuditEvent).where(or_(
                and_(AuditEvent.object_type == "personal_plan", AuditEvent.object_id == plan.id),
                and_(AuditEvent.object_type == "kpi", AuditEvent.object_id.in_(kpi_ids))))
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(15)).all()
        history = describe(history)
    return {
        "cycle": cycle, "person": person, "plan": plan, "kpis": kpis,
        "totals": plans.kpi_weight_total(plan, person),
        "problems": plans.submit_problems(plan, person),
        "is_self": person.id == current_user.id,
        "may_change": can.plans_may_change(cycle),
        "kpi_progress": {k.id: progress.of(k) for k in kpis},
        "latest_status": progress.latest_checkins(k.id for k in kpis),
        "action_form": action_form, "return_form": return_form, "reopen_form": reopen_form,
        "status_errors": [], "history": history, "decide_form": _decide_form, **extra,
    }


def _decide_form(kpi: Kpi) -> DecideForm:
    """The accept/decline form shown in a proposed KPI's row."""
    return DecideForm(formdata=None, prefix=f"decide{kpi.id}", version=kpi.version)


def _kpi_row_context(kpi: Kpi) -> dict:
    plan = kpi.plan
    return {"kpi": kpi, "plan": plan, "person": plan.person, "cycle": plan.cycle,
            "is_self": plan.person_id == current_user.id,
            "kpi_progress": {kpi.id: progress.of(kpi)},
            "latest_status": progress.latest_checkins([kpi.id]),
            "decide_form": _decide_form}


@bp.get("/<int:cycle_id>/people/<int:person_id>")
def person_plan(cycle_id, person_id):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id, can.can_view_plan_of)
    return render("planning/person_plan.html", **_plan_context(cycle, person))


def _goal_choices(cycle: Cycle, person: Person) -> list:
    choices = [("", _("Choose a department goal"))]
    for goal in goals.kpi_goal_choices(cycle.id, person.department_id):
        if goal.department_id == person.department_id:
            choices.append((goal.id, goal.title))
        else:
            choices.append((goal.id, _("%(title)s (%(department)s, contributing)",
                                       title=goal.title, department=goal.department.name)))
    return choices


def _kpi_fields(form: KpiForm) -> dict:
    return {name: getattr(form, name).data for name in plans.KPI_FIELDS}


@bp.route("/<int:cycle_id>/people/<int:person_id>/kpis/new", methods=["GET", "POST"])
def new_kpi(cycle_id, person_id):
    """The head assigns a KPI; the person proposes one. Both name the goal it serves."""
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    plan = plans.plan_for(cycle, person)
    allowed = can.can_add_kpi(current_user, plan)
    can.ensure(allowed)
    proposing = person.id == current_user.id
    form = KpiForm()
    form.goal_id.choices = _goal_choices(cycle, person)
    if request.method == "GET":
        form.goal_id.data = to_id(request.args.get("goal_id"))
        # e.g. a goal drafted in the last feedback interview, offered on the plan page
        form.title.data = (request.args.get("title") or "").strip()[:200] or None
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        status, kpi = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: plans.add_kpi(plan, current_user, **_kpi_fields(form))))
        if kpi is not None:
            flash(_("KPI “%(title)s” was proposed to your head.", title=kpi.title) if proposing
                  else _("KPI “%(title)s” was added.", title=kpi.title), "success")
            return redirect(url_for("planning.person_plan", cycle_id=cycle.id,
                                    person_id=person.id) + f"#kpi-{kpi.id}")
    return render("planning/kpi_form.html", form=form, cycle=cycle, person=person,
                  proposing=proposing, status=status)


@bp.get("/kpis/<int:kpi_id>/row")
def kpi_row(kpi_id):
    kpi = load(Kpi, kpi_id, can.can_view_kpi, options=KPI_OPTIONS)
    return render("planning/_kpi_row.html", **_kpi_row_context(kpi))


def _kpi_saved(kpi: Kpi | None, plan: PersonalPlan):
    """The updated row (none after a delete) plus, out of band, the plan's status box."""
    db.session.expire(plan)
    context = _plan_context(plan.cycle, plan.person)
    row = _kpi_row_context(kpi) if kpi is not None else {}
    return render_template("planning/_kpi_saved.html", **{**context, **row})


def _kpi_form_for(kpi: Kpi, bind: bool = True) -> KpiForm:
    """The row form; `bind=False` shows the saved values whatever was posted."""
    extra = {} if bind else {"formdata": None}
    form = KpiForm(obj=kpi, prefix=f"kpi{kpi.id}", **extra)
    form.goal_id.choices = _goal_choices(kpi.plan.cycle, kpi.plan.person)
    if not bind or not form.is_submitted():
        form.version.data = kpi.version
    return form


def _kpi_form_page(form, kpi, status):
    return render("planning/kpi_inline.html", "planning/_kpi_row_form.html", form=form,
                  kpi=kpi, plan=kpi.plan, person=kpi.plan.person, cycle=kpi.plan.cycle,
                  conflict=kpi if status == 409 else None, status=status)


@bp.route("/kpis/<int:kpi_id>/inline", methods=["GET", "POST"])
def kpi_inline(kpi_id):
    """Edit a KPI's row in place (htmx), or on its own page without JavaScript."""
    kpi = load(Kpi, kpi_id, can.can_edit_kpi, options=KPI_OPTIONS)
    form = _kpi_form_for(kpi)
    status = status_of(form)
    if request.method == "GET":
        allowed = can.can_edit_kpi(current_user, kpi)
        if not allowed:
            form.form_errors.append(allowed.reason)
            status = 409
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: plans.update_kpi(
            kpi, current_user, expected_version=form.version.data, **_kpi_fields(form)),
            current=kpi)
        if status == 200:
            if is_htmx():
                return _kpi_saved(kpi, kpi.plan)
            flash(_("KPI “%(title)s” saved.", title=kpi.title), "success")
            return redirect(url_for("planning.person_plan", cycle_id=kpi.plan.cycle_id,
                                    person_id=kpi.plan.person_id) + f"#kpi-{kpi.id}")
    return _kpi_form_page(form, kpi, status)


@bp.post("/kpis/<int:kpi_id>/delete")
def delete_kpi(kpi_id):
    kpi = load(Kpi, kpi_id, can.can_edit_kpi, options=KPI_OPTIONS)
    plan = kpi.plan
    form = PlanActionForm(prefix=f"kpi{kpi.id}-delete")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: plans.delete_kpi(
            kpi, current_user, expected_version=form.version.data), current=kpi)
        if status == 200:
            if is_htmx():
                return _kpi_saved(None, plan)
            flash(_("The KPI was removed."), "success")
            return redirect(url_for("planning.person_plan", cycle_id=plan.cycle_id,
                                    person_id=plan.person_id))
    row_form = _kpi_form_for(kpi, bind=False)
    row_form.form_errors.extend(form.form_errors)
    return _kpi_form_page(row_form, kpi, status)


@bp.route("/kpis/<int:kpi_id>/decide", methods=["GET", "POST"])
def decide_kpi(kpi_id):
    """The head accepts or declines a proposed KPI, with a comment."""
    kpi = load(Kpi, kpi_id, can.can_decide_proposal, options=KPI_OPTIONS)
    form = DecideForm(prefix=f"decide{kpi.id}")
    if request.method == "GET":
        form.version.data = kpi.version
        allowed = can.can_decide_proposal(current_user, kpi)
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        accept = request.form.get("decision") == "accept"
        status, _result = attempt(form, lambda: plans.decide_proposal(
            kpi, current_user, accept=accept, comment=form.comment.data or "",
            expected_version=form.version.data), current=kpi)
        if status == 200:
            if is_htmx():
                return _kpi_saved(kpi, kpi.plan)
            flash(_("Proposal accepted.") if accept else _("Proposal declined."), "success")
            return redirect(url_for("planning.person_plan", cycle_id=kpi.plan.cycle_id,
                                    person_id=kpi.plan.person_id) + f"#kpi-{kpi.id}")
    # The row (for htmx) shows this same form, errors and all, opened.
    return render("planning/kpi_decide.html", "planning/_kpi_row.html", form=form,
                  status=status, decide_open=form.errors or form.form_errors,
                  **{**_kpi_row_context(kpi), "decide_form": lambda _kpi: form})


def _copy_targets(form: CopyKpiForm, kpi: Kpi) -> list[Person]:
    """The people picked (among those the current user manages: org/picker.py), and with
    the box ticked everyone of the department whose plan may take the KPI."""
    chosen = picker.resolve(picker.SCOPES["managed"], current_user, form.people.data, "people")
    department = kpi.plan.person.department
    if form.whole_department.data and department is not None:
        chosen += plans.people_to_assign_in(current_user, department, kpi.plan.cycle)
    unique = {p.id: p for p in chosen if p.id != kpi.plan.person_id}
    if not unique:
        raise Invalid(_("Choose at least one person."), "people")
    return list(unique.values())


@bp.get("/kpis/<int:kpi_id>/copy/people")
def copy_kpi_people(kpi_id):
    """The copy form's people picker: people the current user manages whose plan may take
    this KPI now (permissions.can_assign_kpi), matching what was typed."""
    kpi = load(Kpi, kpi_id, can.can_copy_kpi, options=KPI_OPTIONS)
    cycle = kpi.plan.cycle
    form = PickerSearchForm(request.args)
    valid = form.validate()
    query = (form.q.data or "") if valid else ""

    def may_take(people):
        plan_of = {plan.person_id: plan for plan in db.session.scalars(
            select(PersonalPlan).where(PersonalPlan.cycle_id == cycle.id,
                                       PersonalPlan.person_id.in_([p.id for p in people])))}
        return [p for p in people if p.id != kpi.plan.person_id and can.can_assign_kpi(
            current_user, plan_of.get(p.id) or plans.draft_plan(cycle, p))]

    return render("org/_people_options.html", "org/_people_options.html", query=query,
                  people=picker.search(picker.SCOPES["managed"], current_user, query,
                                       keep=may_take),
                  for_id=(form.for_id.data or "picker") if valid else "picker")


@bp.route("/kpis/<int:kpi_id>/copy", methods=["GET", "POST"])
def copy_kpi(kpi_id):
    """Copy one KPI to several people at once, picked by searching (or the whole
    department): those whose plan may take it (permissions.can_assign_kpi)."""
    kpi = load(Kpi, kpi_id, can.can_copy_kpi, options=KPI_OPTIONS)
    person = kpi.plan.person
    form = CopyKpiForm()
    status = status_of(form)
    if request.method == "GET":
        allowed = can.can_copy_kpi(current_user, kpi)
        if not allowed:
            form.form_errors.append(allowed.reason)
    if form.validate_on_submit():
        status, result = attempt(form, lambda: bulk.copy_kpi_to_people(
            kpi, current_user, _copy_targets(form, kpi)))
        if result is not None:
            flash_copy_result(result)
            return redirect(url_for("planning.department_plan", cycle_id=kpi.plan.cycle_id,
                                    department_id=person.department_id))
    return render("planning/kpi_copy.html", form=form, kpi=kpi, status=status)


@bp.post("/<int:cycle_id>/people/<int:person_id>/copy-previous")
def copy_previous_plan(cycle_id, person_id):
    """Start an empty plan from last cycle's."""
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    plan = plans.plan_with_kpis(cycle, person) or plans.plan_for(cycle, person)
    can.ensure(can.can_copy_previous_plan(current_user, plan))
    form = EmptyForm()
    if form.validate_on_submit():
        status, result = attempt(form, lambda: bulk.copy_previous_plans(cycle, current_user,
                                                                         [person]))
        if result is not None:
            flash_copy_result(result)
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("planning.person_plan", cycle_id=cycle.id, person_id=person.id))


def _plan_transition(cycle_id: int, person_id: int, check, call, form, done_message: str,
                     form_name: str | None = None):
    """Submit, approve, return, reopen: the same answer shapes for page and fragment.

    htmx gets the plan section (200, or 409/422 with the reason in its status box); a
    plain form post is redirected on success, and otherwise shown the page with the
    reason at the plan's own address (so the address bar never stays on the POST URL).
    """
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    plan = plans.plan_with_kpis(cycle, person) or plans.plan_for(cycle, person)
    can.ensure(check(current_user, plan))  # the action's own predicate decides
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: call(plan), current=plan if plan.id else None)
        if status == 200 and not is_htmx():
            flash(done_message, "success")
            return redirect(url_for("planning.person_plan", cycle_id=cycle.id,
                                    person_id=person.id))
    # Field errors (a missing comment) show beside their field; the rest in the status box.
    errors = [] if status == 200 else list(form.form_errors)
    extra = {form_name: form} if form_name and status != 200 else {}
    if not is_htmx() and status != 200 and not extra:
        for message in errors:
            flash(message, "error")
        return redirect(url_for("planning.person_plan", cycle_id=cycle.id,
                                person_id=person.id) + "#plan", 303)
    return render("planning/person_plan.html", "planning/_plan.html", status=status,
                  **_plan_context(cycle, person, status_errors=errors, **extra))


@bp.post("/<int:cycle_id>/people/<int:person_id>/submit")
def submit_plan(cycle_id, person_id):
    form = PlanActionForm(prefix="plan")
    return _plan_transition(
        cycle_id, person_id, can.can_submit_plan,
        lambda plan: plans.submit_plan(plan, current_user, expected_version=form.version.data),
        form, _("Your plan was submitted to your head."))


@bp.post("/<int:cycle_id>/people/<int:person_id>/approve")
def approve_plan(cycle_id, person_id):
    form = PlanActionForm(prefix="plan")
    return _plan_transition(
        cycle_id, person_id, can.can_approve_plan,
        lambda plan: plans.approve_plan(plan, current_user, expected_version=form.version.data),
        form, _("The plan is approved."))


@bp.post("/<int:cycle_id>/people/<int:person_id>/return")
def return_plan(cycle_id, person_id):
    form = ReturnForm(prefix="return")
    return _plan_transition(
        cycle_id, person_id, can.can_return_plan,
        lambda plan: plans.return_plan(plan, current_user, comment=form.comment.data,
                                       expected_version=form.version.data),
        form, _("The plan was returned with your comment."), "return_form")


@bp.post("/<int:cycle_id>/people/<int:person_id>/reopen")
def reopen_plan(cycle_id, person_id):
    form = ReasonForm(prefix="reopen")
    return _plan_transition(
        cycle_id, person_id, can.can_reopen_plan,
        lambda plan: plans.reopen_plan(plan, current_user, reason=form.reason.data,
                                       expected_version=form.version.data),
        form, _("The plan is open for revision."), "reopen_form")
