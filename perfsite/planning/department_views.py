"""A department's plan: its goals edited in place (htmx) with the weight total out of band,
re-alignment, actuals, marking the plan ready, starting people's plans from last cycle."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import permissions as can
from ..extensions import db
from ..forms import EmptyForm
from ..models import (
    Cycle,
    Department,
    DepartmentGoal,
    Kpi,
    Person,
    PersonalPlan,
)
from ..org.services import department_names
from ..paging import paginate
from ..rules import to_id
from ..submissions import submit_once
from ..talent.services import allocations
from ..web import attempt, is_htmx, load, load_cycle, render, status_of
from . import bp, flash_copy_result
from .forms import ActualForm, DeleteForm, GoalForm, RealignForm
from .services import WeightTotal, bulk, goals, plans, progress, reason_needed, targets
from .services.common import goal_owner_label

GOAL_OPTIONS = (joinedload(DepartmentGoal.cycle), joinedload(DepartmentGoal.department),
                selectinload(DepartmentGoal.contributors))

# Department plans ----------------------------------------------------------------------------

def _alignment_value(goal: DepartmentGoal | None) -> str:
    if goal is None:
        return ""
    if goal.target_id:
        return f"target:{goal.target_id}"
    if goal.supports_goal_id:
        return f"goal:{goal.supports_goal_id}"
    return ""


def _alignment_choices(cycle: Cycle, department: Department, goal=None) -> list:
    """Published targets, goals this department contributes to, or none; the goal's
    current alignment is kept even when its target has since been retired."""
    choices = [("", _("Department-only goal (no company target)"))]
    options = [(f"target:{t.id}", _("Target: %(title)s", title=t.title))
               for t in targets.published_targets(cycle.id)]
    options += [(f"goal:{g.id}", _("Supports %(department)s: %(title)s",
                                   department=g.department.name, title=g.title))
                for g in goals.contributed_goals(cycle.id, department.id)]
    current = _alignment_value(goal)
    if current and current not in {value for value, _label in options}:
        if goal.target is not None:
            label = _("Target: %(title)s (%(status)s)", title=goal.target.title,
                      status=goal.target.state.label)
        else:
            label = _("Supports: %(title)s", title=goal.supports_goal.title)
        options.append((current, label))
    return choices + options


def _parse_alignment(value: str | None) -> dict:
    kind, _sep, ident = (value or "").partition(":")
    if kind == "target" and ident.isdigit():
        return {"target_id": int(ident), "supports_goal_id": None}
    if kind == "goal" and ident.isdigit():
        return {"target_id": None, "supports_goal_id": int(ident)}
    return {"target_id": None, "supports_goal_id": None}


def _fill_goal_form(form: GoalForm, cycle: Cycle, department: Department, goal=None,
                    names: dict | None = None) -> None:
    form.alignment.choices = _alignment_choices(cycle, department, goal)
    names = names if names is not None else department_names()
    form.contributor_ids.choices = sorted(
        ((i, n) for i, n in names.items() if i != department.id), key=lambda c: c[1])


def _goal_fields(form: GoalForm) -> dict:
    fields = {name: getattr(form, name).data
              for name in ("title", "metric_type", "baseline", "target_value", "unit",
                           "weight", "due_date")}
    return {**fields, **_parse_alignment(form.alignment.data)}


def _goal_form_for(goal: DepartmentGoal, bind: bool = True) -> GoalForm:
    """The row form; `bind=False` shows the saved values whatever was posted."""
    # Prefixed, so that two rows open at once never share an element id.
    extra = {} if bind else {"formdata": None}
    form = GoalForm(obj=goal, prefix=f"goal{goal.id}", **extra)
    _fill_goal_form(form, goal.cycle, goal.department, goal)
    if not bind or not form.is_submitted():
        form.version.data = goal.version
        form.alignment.data = _alignment_value(goal)
        form.contributor_ids.data = [c.department_id for c in goal.contributors]
    return form


def _department_box(cycle: Cycle, department: Department, goal_list=None, **extra) -> dict:
    """What the weight-total box of a department plan shows (the _weight_total partial)."""
    if goal_list is None:
        totals = goals.goal_weight_total(cycle.id, department)
    else:
        totals = WeightTotal.of(goal_owner_label(department), (g.weight for g in goal_list))
    return {"totals": totals, "department_plan": goals.department_plan_for(cycle, department),
            "ready_form": EmptyForm(), "ready_errors": [], **extra}


def _people_in(cycle: Cycle, department: Department):
    """A select() of the department's active people whose plans the current user may read:
    a head sees everyone's, a member of staff only their own (permissions.can_view_plan_of)."""
    stmt = (select(Person).where(Person.department_id == department.id, Person.active.is_(True))
            .order_by(Person.display_name, Person.id))
    if not can.can_view_department_people(current_user, department):
        stmt = stmt.where(Person.id == current_user.id)
    return stmt


