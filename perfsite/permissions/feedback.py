"""360-degree feedback.

A person nominates peers (any department) for feedback on them while feedback is open;
their head (the one who approves their plan; HR too, to fix stuck lists) approves, removes
and adds raters and picks a replacement for a rater who declined. Once the first anonymous
answer about a person is in, their raters are fixed (no one added, removed or nominated;
a rater who declines is still replaced), and once the first in the cycle is in, so is the
cycle's anonymity threshold: nobody can compare the results before and after a change of
who answers or of how many must. Who declined is seen by the approving head and HR, never
by the person; who has answered, by HR alone. A rater answers (or
declines) only their own requests; an answer is read by its author alone, and is final
once submitted (only HR reopens it). The 360 report, aggregates only, is read by the
person's heads, HR and executives, and by the person themselves from the feedback
interviews on when the cycle allows it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from ..errors import PhaseError
from ..extensions import db
from ..models import FeedbackRequest, FeedbackSettings
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


# Answers given -------------------------------------------------------------------------------

def submitted_clause():
    """SQL: a feedback answer submitted as it stands (what a release is made from)."""
    return FeedbackRequest.status == "submitted"


def answered_clause():
    """SQL: an anonymous answer that is, or has been, submitted (a reopened one counts)."""
    return (FeedbackRequest.rater_group.in_(("peer", "report"))
            & or_(FeedbackRequest.status == "submitted", FeedbackRequest.reopened_count > 0))


_CACHE = "raters_fixed"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_answered(session, *_args):
    session.info.pop(_CACHE, None)


def prime_raters_fixed(pairs) -> None:
    """Answer `raters_fixed` for many (person id, cycle id) pairs with one query (to-do
    lists); the answers hold until the session next writes."""
    pairs = set(pairs)
    if not pairs:
        return
    cache = db.session.info.setdefault(_CACHE, {})
    found = set(db.session.execute(
        select(FeedbackRequest.subject_id, FeedbackRequest.cycle_id).where(
            answered_clause(),
            FeedbackRequest.subject_id.in_(sorted({p for p, _c in pairs})),
            FeedbackRequest.cycle_id.in_(sorted({c for _p, c in pairs}))).distinct()).tuples())
    for pair in pairs:
        cache[pair] = pair in found


def raters_fixed(person, cycle) -> bool:
    """Has an anonymous answer about `person` in `cycle` been given? Then their raters are
    fixed (read once until the session next writes)."""
    cache = db.session.info.setdefault(_CACHE, {})
    key = (person.id, cycle.id)
    if key not in cache:
        cache[key] = db.session.scalar(select(FeedbackRequest.id).where(
            answered_clause(), FeedbackRequest.subject_id == person.id,
            FeedbackRequest.cycle_id == cycle.id).limit(1)) is not None
    return cache[key]


def threshold_fixed(cycle) -> bool:
    """Has any anonymous answer been given in `cycle`? Then its threshold is fixed."""
    if cycle.id is None:
        return False
    return db.session.scalar(select(FeedbackRequest.id).where(
        answered_clause(), FeedbackRequest.cycle_id == cycle.id).limit(1)) is not None


def can_change_anonymity_threshold(user, cycle):
    """HR sets the cycle's anonymity threshold until the first anonymous answer is in."""
    return (who(is_hr(user), _l("Only HR sets the anonymity threshold."))
            and state(not threshold_fixed(cycle),
                      _l("The anonymity threshold is fixed once the first 360 answer is in: "
                         "changing it then would show a group that had too few answers.")))


def _raters_open(person, cycle):
    return state(not raters_fixed(person, cycle),
                 _l("%(name)s's raters are fixed: the first answer is in, and adding or "
                    "removing a rater now would let the results be compared before and after.",
                    name=person.display_name))


def can_view_nominations(user, target) -> bool:
    """`target`: (person, cycle). The person, their heads, HR and executives."""
    person, _cycle = target
    return user.is_authenticated and (person.id == user.id or manages(user, person)
                                      or sees_whole_company(user))


def can_nominate_raters(user, target):
    person, cycle = target
    return (who(user.is_authenticated and person.id == user.id,
                _l("Only %(name)s nominates their raters.", name=person.display_name))
            and feedback_open(cycle) and _raters_open(person, cycle))


def _raters_head(user, person, cycle):
    return (who(_feedback_head(user, person),
                _l("Only %(name)s's head (or HR) approves their raters.",
                   name=person.display_name))
            and feedback_open(cycle))


def can_approve_nominations(user, target):
    """Approve, remove and add raters of `target` (person, cycle), until they are fixed."""
    person, cycle = target
    return _raters_head(user, person, cycle) and _raters_open(person, cycle)


def can_remove_rater(user, request):
    return (can_approve_nominations(user, (request.subject, request.cycle))
            and state(request.status in ("nominated", "requested"),
                      _l("Only a rater who has not answered yet can be removed.")))


def can_pick_replacement(user, request):
    """Replacing a rater who declined keeps the list's size: allowed after the first answer."""
    return (_raters_head(user, request.subject, request.cycle)
            and state(request.status == "declined" and not request.replaced,
                      _l("Only a rater who declined is replaced, once.")))


def can_see_declines(user, request) -> bool:
    """Whether `user` sees that `request`'s rater declined, and why: the head who picks the
    replacement, and HR; never the person the feedback is on (to them it reads "asked")."""
    return _feedback_head(user, request.subject)


def can_see_who_answered(user, request) -> bool:
    """Whether `user` sees that `request`'s rater answered (never what): for the manager's
    attributed answer, everyone who reads the raters list but the person; for a peer or
    a direct report, HR alone, so that a change in the results cannot be laid at one
    rater's door. The person sees who is asked, never who has answered."""
    if not user.is_authenticated or user.id == request.subject_id:
        return False
    return is_hr(user) if request.group.anonymous else True


def rater_state_shown(user, request):
    """`request`'s state as `user` may see it on the raters list: a decline only to the
    approving head and HR, an answer only as can_see_who_answered says; otherwise "asked"."""
    from ..models import FeedbackStatus

    if request.status == FeedbackStatus.DECLINED and not can_see_declines(user, request):
        return FeedbackStatus.REQUESTED
    if request.is_submitted and not can_see_who_answered(user, request):
        return FeedbackStatus.REQUESTED
    return request.state


def can_see_exact_feedback_counts(user) -> bool:
    """Counts of 360 answers as they are, however small: HR alone. Others see counts below
    the threshold as "fewer than N", and never count answers about themselves."""
    return is_hr(user)


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
