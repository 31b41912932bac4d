"""360-degree feedback.

A person nominates peers (any department) for feedback on them while feedback is open;
their head (the one who approves their plan; HR too, to fix stuck lists) approves, removes
and adds raters and picks a replacement for a rater who declined. A rater answers (or
declines) only their own requests; an answer is read by its author alone, and is final
once submitted (only HR reopens it). The 360 report, aggregates only, is read by the
person's heads, HR and executives, and by the person themselves from the feedback
interviews on when the cycle allows it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import PhaseError
from ..models import FeedbackSettings
from .answers import Refusal, phase, state, who
from .org import is_hr, manages, sees_whole_company
from .phases import is_allowed, phase_clause
from .planning import approver_id
from .reviews import _reads_submitted_reviews_of


def feedback_cycles_clause():
    """The cycles the 360 pages list: every one past planning (feedback may be open, or its
    results readable)."""
    return phase_clause("list_feedback")


def _feedback_settings(cycle):
    return FeedbackSettings.of(cycle)


def feedback_open(cycle):
    """Feedback is open: in review, or in progress from the cycle's "feedback opens" date."""
    from datetime import date

    if not is_allowed(cycle, "give_feedback"):
        return Refusal(PhaseError(cycle, "give_feedback"))
    if is_allowed(cycle, "give_feedback_any_day"):
        return True
    opens_on = _feedback_settings(cycle).opens_on
    return state(opens_on is not None and opens_on <= date.today(),
                 _l("360 feedback opens with the review phase%(date)s.",
                    date=f" ({opens_on.isoformat()})" if opens_on else ""))


def _feedback_head(user, person) -> bool:
    """Whoever approves `person`'s raters: the one who approves their plan, or HR."""
    return user.is_authenticated and person.id != user.id and (
        approver_id(person) == user.id or is_hr(user))


def can_see_who_answered(user, request) -> bool:
    """Whether `user` sees that `request`'s rater answered (or why they declined): everyone
    who reads the raters list but the person the feedback is on, who sees who is asked,
    never who has answered."""
    return user.is_authenticated and user.id != request.subject_id


def rater_state_shown(user, request):
    """`request`'s state as `user` may see it on the raters list: to the person the feedback
    is on, an answered request still reads "asked"."""
    from ..models import FeedbackStatus

    if request.is_submitted and not can_see_who_answered(user, request):
        return FeedbackStatus.REQUESTED
    return request.state


def can_view_nominations(user, target) -> bool:
    """`target`: (person, cycle). The person, their heads, HR and executives."""
    person, _cycle = target
    return user.is_authenticated and (person.id == user.id or manages(user, person)
                                      or sees_whole_company(user))


def can_nominate_raters(user, target):
    person, cycle = target
    return (who(user.is_authenticated and person.id == user.id,
                _l("Only %(name)s nominates their raters.", name=person.display_name))
            and feedback_open(cycle))


def can_approve_nominations(user, target):
    """Approve, remove and add raters of `target` (person, cycle)."""
    person, cycle = target
    return (who(_feedback_head(user, person),
                _l("Only %(name)s's head (or HR) approves their raters.",
                   name=person.display_name))
            and feedback_open(cycle))


def can_remove_rater(user, request):
    return (can_approve_nominations(user, (request.subject, request.cycle))
            and state(request.status in ("nominated", "requested"),
                      _l("Only a rater who has not answered yet can be removed.")))


def can_pick_replacement(user, request):
    return (can_approve_nominations(user, (request.subject, request.cycle))
            and state(request.status == "declined" and not request.replaced,
                      _l("Only a rater who declined is replaced, once.")))


def can_read_feedback(user, request) -> bool:
    """One answer, as written: its author alone (never the subject, their heads or HR)."""
    return user.is_authenticated and request.rater_id == user.id


def can_give_feedback(user, request):
    return (who(user.is_authenticated and request.rater_id == user.id,
                _l("This feedback request is not yours."))
            and feedback_open(request.cycle)
            and state(request.status == "requested",
                      _l("This feedback is submitted and final; only HR can reopen it.")
                      if request.status == "submitted" else
                      _l("This feedback request is no longer open.")))


def can_decline_feedback(user, request):
    return can_give_feedback(user, request)


def can_reopen_feedback(user, request):
    return (who(is_hr(user), _l("Only HR reopens submitted feedback."))
            and feedback_open(request.cycle)
            and state(request.status == "submitted",
                      _l("Only submitted feedback can be reopened.")))


def can_view_feedback_admin(user, cycle) -> bool:
    """Who has answered (never what), stuck nominations: HR and executives."""
    return sees_whole_company(user)


def can_view_feedback_report(user, target):
    """`target`: (person, cycle). Aggregates that pass the anonymity threshold only."""
    person, cycle = target
    if user.is_authenticated and person.id == user.id:
        return (phase(cycle, "see_own_results")
                and state(_feedback_settings(cycle).subject_sees_report,
                          _l("In this cycle the 360 report is discussed with your head, not "
                             "shown to you.")))
    return who(_reads_submitted_reviews_of(user, person),
               _l("Only %(name)s, their heads and HR see their 360 report.",
                  name=person.display_name))


def can_recompute_scores(user, cycle):
    """Store everyone's scores again with the 360 answers in so far (one batch, by HR: a
    recomputation per answer would pair a rater with the change it made)."""
    return (who(is_hr(user), _l("Only HR recomputes the stored scores."))
            and phase(cycle, "recompute_scores"))


def can_edit_feedback_settings(user, settings):
    return (who(is_hr(user), _l("Only HR sets how 360 feedback works."))
            and phase(settings.cycle, "edit_review_settings"))