def _plan_rows(cycle: Cycle, people: list[Person]) -> list[dict]:
    """Each person's plan (or an unsaved draft) and its KPI sums, read as one row per plan
    (no KPI loaded): the people's-plans table."""
    plan_of = {plan.person_id: plan for plan in db.session.scalars(
        select(PersonalPlan).where(PersonalPlan.cycle_id == cycle.id,
                                   PersonalPlan.person_id.in_([p.id for p in people])))}
    sums = {plan_id: (count or 0, weight, pending or 0)
            for plan_id, count, weight, pending in db.session.execute(
                select(Kpi.plan_id, func.count(Kpi.id).filter(Kpi.counts),
                       func.sum(Kpi.weight).filter(Kpi.counts),
                       func.count(Kpi.id).filter(Kpi.is_pending))
                .where(Kpi.plan_id.in_([plan.id for plan in plan_of.values()]))
                .group_by(Kpi.plan_id))}
    rows = []
    for person in people:
        plan = plan_of.get(person.id) or plans.draft_plan(cycle, person)
        count, weight, pending = sums.get(plan.id, (0, None, 0))
        rows.append({"person": person, "plan": plan, "kpis": count,
                     "totals": WeightTotal.of("", [weight or 0]), "pending": pending})
    return rows


def _plans_to_start(cycle: Cycle, department: Department) -> list[dict]:
    """The department's people whose plan has no counting KPI yet, with that plan: those
    a head may start from last cycle's (permissions.can_copy_previous_plan decides)."""
    if not can.can_view_department_people(current_user, department):
        return []
    has_kpis = (select(Kpi.id).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
                .where(PersonalPlan.person_id == Person.id, PersonalPlan.cycle_id == cycle.id,
                       Kpi.counts).exists())
    people = db.session.scalars(_people_in(cycle, department).where(~has_kpis)).all()
    if not people:  # everyone has KPIs already: no plans to read
        return []
    plan_of = {plan.person_id: plan for plan in db.session.scalars(
        select(PersonalPlan).where(PersonalPlan.cycle_id == cycle.id,
                                   PersonalPlan.person_id.in_([p.id for p in people]))
        .options(selectinload(PersonalPlan.kpis)))}
    rows = [{"person": p, "plan": plan_of.get(p.id) or plans.draft_plan(cycle, p)}
            for p in people]
    return [row for row in rows if can.can_copy_previous_plan(current_user, row["plan"])]


def _department_context(cycle: Cycle, department: Department, **extra) -> dict:
    goal_list = goals.department_goals(cycle.id, department.id)
    contributed = goals.contributed_goals(cycle.id, department.id)
    per_page = current_app.config["PAGE_SIZE"]
    page = paginate(_people_in(cycle, department), to_id(request.args.get("page")), per_page)
    rows = _plan_rows(cycle, page.items)
    return {
        "cycle": cycle, "department": department, "goals": goal_list,
        "progress": progress.goal_progress([g.id for g in goal_list + contributed]),
        "contributed": contributed, "people": rows,
        "assignable": can.assignable_people(current_user, [row["plan"] for row in rows]),
        "people_page": page,
        "people_hidden": not can.can_view_department_people(current_user, department),
        "empty_plans": len(_plans_to_start(cycle, department)),
        "department_names": department_names(),
        "reason_needed": reason_needed(cycle), "may_change": can.plans_may_change(cycle),
        "action_form": EmptyForm(),
        # resource allocation: the department's share of each target (heads, HR, executives)
        "allocation_rows": allocations.department_shares(cycle, department)
        if can.can_view_department_allocation(current_user, department) else None,
        **_department_box(cycle, department, goal_list), **extra,
    }


def _goal_row_context(goal: DepartmentGoal) -> dict:
    return {"goal": goal, "cycle": goal.cycle, "department": goal.department,
            "progress": progress.goal_progress([goal.id]),
            "department_names": department_names()}


