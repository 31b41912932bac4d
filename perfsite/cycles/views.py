"""Performance cycles: HR creates them and moves them through their phases."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import permissions as can
from ..extensions import db
from ..models import Cycle, Phase
from ..submissions import submit_once
from ..web import attempt, load, render, status_of
from . import bp, services
from .forms import CycleForm, PhaseForm


@bp.get("/")
@can.require(can.can_view_cycles)
def index():
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc())).all()
    return render("cycles/index.html", cycles=cycles)


def _settings(form: CycleForm) -> dict:
    return {name: getattr(form, name).data for name in services.SETTINGS_FIELDS}


@bp.route("/new", methods=["GET", "POST"])
@can.require(can.can_manage_cycles)
def new():
    form = CycleForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, cycle = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: services.create_cycle(current_user, **_settings(form))))
        if cycle is not None:
            flash(_("Cycle %(name)s was created as a draft.", name=cycle.name), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/form.html", form=form, cycle=None, status=status)


@bp.get("/<int:cycle_id>")
def detail(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_view_cycle)
    return render("cycles/detail.html", cycle=cycle, services=services,
                  phases=list(Phase), form=PhaseForm())


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
def edit(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_edit_cycle)
    form = CycleForm(obj=cycle)
    if request.method == "GET":
        form.version.data = cycle.version
    status = status_of(form)
    allowed = can.can_edit_cycle(current_user, cycle)
    if not allowed:
        form.form_errors.append(allowed.reason)
        status = 409 if form.is_submitted() else 200
    elif form.validate_on_submit():
        status, _result = attempt(form, lambda: services.update_settings(
            cycle, current_user, expected_version=form.version.data, **_settings(form)),
            current=cycle)
        if status == 200:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/form.html", form=form, cycle=cycle, status=status)


@bp.route("/<int:cycle_id>/phase", methods=["GET", "POST"])
def move_phase(cycle_id):
    """GET asks for confirmation; POST moves the cycle one phase forward or back."""
    cycle = load(Cycle, cycle_id, lambda user, _cycle: can.can_manage_cycles(user))
    form = PhaseForm()
    if request.method == "GET":
        form.to.data = request.args.get("to", "")
    try:
        target = Phase(form.to.data)
    except ValueError:
        flash(_("Choose the phase to move to."), "error")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    if not can.is_one_step(cycle, target):
        flash(_("The cycle is already in the “%(phase)s” phase.",
                phase=cycle.current_phase.label), "info")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    if can.closes_cycle(target):  # interviews: closing lists who is missing (perfsite/interviews)
        return redirect(url_for("interviews.close", cycle_id=cycle.id))
    status = status_of(form)
    # Moving back over submitted work is refused with the reason, before and after posting.
    refused = (can.can_move_back(current_user, cycle)
               if target is services.previous_phase(cycle) else True)
    if not refused:
        form.form_errors.append(refused.reason)
        return render("cycles/confirm_phase.html", cycle=cycle, target=target, form=form,
                      status=409, refused=True)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.move_phase(cycle, current_user,
                                                                     target))
        if status == 200:
            flash(_("%(name)s is now in the “%(phase)s” phase.", name=cycle.name,
                    phase=target.label), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/confirm_phase.html", cycle=cycle, target=target, form=form,
                  status=status, **_before_entering(cycle, target))


def _before_entering(cycle: Cycle, target: Phase) -> dict:
    """What the confirmation shows before the cycle enters `target`: before calibration,
    the reviews and 360 answers still missing per department (perfsite/reviews)."""
    if can.enters(cycle, target, "calibrate"):
        from ..reviews.services import completion

        return {"missing": completion.missing_before_calibration(cycle)}
    return {}
