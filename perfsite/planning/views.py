"""Planning pages: the overview and the alignment tree. The pages of each level are beside
it, on the same blueprint (perfsite/planning/__init__.py): target_views.py (strategy
targets), department_views.py (a department's goals), plan_views.py (a person's plan and
KPIs).

Views stay thin: `load` the objects with their access check (404/403), hand the form to a
service through `attempt` (which commits once), and answer the whole page or, for htmx,
the fragment the page itself includes (422 for validation errors, 409 for conflicts).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import permissions as can
from ..cycles.services import current_cycle
from ..extensions import db
from ..models import Cycle, Department
from ..org.services import department_names
from ..rules import to_id
from ..web import is_htmx, load, load_cycle, render
from . import bp
from .forms import TreeFilterForm, TreeSearchForm, plain_number
from .services import plans, progress, targets

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


# Overview ------------------------------------------------------------------------------------

@bp.get("/")
@can.require(can.can_use_planning)
def index():
    cycle_id = to_id(request.args.get("cycle_id"))
    cycle = load_cycle(cycle_id) if cycle_id else current_cycle()
    all_cycles = [c for c in db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc()))
                  if can.can_use_cycle(current_user, c)]
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


# The alignment tree --------------------------------------------------------------------------

@bp.get("/<int:cycle_id>/tree")
@can.require(can.can_use_planning)
def tree(cycle_id):
    """The tree: whole for one department, collapsed at the department level over several
    (each department's goals load when opened: tree_branch). With `q`, what matches; htmx
    asks for those results alone."""
    cycle = load_cycle(cycle_id)
    form = TreeFilterForm(request.args)
    names = sorted(department_names().items(), key=lambda item: item[1])
    form.department_id.choices = [("", _("All departments I can see"))] + names
    if not form.validate():
        form.department_id.data = None
    search = TreeSearchForm(request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    context = {"cycle": cycle, "form": form, "search": search, "query": query,
               "found": None, "tree": None, "collapsed": None, "latest_status": {}}
    if query:
        context["found"] = progress.search_tree(cycle, current_user, query)
        context["latest_status"] = progress.latest_checkins(
            k.id for k in context["found"]["kpis"])
    elif is_htmx():
        pass  # the search was emptied: no results
    elif progress.tree_is_collapsed(current_user, form.department_id.data):
        context["collapsed"] = progress.collapsed_tree(cycle, current_user)
    else:
        tree = progress.alignment_tree(cycle, current_user, form.department_id.data)
        context["tree"] = tree
        context["latest_status"] = progress.latest_checkins(
            k.kpi.id for node in tree.all_goal_nodes() for k in node.kpis)
    return render("planning/tree.html", "planning/_tree_search.html", **context)


@bp.get("/<int:cycle_id>/tree/departments/<int:department_id>")
@can.require(can.can_use_planning)
def tree_branch(cycle_id, department_id):
    """A department's goals with their KPIs, for opening it in the collapsed tree (htmx);
    without htmx, the tree of that department. Only what the person may see (the rules
    of progress.alignment_tree)."""
    cycle = load_cycle(cycle_id)
    department = load(Department, department_id)
    if not is_htmx():
        return redirect(url_for("planning.tree", cycle_id=cycle.id, department_id=department.id))
    nodes, _count = progress.tree_branch(cycle, current_user, department.id)
    kpi_ids = [leaf.kpi.id for node in nodes for leaf in node.kpis]
    return render("planning/_tree_branch.html", cycle=cycle, department=department,
                  nodes=nodes, latest_status=progress.latest_checkins(kpi_ids))