@bp.get("/<int:cycle_id>/departments/<int:department_id>")
def department_plan(cycle_id, department_id):
    cycle = load_cycle(cycle_id)
    department = load(Department, department_id, can.can_view_department_plan)
    return render("planning/department_plan.html", **_department_context(cycle, department))


@bp.route("/<int:cycle_id>/departments/<int:department_id>/goals/new", methods=["GET", "POST"])
def new_goal(cycle_id, department_id):
    cycle = load_cycle(cycle_id)
    department = load(Department, department_id)
    allowed = can.can_add_goal(current_user, goals.department_plan_for(cycle, department))
    can.ensure(allowed)
    form = GoalForm()
    _fill_goal_form(form, cycle, department)
    if request.method == "GET":
        target_id = to_id(request.args.get("target_id"))
        if target_id:
            form.alignment.data = f"target:{target_id}"
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        status, goal = attempt(form, lambda: submit_once(
            form.form_token.data, current_user, lambda: goals.create_goal(
                cycle, department, current_user,
                contributor_ids=form.contributor_ids.data or [],
                reason=form.reason.data or "", **_goal_fields(form))))
        if goal is not None:
            flash(_("Goal “%(title)s” was added.", title=goal.title), "success")
            return redirect(url_for("planning.department_plan", cycle_id=cycle.id,
                                    department_id=department.id) + f"#goal-{goal.id}")
    return render("planning/goal_form.html", form=form, cycle=cycle, department=department,
                  reason_needed=reason_needed(cycle), status=status)


@bp.get("/goals/<int:goal_id>/row")
def goal_row(goal_id):
    goal = load(DepartmentGoal, goal_id, can.can_view_goal, options=GOAL_OPTIONS)
    return render("planning/_goal_row.html", **_goal_row_context(goal))


def _goal_saved(goal: DepartmentGoal):
    """The updated row plus, out of band, the weight total and plan status."""
    return render_template("planning/_goal_saved.html", **_goal_row_context(goal),
                           **_department_box(goal.cycle, goal.department))


def _goal_form_page(form, goal, status, delete_form=None):
    return render("planning/goal_inline.html", "planning/_goal_row_form.html", form=form,
                  goal=goal, cycle=goal.cycle, department=goal.department,
                  reason_needed=reason_needed(goal.cycle),
                  delete_form=delete_form or DeleteForm(
                      formdata=None, prefix=f"goal{goal.id}-delete", version=goal.version),
                  conflict=goal if status == 409 else None, status=status)


@bp.route("/goals/<int:goal_id>/inline", methods=["GET", "POST"])
def goal_inline(goal_id):
    """Edit a goal's row in place (htmx), or on its own page without JavaScript."""
    goal = load(DepartmentGoal, goal_id, can.can_edit_goal, options=GOAL_OPTIONS)
    form = _goal_form_for(goal)
    status = status_of(form)
    if request.method == "GET":
        allowed = can.can_edit_goal(current_user, goal)
        if not allowed:
            form.form_errors.append(allowed.reason)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: goals.update_goal(
            goal, current_user, expected_version=form.version.data,
            reason=form.reason.data or "", contributor_ids=form.contributor_ids.data or [],
            **_goal_fields(form)), current=goal)
        if status == 200:
            if is_htmx():
                return _goal_saved(goal)
            flash(_("Goal “%(title)s” saved.", title=goal.title), "success")
            return redirect(url_for("planning.department_plan", cycle_id=goal.cycle_id,
                                    department_id=goal.department_id) + f"#goal-{goal.id}")
    return _goal_form_page(form, goal, status)


@bp.post("/goals/<int:goal_id>/delete")
def delete_goal(goal_id):
    goal = load(DepartmentGoal, goal_id, can.can_edit_goal, options=GOAL_OPTIONS)
    cycle, department = goal.cycle, goal.department
    form = DeleteForm(prefix=f"goal{goal.id}-delete")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: goals.delete_goal(
            goal, current_user, reason=form.reason.data or "",
            expected_version=form.version.data), current=goal)
        if status == 200:
            if is_htmx():
                return render_template("planning/_goal_deleted.html", cycle=cycle,
                                       department=department,
                                       **_department_box(cycle, department))
            flash(_("The goal was removed."), "success")
            return redirect(url_for("planning.department_plan", cycle_id=cycle.id,
                                    department_id=department.id))
    row_form = _goal_form_for(goal, bind=False)
    row_form.form_errors.extend(form.form_errors)
    form.version.data = goal.version
    return _goal_form_page(row_form, goal, status, delete_form=form)


