"""Performance cycles: creating them, moving them through phases, and asking what a phase allows.

Rules:
- A cycle moves one phase at a time, forward or back, and each move is audited.
- Cycles may overlap (one in interviews while the next is planned); the "current" cycle is
  the newest one between planning and interviews.
- `is_allowed(cycle, action)` is the single answer to "may X happen in this phase?";
  later features add their actions to ALLOWED_PHASES and call `require_phase`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import changed, record, snapshot
from ..extensions import db
from ..models import PHASE_ORDER, Cycle, Phase

SETTINGS_FIELDS = ("name", "start_date", "end_date", "rating_scale_max", "anonymity_threshold",
                   "checkin_interval_days", "overdue_after_days")

ACTIVE_PHASES = frozenset(PHASE_ORDER[PHASE_ORDER.index(Phase.PLANNING):-1])

# action -> the phases in which it may happen. The one table later issues extend.
ALLOWED_PHASES: dict[str, frozenset[Phase]] = {
    "edit_settings": frozenset({Phase.DRAFT, Phase.PLANNING}),
    "edit_targets": frozenset({Phase.PLANNING}),
    "edit_plans": frozenset({Phase.PLANNING}),
    "revise_plans": frozenset({Phase.IN_PROGRESS, Phase.REVIEW}),
    # planning (issue 3): a published target is revised, with a reason, until review ends
    "revise_targets": frozenset({Phase.PLANNING, Phase.IN_PROGRESS, Phase.REVIEW}),
    "check_in": frozenset({Phase.IN_PROGRESS, Phase.REVIEW}),
    # during the cycle (issue 4): open obstacles and requests are still decided after review,
    # so none is stuck open; a closed cycle is read-only
    "handle_items": frozenset({Phase.IN_PROGRESS, Phase.REVIEW, Phase.CALIBRATION,
                               Phase.INTERVIEWS}),
    "write_reviews": frozenset({Phase.REVIEW}),
    "calibrate": frozenset({Phase.CALIBRATION}),
    "hold_interviews": frozenset({Phase.INTERVIEWS}),
}


class PhaseError(Exception):
    """The cycle's phase does not allow the action."""

    def __init__(self, cycle: Cycle, action: str):
        super().__init__(f"{action} is not allowed while {cycle.name} is {cycle.phase}")
        self.cycle = cycle
        self.action = action

    @property
    def message(self) -> str:
        return str(_l("Not possible while the cycle is in the “%(phase)s” phase.",
                      phase=self.cycle.current_phase.label))


class CycleError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


def is_allowed(cycle: Cycle, action: str) -> bool:
    """May `action` happen in `cycle`'s current phase? Unknown actions raise KeyError."""
    return cycle.current_phase in ALLOWED_PHASES[action]


def require_phase(cycle: Cycle, action: str) -> None:
    if not is_allowed(cycle, action):
        raise PhaseError(cycle, action)


def current_cycle() -> Cycle | None:
    """The cycle people are working in: the newest one between planning and interviews."""
    return db.session.scalar(
        select(Cycle).where(Cycle.phase.in_([p.value for p in ACTIVE_PHASES]))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()).limit(1)
    )


def _check_settings(cycle: Cycle) -> None:
    if cycle.end_date < cycle.start_date:
        raise CycleError(_l("The end date must not be before the start date."), "end_date")
    if cycle.anonymity_threshold < 2:
        raise CycleError(_l("Feedback needs at least 2 responses to stay anonymous."),
                         "anonymity_threshold")
    clash = db.session.scalar(
        select(Cycle.id).where(Cycle.name == cycle.name, Cycle.id != (cycle.id or 0))
    )
    if clash:
        raise CycleError(_l("Another cycle already has this name."), "name")


DEFAULT_SETTINGS = {"rating_scale_max": 5, "anonymity_threshold": 3, "checkin_interval_days": 14,
                    "overdue_after_days": 7}


def create_cycle(**settings) -> Cycle:
    cycle = Cycle(phase=Phase.DRAFT.value, **{**DEFAULT_SETTINGS, **settings})
    _check_settings(cycle)
    db.session.add(cycle)
    db.session.flush()
    record("cycle.created", cycle, after=snapshot(cycle, SETTINGS_FIELDS + ("phase",)))
    return cycle


def update_settings(cycle: Cycle, **settings) -> None:
    require_phase(cycle, "edit_settings")
    before = snapshot(cycle, SETTINGS_FIELDS)
    for key, value in settings.items():
        if key not in SETTINGS_FIELDS:
            raise KeyError(key)
        setattr(cycle, key, value)
    _check_settings(cycle)
    old, new = changed(before, snapshot(cycle, SETTINGS_FIELDS))
    if new:
        record("cycle.updated", cycle, before=old, after=new)


def next_phase(cycle: Cycle) -> Phase | None:
    i = cycle.current_phase.index
    return PHASE_ORDER[i + 1] if i + 1 < len(PHASE_ORDER) else None


def previous_phase(cycle: Cycle) -> Phase | None:
    i = cycle.current_phase.index
    return PHASE_ORDER[i - 1] if i > 0 else None


def move_phase(cycle: Cycle, to: Phase) -> None:
    """Move the cycle one step forward or back; anything else is refused."""
    to = Phase(to)
    if to not in (next_phase(cycle), previous_phase(cycle)):
        raise CycleError(_l("A cycle moves one phase at a time."))
    before = cycle.phase
    cycle.phase = to.value
    direction = "advanced" if to.index > PHASE_ORDER.index(Phase(before)) else "moved_back"
    record(f"cycle.{direction}", cycle, before={"phase": before}, after={"phase": to.value})
