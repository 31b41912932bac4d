"""Moving a cycle through its phases: forward one step at a time (cycles.services), and back
only while nothing of a later phase exists.

`can_move_back(user, cycle)` is the one answer: the cycle page's "Back to" button asks it,
the confirmation page shows its reason, and cycles.services.move_phase enforces it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import (
    Cycle,
    FeedbackRequest,
    Interview,
    InterviewStatus,
    Review,
    ReviewStatus,
)
from .answers import state, who
from .org import can_manage_cycles


def later_phase_records(cycle: Cycle) -> dict[str, int]:
    """What a move back would step over: submitted reviews, 360 answers given (a reopened
    one counts) and interviews the person has acknowledged (agreed or appealed)."""
    acknowledged = [s.value for s in (InterviewStatus.ACKNOWLEDGED, InterviewStatus.APPEALED,
                                      InterviewStatus.RESOLVED)]
    return {
        "reviews": db.session.scalar(select(func.count(Review.id)).where(
            Review.cycle_id == cycle.id, Review.status == ReviewStatus.SUBMITTED.value)) or 0,
        "feedback": db.session.scalar(select(func.count(FeedbackRequest.id)).where(
            FeedbackRequest.cycle_id == cycle.id,
            or_(FeedbackRequest.status == "submitted",
                FeedbackRequest.reopened_count > 0))) or 0,
        "interviews": db.session.scalar(select(func.count(Interview.id)).where(
            Interview.cycle_id == cycle.id, Interview.status.in_(acknowledged))) or 0,
    }


def can_move_back(user, cycle: Cycle):
    """HR moves a cycle back one phase only while nothing of a later phase exists: no
    submitted review, no 360 answer given, no acknowledged interview. Otherwise the move
    would reopen what people finished (and let a threshold or rater list be changed after
    answers are in); the refusal says what is in the way."""
    allowed = who(bool(can_manage_cycles(user)), _l("Only HR moves cycles."))
    if not allowed:
        return allowed
    if cycle.current_phase.index == 0:
        return state(False, _l("A draft cycle has no phase before it."))
    found = later_phase_records(cycle)
    parts = [text for count, text in (
        (found["reviews"], ngettext("%(num)d review is submitted",
                                    "%(num)d reviews are submitted", found["reviews"])),
        (found["feedback"], ngettext("%(num)d 360 answer is given",
                                     "%(num)d 360 answers are given", found["feedback"])),
        (found["interviews"], ngettext("%(num)d interview is acknowledged",
                                       "%(num)d interviews are acknowledged",
                                       found["interviews"]))) if count]
    return state(not parts, _l("The cycle cannot move back: %(what)s. A cycle steps back only "
                               "while nothing of a later phase exists.",
                               what="; ".join(parts)))
