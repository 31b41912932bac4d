"""Feedback interviews and outcomes.

The person's reviewer (who approves their plan) holds their interview: schedules it, takes
the notes, writes the improvement plan and goal drafts, completes the record, all in the
interviews phase. The person reads their interview (never the head's preparation notes),
proposes another time, types their own comments, and acknowledges the completed record,
agreeing or disagreeing; a disagreement is an appeal HR resolves. Heads above, HR and
executives read interviews. Outcomes follow from the rating by the cycle's rules (HR sets
them); the heads managing the person recommend another outcome with a reason; executives
approve outcomes per department. HR closes the cycle. A closed cycle changes nothing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .answers import phase, state, who
from .org import (
    can_use_cycle,
    is_executive,
    is_head,
    is_hr,
    managed_people_clause,
    manages,
    sees_whole_company,
)
from .phases import phase_clause
from .reviews import _reads_submitted_reviews_of, reviewer_id


def interview_holder_id(interview) -> int | None:
    """Who holds the interview: the head who scheduled it, or (not scheduled yet) the
    person's reviewer."""
    return interview.head_id if interview.id is not None else reviewer_id(interview.person)


def _holds(user, interview) -> bool:
    return (user.is_authenticated and user.id != interview.person_id
            and interview_holder_id(interview) == user.id)


def _holder(user, interview):
    return who(_holds(user, interview),
               _l("Only %(name)s's reviewer holds their interview.",
                  name=interview.person.display_name))


def _interview_on(interview):
    """Scheduled (saved) and not cancelled: there is a meeting to take notes of."""
    if interview.id is None:
        return state(False, _l("Schedule the interview first."))
    return state(interview.state != "cancelled",
                 _l("This interview is cancelled: schedule it again first."))


def _interview_open(interview):
    return state(not interview.is_finished,
                 _l("This interview is completed: its record no longer changes."))


def interview_cycles_clause(user):
    """The cycles the interviews page lists: those in or past their feedback interviews, and
    any where `user` has an interview scheduled already (as the person or the head)."""
    from ..models import Cycle, Interview

    has_one = select(Interview.id).where(
        Interview.cycle_id == Cycle.id,
        or_(Interview.person_id == user.id, Interview.head_id == user.id)).exists()
    return or_(phase_clause("list_interviews"), has_one)


def can_view_interviews(user, cycle) -> bool:
    return can_use_cycle(user, cycle)


def lists_interview_of(user, person) -> bool:
    """Whether a cycle's interviews page lists `person` for `user` (never themselves: their
    own interview shows apart): everyone for HR and executives, else the people they manage
    and their direct reports. Each row still asks can_view_interview /
    can_schedule_interview."""
    if not user.is_authenticated or person.id == user.id:
        return False
    return sees_whole_company(user) or manages(user, person) or person.manager_id == user.id


def interview_people_clause(user):
    """SQL twin of `lists_interview_of(user, Person)`."""
    from ..models import Person

    if sees_whole_company(user):
        return Person.id != user.id
    return (Person.id != user.id) & (managed_people_clause(user)
                                     | (Person.manager_id == user.id))


def can_view_interview(user, interview) -> bool:
    """The person, the head holding it, the heads above, HR and executives."""
    if not user.is_authenticated:
        return False
    return (user.id == interview.person_id or _holds(user, interview)
            or _reads_submitted_reviews_of(user, interview.person))


def can_read_prep_notes(user, interview) -> bool:
    """The head's preparation: the holder and the heads managing the person, NEVER the
    person themselves, whatever else they are."""
    if not user.is_authenticated or user.id == interview.person_id:
        return False
    return _holds(user, interview) or manages(user, interview.person)


def can_schedule_interview(user, interview):
    """Schedule (or reschedule, or schedule again once cancelled) the interview, until it
    is held."""
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is None or interview.state in ("scheduled", "cancelled"),
                      _l("This interview has taken place already.")))