@bp.route("/goals/<int:goal_id>/realign", methods=["GET", "POST"])
def realign_goal(goal_id):
    goal = load(DepartmentGoal, goal_id, can.can_edit_goal, options=GOAL_OPTIONS)
    form = RealignForm()
    form.alignment.choices = _alignment_choices(goal.cycle, goal.department, goal)
    if request.method == "GET":
        form.version.data = goal.version
        form.alignment.data = _alignment_value(goal)
        allowed = can.can_edit_goal(current_user, goal)
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: goals.realign_goal(
            goal, current_user, reason=form.reason.data, expected_version=form.version.data,
            **_parse_alignment(form.alignment.data)), current=goal)
        if status == 200:
            flash(_("“%(title)s” is re-aligned.", title=goal.title), "success")
            return redirect(url_for("planning.department_plan", cycle_id=goal.cycle_id,
                                    department_id=goal.department_id) + f"#goal-{goal.id}")
    return render("planning/goal_realign.html", form=form, goal=goal, status=status,
                  conflict=goal if status == 409 else None)


@bp.route("/goals/<int:goal_id>/actual", methods=["GET", "POST"])
def goal_actual(goal_id):
    goal = load(DepartmentGoal, goal_id, can.can_set_goal_actual, options=GOAL_OPTIONS)
    form = ActualForm(obj=goal)
    if request.method == "GET":
        form.version.data = goal.version
        form.done.data = goal.actual_value == 1
        allowed = can.can_set_goal_actual(current_user, goal)
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        value = (1 if form.done.data else 0) if goal.metric_type == "milestone" \
            else form.actual_value.data
        status, _result = attempt(form, lambda: goals.set_goal_actual(
            goal, current_user, value, expected_version=form.version.data), current=goal)
        if status == 200:
            flash(_("Progress recorded."), "success")
            return redirect(url_for("planning.department_plan", cycle_id=goal.cycle_id,
                                    department_id=goal.department_id) + f"#goal-{goal.id}")
    return render("planning/actual_form.html", form=form, item=goal, status=status,
                  back=url_for("planning.department_plan", cycle_id=goal.cycle_id,
                               department_id=goal.department_id),
                  action=url_for("planning.goal_actual", goal_id=goal.id))


@bp.post("/<int:cycle_id>/departments/<int:department_id>/ready")
def mark_ready(cycle_id, department_id):
    cycle = load_cycle(cycle_id)
    department = load(Department, department_id)
    can.ensure(can.can_mark_plan_ready(current_user, goals.department_plan_for(cycle, department)))
    form = EmptyForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: goals.mark_plan_ready(cycle, department,
                                                                       current_user))
    if is_htmx():
        return render("planning/_weight_total.html", cycle=cycle, department=department,
                      oob=True, status=status,
                      **_department_box(cycle, department, ready_errors=form.form_errors))
    if status == 200:
        flash(_("The plan of %(department)s is ready.", department=department.name), "success")
        return redirect(url_for("planning.department_plan", cycle_id=cycle.id,
                                department_id=department.id))
    return render("planning/department_plan.html", status=status,
                  **_department_context(cycle, department, ready_errors=form.form_errors))


@bp.post("/<int:cycle_id>/departments/<int:department_id>/copy-previous")
def copy_department_plans(cycle_id, department_id):
    """Start the department's empty plans from last cycle's (plans with KPIs are left)."""
    cycle = load_cycle(cycle_id)
    department = load(Department, department_id, can.can_manage_department_goals)
    form = EmptyForm()
    if form.validate_on_submit():
        everyone = db.session.scalars(_people_in(cycle, department)).all()
        rows = _plan_rows(cycle, everyone)
        assignable = can.assignable_people(current_user, [row["plan"] for row in rows])
        people = [row["person"] for row in rows if row["person"].id in assignable]
        status, result = attempt(form, lambda: bulk.copy_previous_plans(
            cycle, current_user, people))
        if result is not None:
            flash_copy_result(result)
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("planning.department_plan", cycle_id=cycle.id,
                            department_id=department.id))
