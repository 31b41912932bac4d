"""Performance cycles: creating them, moving them through phases, and asking what a phase allows.

Rules:
- A cycle moves one phase at a time, forward or back, and each move is audited. It moves
  back only while nothing of a later phase exists (permissions.can_move_back: no
  submitted review, 360 answer or acknowledged interview), with the reason otherwise.
- The anonymity threshold is fixed once the first 360 answer is in
  (permissions.can_change_anonymity_threshold).
- Cycles may overlap (one in interviews while the next is planned); the "current" cycle is
  the newest one between planning and interviews.
- What each phase allows, and which phases are one step away, is permissions/phases.py's
  table (`is_allowed`, `phase_clause`, `next_phase`, `previous_phase`).
- Only HR creates cycles, edits their settings (in draft and planning) and moves them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import plugins
from ..audit.services import changed, record, snapshot
from ..errors import Invalid
from ..extensions import db
from ..models import Cycle, Phase
from ..permissions.phases import (  # noqa: F401  (the steps live with the table)
    is_one_step,
    moves_forward,
    next_phase,
    phase_clause,
    previous_phase,
)
from ..rules import check_version, clean_text

SETTINGS_FIELDS = ("name", "start_date", "end_date", "rating_scale_max", "anonymity_threshold",
                   "checkin_interval_days", "overdue_after_days")

def current_cycle() -> Cycle | None:
    """The cycle people are working in: the newest one between planning and interviews."""
    return db.session.scalar(
        select(Cycle).where(phase_clause("work_in_cycle"))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()).limit(1)
    )


def _require_hr(actor) -> None:
    from .. import permissions as can  # permissions asks this module about phases

    can.enforce(can.can_manage_cycles(actor))


def _check_settings(cycle: Cycle) -> None:
    cycle.name = clean_text(cycle.name, field="name", limit=80, multiline=False,
                            required=_l("A name is required."))
    if cycle.start_date is None or cycle.end_date is None:
        raise Invalid(_l("Give the start and end dates."), "start_date")
    if cycle.end_date < cycle.start_date:
        raise Invalid(_l("The end date must not be before the start date."), "end_date")
    bounds = {"rating_scale_max": (3, 10), "anonymity_threshold": (2, 20),
              "checkin_interval_days": (1, 90), "overdue_after_days": (1, 90)}
    for name, (low, high) in bounds.items():
        value = getattr(cycle, name)
        if value is None or not low <= value <= high:
            if name == "anonymity_threshold" and value is not None and value < 2:
                raise Invalid(_l("Feedback needs at least 2 responses to stay anonymous."),
                              name)
            raise Invalid(_l("Between %(low)d and %(high)d.", low=low, high=high), name)
    clash = db.session.scalar(
        select(Cycle.id).where(Cycle.name == cycle.name, Cycle.id != (cycle.id or 0))
    )
    if clash:
        raise Invalid(_l("Another cycle already has this name."), "name")


DEFAULT_SETTINGS = {"rating_scale_max": 5, "anonymity_threshold": 3, "checkin_interval_days": 14,
                    "overdue_after_days": 7}


def create_cycle(actor, **settings) -> Cycle:
    """HR creates a cycle, as a draft."""
    _require_hr(actor)
    cycle = Cycle(phase=Phase.DRAFT.value, **{**DEFAULT_SETTINGS, **settings})
    with db.session.no_autoflush:
        _check_settings(cycle)
    db.session.add(cycle)
    db.session.flush()
    record("cycle.created", cycle, actor=actor,
           after=snapshot(cycle, SETTINGS_FIELDS + ("phase",)))
    return cycle


def update_settings(cycle: Cycle, actor, *, expected_version, **settings) -> None:
    from .. import permissions as can

    can.enforce(can.can_edit_cycle(actor, cycle))
    check_version(cycle, expected_version)
    if "anonymity_threshold" in settings \
            and settings["anonymity_threshold"] != cycle.anonymity_threshold:
        allowed = can.can_change_anonymity_threshold(actor, cycle)
        if not allowed:
            raise Invalid(allowed.reason, "anonymity_threshold")
    before = snapshot(cycle, SETTINGS_FIELDS)
    for key, value in settings.items():
        if key not in SETTINGS_FIELDS:
            raise KeyError(key)
        setattr(cycle, key, value)
    with db.session.no_autoflush:
        _check_settings(cycle)
    old, new = changed(before, snapshot(cycle, SETTINGS_FIELDS))
    if new:
        record("cycle.updated", cycle, actor=actor, before=old, after=new)


def move_phase(cycle: Cycle, actor, to: Phase) -> None:
    """Move the cycle one step forward or back; anything else is refused."""
    _require_hr(actor)
    try:
        to = Phase(to)
    except ValueError:
        raise Invalid(_l("Choose a phase."), "to") from None
    if not is_one_step(cycle, to):
        raise Invalid(_l("A cycle moves one phase at a time."), "to")
    if to is previous_phase(cycle):
        from .. import permissions as can

        can.enforce(can.can_move_back(actor, cycle))
    before = cycle.phase
    cycle.phase = to.value
    direction = "advanced" if moves_forward(Phase(before), to) else "moved_back"
    record(f"cycle.{direction}", cycle, actor=actor, before={"phase": before},
           after={"phase": to.value})
    if direction == "advanced":
        # what other areas do as a cycle enters a phase (interviews: goal drafts become
        # proposals as planning opens; 360 feedback: late answers folded in as calibration
        # opens; notify: the channels hear it): plugins.PHASE_HOOKS, in perfsite/areas.py
        for phase_entered, act in plugins.registered(plugins.PHASE_HOOKS):
            if phase_entered is to:
                act(cycle, actor)
