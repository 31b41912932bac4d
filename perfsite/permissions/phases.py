"""What each phase of a cycle allows: the one table, and its SQL twin.

`is_allowed(cycle, action)` is the single answer to "may X happen in this phase?" and
`phase_clause(action)` is the same answer as SQL, for lists, to-dos and dashboards that pick
cycles (or rows of cycles) by it. `answers.phase(cycle, action)` folds the table into each
predicate as a PhaseError refusal. Later areas add their actions to ALLOWED_PHASES.

Nothing outside permissions/ and models/ compares a phase or reads this table
(tests/test_one_rule.py holds it): code asks `is_allowed`, `phase_clause` and the step
helpers below (`next_phase`, `previous_phase`, `is_one_step`, `closes_cycle`).
"""

from __future__ import annotations

from ..errors import PhaseError
from ..models import PHASE_ORDER, Cycle, Phase

# The cycles people are working in: planning to interviews (not draft, not closed).
ACTIVE_PHASES = frozenset(PHASE_ORDER[PHASE_ORDER.index(Phase.PLANNING):-1])
# Every phase a cycle enters as it moves forward (a cycle is created in draft).
ENTERED_PHASES = tuple(PHASE_ORDER[1:])

# action -> the phases in which it may happen.
ALLOWED_PHASES: dict[str, frozenset[Phase]] = {
    # the cycles people are working in: the current cycle, the open cycles on the home page
    "work_in_cycle": ACTIVE_PHASES,
    # a draft cycle is HR's and the executives' until it opens; then everyone's
    "open_to_everyone": frozenset(ENTERED_PHASES),
    # dashboards open on the newest cycle with work to show: past planning
    "show_progress": frozenset(PHASE_ORDER[PHASE_ORDER.index(Phase.IN_PROGRESS):]),
    "edit_settings": frozenset({Phase.DRAFT, Phase.PLANNING}),
    "edit_targets": frozenset({Phase.PLANNING}),
    # plans and goals: edited freely in planning, revised with a reason in progress and
    # review (a plan reopened then is submitted and approved again)
    "edit_plans": frozenset({Phase.PLANNING}),
    "revise_plans": frozenset({Phase.IN_PROGRESS, Phase.REVIEW}),
    # planning: a published target is revised, with a reason, until review ends
    "revise_targets": frozenset({Phase.PLANNING, Phase.IN_PROGRESS, Phase.REVIEW}),
    "check_in": frozenset({Phase.IN_PROGRESS, Phase.REVIEW}),
    # a check-in posted once review has opened is marked late
    "check_in_late": frozenset({Phase.REVIEW}),
    # during the cycle: open obstacles and requests are still decided after review,
    # so none is stuck open; a closed cycle is read-only
    "handle_items": frozenset({Phase.IN_PROGRESS, Phase.REVIEW, Phase.CALIBRATION,
                               Phase.INTERVIEWS}),
    # reviews: HR sets how they are scored before review opens; self and manager reviews
    # are written (and reopened by HR, and late ones nudged) in review; ratings move in
    # calibration; a person sees their own results from the feedback interviews on
    "edit_review_settings": frozenset({Phase.DRAFT, Phase.PLANNING, Phase.IN_PROGRESS}),
    "write_reviews": frozenset({Phase.REVIEW}),
    "reopen_reviews": frozenset({Phase.REVIEW}),
    "nudge_reviews": frozenset({Phase.REVIEW}),
    "calibrate": frozenset({Phase.CALIBRATION}),
    "see_own_results": frozenset({Phase.INTERVIEWS, Phase.CLOSED}),
    "hold_interviews": frozenset({Phase.INTERVIEWS}),
    # interviews: HR closes the cycle from the interviews phase (perfsite/interviews)
    "close_cycle": frozenset({Phase.INTERVIEWS}),
    # 360 feedback (perfsite/feedback): nominated and given in review, or while in progress
    # once the cycle's "feedback opens" date has come (permissions.feedback_open decides);
    # HR reopens a submitted answer then too
    "give_feedback": frozenset({Phase.IN_PROGRESS, Phase.REVIEW}),
    # ... and in review it is open whatever the "feedback opens" date says
    "give_feedback_any_day": frozenset({Phase.REVIEW}),
    # the 360 pages list every cycle past planning (feedback open, or its results readable)
    "list_feedback": frozenset(PHASE_ORDER[PHASE_ORDER.index(Phase.IN_PROGRESS):]),
    # the interviews pages list the cycles in or past their feedback interviews
    "list_interviews": frozenset({Phase.INTERVIEWS, Phase.CLOSED}),
    # 360: the anonymous groups' results are released as the review phase closes
    # (perfsite/feedback/services/releases.py); before that the report says they are due
    "read_feedback_releases": frozenset({Phase.CALIBRATION, Phase.INTERVIEWS, Phase.CLOSED}),
    # HR folds late 360 answers into the stored scores before calibration is done
    "recompute_scores": frozenset({Phase.REVIEW, Phase.CALIBRATION}),
    # resource allocation (perfsite/talent): allocations change until the cycle closes
    "allocate_resources": frozenset(PHASE_ORDER[:-1]),
    # the talent review: HR sets it up from calibration on; heads assess potential, HR and
    # executives move people and heads agree actions once ratings are calibrated
    "edit_talent_settings": frozenset({Phase.CALIBRATION, Phase.INTERVIEWS}),
    "talent_review": frozenset({Phase.INTERVIEWS}),
}


def is_allowed(cycle: Cycle, action: str) -> bool:
    """May `action` happen in `cycle`'s current phase? Unknown actions raise KeyError."""
    return cycle.current_phase in ALLOWED_PHASES[action]


def phase_clause(*actions: str):
    """SQL twin of `is_allowed(cycle, action)`: the cycles whose phase allows `action` (any
    of `actions`, when several are given)."""
    return Cycle.phase.in_(sorted({p.value for action in actions
                                   for p in ALLOWED_PHASES[action]}))


def require_phase(cycle: Cycle, action: str) -> None:
    if not is_allowed(cycle, action):
        raise PhaseError(cycle, action)


# Moving a cycle: one phase at a time, forward or back ------------------------------------

def next_phase(cycle: Cycle) -> Phase | None:
    i = cycle.current_phase.index
    return PHASE_ORDER[i + 1] if i + 1 < len(PHASE_ORDER) else None


def previous_phase(cycle: Cycle) -> Phase | None:
    i = cycle.current_phase.index
    return PHASE_ORDER[i - 1] if i > 0 else None


def is_one_step(cycle: Cycle, to: Phase) -> bool:
    """Is `to` the phase just after or just before `cycle`'s? (A cycle moves one at a time.)"""
    return to is not None and to in (next_phase(cycle), previous_phase(cycle))


def enters(cycle: Cycle, to: Phase, action: str) -> bool:
    """Is moving `cycle` to `to` a step forward into a phase that allows `action`?"""
    return to is not None and to is next_phase(cycle) and to in ALLOWED_PHASES[action]


def moves_forward(before: Phase, to: Phase) -> bool:
    return to.index > before.index


def closes_cycle(to: Phase) -> bool:
    """Moving into the last phase closes the cycle (interviews: closing lists who is
    missing first)."""
    return to is PHASE_ORDER[-1]
