"""Planning pages: the blueprint, what every planning page shares, the overview and the
alignment tree. The pages of each level are beside it: target_views.py (strategy targets),
department_views.py (a department's goals), plan_views.py (a person's plan and KPIs).

Views stay thin: load the objects (404), check permission through perfsite.permissions
(403), hand the form to a service, commit once, and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import permissions as can
from ..cycles.services import current_cycle
from ..extensions import db
from ..models import Cycle, Department, DepartmentGoal, Kpi, Person, StrategyTarget
from ..web import render
from . import services
from .forms import TreeFilterForm, plain_number
from .services import PhaseError, bulk, goals, plans, progress, targets

bp = Blueprint("planning", __name__, url_prefix="/planning")


# Loading and guarding ------------------------------------------------------------------------

def get_cycle(cycle_id: int) -> Cycle:
    return db.session.get(Cycle, cycle_id) or abort(404)


def get_target(target_id: int, check=can.can_view_target) -> StrategyTarget:
    target = db.session.get(StrategyTarget, target_id) or abort(404)
    can.ensure(check(current_user, target))
    return target


def get_department(department_id: int, check=can.can_view_department_plan) -> Department:
    department = db.session.get(Department, department_id) or abort(404)
    can.ensure(check(current_user, department))
    return department


def get_goal(goal_id: int, check=can.can_view_goal) -> DepartmentGoal:
    goal = db.session.get(DepartmentGoal, goal_id) or abort(404)
    can.ensure(check(current_user, goal))
    return goal


def get_person(person_id: int, check=can.can_view_plan_of) -> Person:
    person = db.session.get(Person, person_id) or abort(404)
    can.ensure(check(current_user, person))
    return person


def get_kpi(kpi_id: int, check=can.can_view_plan_of) -> Kpi:
    """The KPI; `check` is asked about the person whose plan it is in."""
    kpi = db.session.get(Kpi, kpi_id) or abort(404)
    can.ensure(check(current_user, kpi.plan.person))
    return kpi


# Saving --------------------------------------------------------------------------------------

def attempt(form, call, current=None):
    """Run the service `call` and commit once.

    Returns (200, result), or (409 or 422, None) with the reason on the form: 422 for a
    broken rule, 409 when the record changed meanwhile or the phase does not allow it.
    A rule about who may act is a 403.
    """
    try:
        result = call()
        db.session.commit()
    except services.NotAllowed:
        db.session.rollback()
        abort(403)
    except services.ConflictError as conflict:
        _conflict(form, conflict.current)
        return 409, None
    except StaleDataError:
        # Saved by someone else between our read and our write.
        _conflict(form, current)
        return 409, None
    except PhaseError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return 409, None
    except services.PlanningError as error:
        db.session.rollback()
        _apply_error(form, error)
        return 422, None
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append(_("This was saved already (a double click?). Reload the page "
                                  "to see it."))
        return 422, None
    return 200, result


FIELD_ALIASES = {"target_id": "alignment", "supports_goal_id": "alignment",
                 "contributors": "contributor_ids"}


def _apply_error(form, error) -> None:
    name = FIELD_ALIASES.get(error.field, error.field) or ""
    field = getattr(form, name, None)
    if field is not None and hasattr(field, "errors") and name not in ("version", "meta"):
        if isinstance(field.errors, tuple):
            field.errors = list(field.errors)
        field.errors.append(str(error))
    else:
        form.form_errors.append(str(error))


def _conflict(form, current) -> None:
    db.session.rollback()
    if current is not None:
        db.session.refresh(current)
        form.version.data = current.version
    form.form_errors.append(_("Someone else saved changes while you were editing. Their "
                              "version is shown below; your entries are kept in the form. "
                              "Save again to apply yours over theirs."))


def status_of(form) -> int:
    return 422 if form.is_submitted() else 200


# Template helpers ----------------------------------------------------------------------------

@bp.app_template_filter("plain_number")
def plain_number_filter(value) -> str:
    return plain_number(value) if value is not None else "—"


@bp.app_template_filter("percent")
def percent_filter(value) -> str:
    """Progress (0..1) as a whole percentage; "—" when there is none yet."""
    if value is None:
        return "—"
    return f"{int((value * 100).to_integral_value())}%"


@bp.app_context_processor
def planning_helpers():
    return {"planning_home": home_summary}


def home_summary(cycle: Cycle | None) -> dict:
    """What the home page shows about planning, in at most three queries."""
    summary = {"cycle": cycle, "flagged": [], "waiting": [], "my_plan": None}
    if not current_user.is_authenticated:
        return summary
    summary["flagged"] = goals.flagged_goals_for(current_user)
    if cycle is not None:
        summary["waiting"] = plans.plans_waiting_for(current_user, cycle)
        summary["my_plan"] = plans.get_plan(cycle, current_user)
    return summary


# Overview ------------------------------------------------------------------------------------

@bp.get("/")
@can.require(can.can_use_planning)
def index():
    cycle_id = request.args.get("cycle_id", type=int)
    cycle = get_cycle(cycle_id) if cycle_id else current_cycle()
    all_cycles = db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc())).all()
    context = {"cycle": cycle, "cycles": all_cycles, "my_plan": None, "departments": [],
               "waiting": [], "target_count": 0}
    if cycle is not None:
        context["my_plan"] = plans.get_plan(cycle, current_user)
        context["target_count"] = len(db.session.scalars(
            targets.visible_targets(cycle, current_user)).all())
        managed = can.managed_department_ids(current_user)
        own = {current_user.department_id} if current_user.department_id else set()
        department_ids = (managed | own) if not can.sees_whole_company(current_user) else None
        stmt = select(Department).where(Department.active.is_(True)).order_by(Department.name)
        if department_ids is not None:
            stmt = stmt.where(Department.id.in_(department_ids))
        context["departments"] = db.session.scalars(stmt).all()
        context["waiting"] = plans.plans_waiting_for(current_user, cycle)
    return render("planning/index.html", **context)


@bp.get("/me")
@can.require(can.can_use_planning)
def my_plan():
    cycle = current_cycle()
    if cycle is None:
        flash(_("No performance cycle is running at the moment."), "info")
        return redirect(url_for("planning.index"))
    return redirect(url_for("planning.person_plan", cycle_id=cycle.id, person_id=current_user.id))


# Shared by the pages ------------------------------------------------------------------------

def department_names() -> dict[int, str]:
    return dict(db.session.execute(select(Department.id, Department.name)).tuples().all())


def people_managed_in(department: Department) -> list[Person]:
    people = db.session.scalars(
        select(Person).where(Person.department_id == department.id, Person.active.is_(True))
        .order_by(Person.display_name)).all()
    return [p for p in people if can.can_manage_plan_of(current_user, p)]


def flash_copy_result(result: bulk.CopyResult) -> None:
    if result.kpis:
        flash(_("%(kpis)d KPIs copied for %(people)s.", kpis=result.kpis,
                people=", ".join(result.copied)), "success")
    if result.unaligned:
        flash(_("%(num)d copied KPIs have no matching goal this cycle: align them before "
                "the plans are submitted.", num=result.unaligned), "info")
    if result.skipped:
        flash(_("Skipped: %(list)s.", list="; ".join(f"{name} ({why})"
                                                      for name, why in result.skipped)), "info")


# The alignment tree --------------------------------------------------------------------------

@bp.get("/<int:cycle_id>/tree")
@can.require(can.can_use_planning)
def tree(cycle_id):
    cycle = get_cycle(cycle_id)
    form = TreeFilterForm(request.args)
    names = sorted(department_names().items(), key=lambda item: item[1])
    form.department_id.choices = [("", _("All departments I can see"))] + names
    if not form.validate():
        form.department_id.data = None
    return render("planning/tree.html", cycle=cycle, form=form,
                  tree=progress.alignment_tree(cycle, current_user, form.department_id.data))


# The pages of each level live beside this module, on the same blueprint.
from . import department_views, plan_views, target_views  # noqa: E402,F401
