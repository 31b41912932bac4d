"""Strategy target pages: list, detail, the executives' form, publish, retire, history."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import permissions as can
from ..extensions import db
from ..models import (
    DepartmentGoal,
    MetricType,
    Person,
    StrategyTarget,
    TargetRevision,
    TargetStatus,
)
from ..submissions import submit_once
from ..web import attempt, load, load_cycle, render, status_of
from . import bp
from .forms import PlanActionForm, ReasonForm, TargetForm, plain_number
from .services import goals, progress, targets

TARGET_OPTIONS = (joinedload(StrategyTarget.cycle), joinedload(StrategyTarget.owner))

# Strategy targets ----------------------------------------------------------------------------

def _fill_target_form(form: TargetForm, target: StrategyTarget | None = None) -> None:
    options = targets.owner_options()
    if target is not None and target.owner_id and target.owner_id not in dict(options):
        owner = db.session.get(Person, target.owner_id)
        options.append((owner.id, owner.display_name))
    form.owner_id.choices = [("", _("No owner"))] + options


def _target_fields(form: TargetForm) -> dict:
    return {name: getattr(form, name).data for name in targets.TARGET_FIELDS}


@bp.get("/<int:cycle_id>/targets")
@can.require(can.can_use_planning)
def target_list(cycle_id):
    cycle = load_cycle(cycle_id)
    rows = db.session.scalars(targets.visible_targets(cycle, current_user)
                              .options(joinedload(StrategyTarget.owner))).all()
    return render("planning/targets.html", cycle=cycle, targets=rows,
                  progress=progress.target_progress([t.id for t in rows]))


@bp.route("/<int:cycle_id>/targets/new", methods=["GET", "POST"])
def new_target(cycle_id):
    cycle = load_cycle(cycle_id)
    can.ensure(can.can_create_targets(current_user, cycle))
    form = TargetForm()
    _fill_target_form(form)
    if request.method == "GET":
        form.owner_id.data = current_user.id
    status = status_of(form)
    if form.validate_on_submit():
        status, target = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: targets.create_target(cycle, current_user, **_target_fields(form))))
        if target is not None:
            flash(_("Target “%(title)s” was saved as a draft. Publish it when it is ready.",
                    title=target.title), "success")
            return redirect(url_for("planning.target", target_id=target.id))
    allowed = can.can_create_targets(current_user, cycle)
    if not allowed and not form.form_errors:
        form.form_errors.append(allowed.reason)
    return render("planning/target_form.html", form=form, cycle=cycle, target=None,
                  status=status)


@bp.get("/targets/<int:target_id>")
def target(target_id):
    target = load(StrategyTarget, target_id, can.can_view_target, options=TARGET_OPTIONS)
    return render("planning/target.html", **_target_context(target))


def _target_context(target: StrategyTarget, **extra) -> dict:
    """The target and the goals serving it that this person may see (the same predicate
    as the goal row and the alignment tree: permissions.can_view_goal)."""
    aligned = db.session.scalars(
        select(DepartmentGoal).where(DepartmentGoal.target_id == target.id)
        .options(joinedload(DepartmentGoal.department), joinedload(DepartmentGoal.cycle),
                 selectinload(DepartmentGoal.contributors))
        .order_by(DepartmentGoal.department_id, DepartmentGoal.title)).unique().all()
    visible = [g for g in aligned if can.can_view_goal(current_user, g)]
    form = PlanActionForm()
    form.version.data = target.version
    own = current_user.department
    return {"target": target, "cycle": target.cycle, "aligned": visible,
            "hidden_goals": len(aligned) - len(visible),
            "progress": progress.rollup_for_target(target),
            "decompose_plan": goals.department_plan_for(target.cycle, own) if own else None,
            "action_form": form, "action_errors": [], **extra}


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
def edit_target(target_id):
    target = load(StrategyTarget, target_id, can.can_edit_target, options=TARGET_OPTIONS)
    form = TargetForm(obj=target)
    _fill_target_form(form, target)
    if request.method == "GET":
        form.version.data = target.version
        allowed = can.can_edit_target(current_user, target)
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: targets.update_target(
            target, current_user, expected_version=form.version.data,
            reason=form.reason.data or "", **_target_fields(form)), current=target)
        if status == 200:
            flash(_("Changes saved."), "success")
            return redirect(url_for("planning.target", target_id=target.id))
    return render("planning/target_form.html", form=form, cycle=target.cycle, target=target,
                  conflict=target if status == 409 else None, status=status)


@bp.post("/targets/<int:target_id>/publish")
def publish_target(target_id):
    target = load(StrategyTarget, target_id, can.can_publish_target, options=TARGET_OPTIONS)
    form = PlanActionForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: targets.publish_target(
            target, current_user, expected_version=form.version.data), current=target)
        if status == 200:
            flash(_("“%(title)s” is published: everyone can see it now.", title=target.title),
                  "success")
            return redirect(url_for("planning.target", target_id=target.id))
    return render("planning/target.html", status=status,
                  **_target_context(target, action_errors=form.form_errors))


@bp.route("/targets/<int:target_id>/retire", methods=["GET", "POST"])
def retire_target(target_id):
    target = load(StrategyTarget, target_id, can.can_retire_target, options=TARGET_OPTIONS)
    form = ReasonForm()
    if request.method == "GET":
        form.version.data = target.version
        allowed = can.can_retire_target(current_user, target)
        if not allowed:
            form.form_errors.append(allowed.reason)
    status = status_of(form)
    if form.validate_on_submit():
        status, flagged = attempt(form, lambda: targets.retire_target(
            target, current_user, reason=form.reason.data,
            expected_version=form.version.data), current=target)
        if status == 200:
            flash(ngettext("“%(title)s” is retired; %(num)d aligned goal is flagged for "
                           "re-alignment.",
                           "“%(title)s” is retired; %(num)d aligned goals are flagged for "
                           "re-alignment.", flagged, title=target.title), "success")
            return redirect(url_for("planning.target", target_id=target.id))
    return render("planning/target_retire.html", form=form, target=target, status=status)


HISTORY_FIELDS = ("title", "description", "metric_type", "baseline", "target_value", "unit",
                  "deadline", "owner", "status")


def _readable(data: dict) -> dict:
    """A revision's snapshot as people read it: labels, numbers without trailing zeros."""
    out = dict(data)
    for key in ("baseline", "target_value"):
        if out.get(key) is not None:
            out[key] = plain_number(Decimal(out[key]))
    if out.get("metric_type"):
        out["metric_type"] = str(MetricType(out["metric_type"]).label)
    if out.get("status"):
        out["status"] = str(TargetStatus(out["status"]).label)
    return out


@bp.get("/targets/<int:target_id>/history")
def target_history(target_id):
    target = load(StrategyTarget, target_id, can.can_view_target, options=TARGET_OPTIONS)
    revisions = db.session.scalars(
        select(TargetRevision).where(TargetRevision.target_id == target.id)
        .options(joinedload(TargetRevision.changed_by))
        .order_by(TargetRevision.revision)).all()
    entries = []
    previous = None
    for revision in revisions:
        data = revision.snapshot
        changes = ([] if previous is None else
                   [key for key in HISTORY_FIELDS if data.get(key) != previous.get(key)])
        entries.append({"revision": revision, "data": _readable(data), "changes": changes})
        previous = data
    return render("planning/target_history.html", target=target, entries=list(reversed(entries)))
