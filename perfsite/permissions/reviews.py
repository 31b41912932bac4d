"""Reviews, results and calibration.

Each person with a plan in the cycle writes a self-review; their reviewer, the one who
approves their plan (approver_id), writes the manager review. The self-review is blind:
until it is submitted nobody but its author reads it; then the person's heads, HR and
executives do. A draft manager review is its reviewer's alone. Submitted is final: only HR
reopens a review, with a reason, while the cycle is in review. HR sets how reviews are
scored before review opens, follows completion and nudges; HR and executives calibrate.
A person sees their own results (scores, rating, the manager review) from the feedback
interviews on; their heads, HR and executives whenever there are some.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .answers import phase, state, who
from .org import is_executive, is_hr, manages, sees_whole_company
from .phases import is_allowed
from .planning import approved_by_clause, approver_id


def reviewer_id(person) -> int | None:
    """Who writes `person`'s manager review: the one who approves their plan."""
    return approver_id(person)


def reviewed_by_clause(user):
    """SQL twin of `reviewer_id(Person) == user.id`: the people whose manager review
    `user` writes."""
    return approved_by_clause(user)


def reviews_have_opened(cycle) -> bool:
    """The cycle has reached review (its review settings no longer change by phase)."""
    return not is_allowed(cycle, "edit_review_settings")


def can_view_review_settings(user, cycle) -> bool:
    return sees_whole_company(user)


def can_edit_review_settings(user, settings):
    """`settings`: the cycle's ReviewSettings (saved, or the defaults not saved yet)."""
    return (who(is_hr(user), _l("Only HR sets how reviews are scored."))
            and phase(settings.cycle, "edit_review_settings")
            and state(settings.locked_at is None,
                      _l("Reviews have started in this cycle: its review settings no longer "
                         "change.")))


def can_write_self_review(user, review):
    return (who(user.is_authenticated and review.person_id == user.id,
                _l("Only %(name)s writes their self-review.", name=review.person.display_name))
            and phase(review.cycle, "write_reviews")
            and state(not review.is_submitted,
                      _l("This self-review is submitted and final; only HR can reopen it.")))


def can_write_manager_review(user, review):
    person = review.person
    return (who(user.is_authenticated and person.id != user.id
                and reviewer_id(person) == user.id,
                _l("Only %(name)s's reviewer (who approves their plan) writes their manager "
                   "review.", name=person.display_name))
            and phase(review.cycle, "write_reviews")
            and state(not review.is_submitted,
                      _l("This manager review is submitted and final; only HR can reopen "
                         "it.")))


def can_write_review(user, review):
    return (can_write_self_review if review.is_self else can_write_manager_review)(user, review)


def _reads_submitted_reviews_of(user, person) -> bool:
    return user.is_authenticated and person.id != user.id and (
        manages(user, person) or sees_whole_company(user))


def can_read_self_review(user, review):
    """Blind: the person always; their heads, HR and executives once it is submitted."""
    person = review.person
    if user.is_authenticated and person.id == user.id:
        return True
    return (who(_reads_submitted_reviews_of(user, person),
                _l("Only %(name)s, their heads and HR read their self-review.",
                   name=person.display_name))
            and state(review.is_submitted,
                      _l("%(name)s has not submitted their self-review yet; you see it once "
                         "they do.", name=person.display_name)))


def can_read_manager_review(user, review):
    """The reviewer (their draft too); the person's heads, HR and executives once it is
    submitted; the person themselves from the feedback interviews on."""
    person = review.person
    if user.is_authenticated and reviewer_id(person) == user.id and person.id != user.id:
        return True
    if user.is_authenticated and person.id == user.id:
        return (phase(review.cycle, "see_own_results")
                and state(review.is_submitted, _l("Your manager review is not submitted.")))
    return (who(_reads_submitted_reviews_of(user, person),
                _l("Only %(name)s's heads and HR read their manager review.",
                   name=person.display_name))
            and state(review.is_submitted,
                      _l("The manager review of %(name)s is not submitted yet.",
                         name=person.display_name)))


def can_read_review(user, review):
    return (can_read_self_review if review.is_self else can_read_manager_review)(user, review)


def can_reopen_review(user, review):
    return (who(is_hr(user), _l("Only HR reopens a submitted review."))
            and phase(review.cycle, "reopen_reviews")
            and state(review.is_submitted, _l("Only a submitted review can be reopened.")))


def can_view_results(user, result):
    """`result`: the person's ReviewResult in the cycle (saved, or none yet)."""
    person = result.person
    if user.is_authenticated and person.id == user.id:
        return phase(result.cycle, "see_own_results")
    return who(_reads_submitted_reviews_of(user, person),
               _l("Only %(name)s, their heads and HR see their results.",
                  name=person.display_name))


def can_view_review_completion(user, cycle) -> bool:
    return sees_whole_company(user)


def can_nudge_reviewers(user, cycle):
    return (who(is_hr(user), _l("Only HR sends review reminders."))
            and phase(cycle, "nudge_reviews"))


def can_view_calibration(user, cycle) -> bool:
    return sees_whole_company(user)


def can_calibrate_ratings(user, cycle):
    """Move ratings in this cycle: HR or an executive, in calibration."""
    return (who(is_hr(user) or is_executive(user),
                _l("Only HR and executives calibrate ratings."))
            and phase(cycle, "calibrate"))


def can_calibrate(user, result):
    """Move a person's final rating, with a reason."""
    return (can_calibrate_ratings(user, result.cycle)
            and state(result.id is not None and result.final_score is not None,
                      _l("%(name)s has no rating to calibrate: their manager review is not "
                         "submitted.", name=result.person.display_name)))