def can_cancel_interview(user, interview):
    """Call the interview off (its calendar file becomes a cancellation), until it is
    held; the holder may schedule it again."""
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "scheduled",
                      _l("Only a scheduled interview that has not taken place can be "
                         "cancelled.")))


def can_propose_time(user, interview):
    return (who(user.is_authenticated and user.id == interview.person_id,
                _l("Only %(name)s proposes another time.", name=interview.person.display_name))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "scheduled",
                      _l("There is no scheduled interview to move.")))


def can_take_notes(user, interview, section: str = "strengths"):
    """The holder writes every section (their private preparation and their reply to the
    person's comments too) but one: the person's own comments are the person's words, which
    only they write; the head answers beside them ("reply"), never over them."""
    is_person = user.is_authenticated and user.id == interview.person_id
    if section == "person":
        answer = who(is_person, _l("These are %(name)s's own words: only they write them. "
                                   "Answer them in your reply beside them.",
                                   name=interview.person.display_name))
    elif is_person and section != "prep":
        answer = who(False, _l("You add your own comments; the other notes are your head's."))
    else:
        answer = _holder(user, interview)
    return (answer and phase(interview.cycle, "hold_interviews")
            and _interview_on(interview) and _interview_open(interview))


def can_edit_improvement_plan(user, interview):
    """Add, edit and remove improvement-plan items and next cycle's goal drafts."""
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and _interview_on(interview) and _interview_open(interview))


def can_complete_interview(user, interview):
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state in ("scheduled", "held"),
                      _l("This interview is completed already.")))


def can_acknowledge_interview(user, interview):
    return (who(user.is_authenticated and user.id == interview.person_id,
                _l("Only %(name)s acknowledges their interview record.",
                   name=interview.person.display_name))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "completed",
                      _l("There is no completed record waiting for your acknowledgement.")))


def can_resolve_appeal(user, interview):
    return (who(is_hr(user) and user.id != interview.person_id,
                _l("HR resolves appeals (never their own)."))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "appealed",
                      _l("There is no open appeal on this interview.")))


def can_report_on_plan(user, interview):
    """Report on the improvement plan of `interview`: the person it is about, only."""
    return who(user.is_authenticated and user.id == interview.person_id,
               _l("Only %(name)s reports on their improvement plan.",
                  name=interview.person.display_name))


def can_track_item(user, item, cycle):
    """Report how an improvement-plan item is going: the person it is about, in a later
    cycle while check-ins are open there (the tracking belongs to that cycle; the finished
    interview's record never changes)."""
    interview = item.interview
    return (can_report_on_plan(user, interview)
            and state(interview.is_finished
                      and cycle.start_date > interview.cycle.start_date,
                      _l("The plan is tracked in the cycle after its interview."))
            and phase(cycle, "check_in"))


def can_view_outcomes(user, cycle) -> bool:
    return can_use_cycle(user, cycle) and (sees_whole_company(user) or is_head(user))


def can_edit_outcome_rules(user, cycle):
    return (who(is_hr(user), _l("Only HR sets the outcome rules."))
            and phase(cycle, "hold_interviews"))


def can_override_outcome(user, outcome):
    """Recommend another outcome than the rule's, with a reason: the heads managing the
    person, before an executive approves it."""
    return (who(manages(user, outcome.person),
                _l("Only %(name)s's heads recommend their outcome.",
                   name=outcome.person.display_name))
            and phase(outcome.cycle, "hold_interviews")
            and state(not outcome.is_approved,
                      _l("This outcome is approved; it no longer changes.")))


def can_approve_outcomes(user, cycle):
    """Approve a department's outcomes: executives."""
    return (who(is_executive(user), _l("Only executives approve outcomes."))
            and phase(cycle, "hold_interviews"))


def can_close_cycle(user, cycle):
    return (who(is_hr(user), _l("Only HR closes a cycle."))
            and phase(cycle, "close_cycle"))

