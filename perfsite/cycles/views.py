"""Performance cycles: HR creates them and moves them through their phases."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions as can
from ..extensions import db
from ..models import Cycle, Phase
from ..web import render
from . import services
from .forms import CycleForm, PhaseForm

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


def get_cycle(cycle_id: int) -> Cycle:
    return db.session.get(Cycle, cycle_id) or abort(404)


@bp.get("/")
@can.require(can.can_view_cycles)
def index():
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc())).all()
    return render("cycles/index.html", cycles=cycles)


def _settings(form: CycleForm) -> dict:
    return {name: getattr(form, name).data for name in services.SETTINGS_FIELDS}


def _form_error(form, error) -> None:
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))


@bp.route("/new", methods=["GET", "POST"])
@can.require(can.can_manage_cycles)
def new():
    form = CycleForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(**_settings(form))
            db.session.commit()
        except services.CycleError as error:
            _form_error(form, error)
        else:
            flash(_("Cycle %(name)s was created as a draft.", name=cycle.name), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/form.html", form=form, cycle=None, status=status)


@bp.get("/<int:cycle_id>")
@can.require(can.can_view_cycles)
def detail(cycle_id):
    cycle = get_cycle(cycle_id)
    return render("cycles/detail.html", cycle=cycle, services=services,
                  phases=list(Phase), form=PhaseForm())


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@can.require(can.can_manage_cycles)
def edit(cycle_id):
    cycle = get_cycle(cycle_id)
    form = CycleForm(obj=cycle)
    if request.method == "GET":
        form.version.data = cycle.version
    status = 422 if form.is_submitted() else 200
    if not services.is_allowed(cycle, "edit_settings"):
        form.form_errors.append(services.PhaseError(cycle, "edit_settings").message)
        status = 409 if form.is_submitted() else 200
    elif form.validate_on_submit():
        if str(cycle.version) != (form.version.data or ""):
            status = 409
            form.version.data = cycle.version
            form.form_errors.append(_("Someone else changed this cycle meanwhile. Check the "
                                      "values below and save again."))
        else:
            try:
                services.update_settings(cycle, **_settings(form))
                db.session.commit()
            except services.CycleError as error:
                _form_error(form, error)
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/form.html", form=form, cycle=cycle, status=status)


@bp.route("/<int:cycle_id>/phase", methods=["GET", "POST"])
@can.require(can.can_manage_cycles)
def move_phase(cycle_id):
    """GET asks for confirmation; POST moves the cycle one phase forward or back."""
    cycle = get_cycle(cycle_id)
    form = PhaseForm()
    if request.method == "GET":
        form.to.data = request.args.get("to", "")
    try:
        target = Phase(form.to.data)
    except ValueError:
        abort(400)
    if target not in (services.next_phase(cycle), services.previous_phase(cycle)):
        flash(_("The cycle is already in the “%(phase)s” phase.",
                phase=cycle.current_phase.label), "info")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    if form.validate_on_submit():
        services.move_phase(cycle, target)
        db.session.commit()
        flash(_("%(name)s is now in the “%(phase)s” phase.", name=cycle.name,
                phase=target.label), "success")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render("cycles/confirm_phase.html", cycle=cycle, target=target, form=form,
                  status=422 if form.is_submitted() else 200)
