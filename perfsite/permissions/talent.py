"""Resource allocation and the talent review.

Allocation: executives allocate budget and headcount to strategy targets and split them
across departments, until the cycle closes; executives and HR read the overview; a head
reads the allocations of the departments they manage (on the department plan). Going
beyond what an allocation has left takes an executive, with a reason.

Talent review: potential, the grid's boxes, agreed actions and successor lists are read by
HR, executives and the heads over the person (their head chain), and NEVER by the person
themselves, whatever else they are. A head assesses the potential of the people they
manage and records the development action agreed; HR or an executive moves people
between boxes, with a reason; HR groups the bands and writes the guidance, marks key
positions; HR or the holder's heads name successors.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import Person, TargetStatus
from .answers import phase, state, who
from .org import (
    can_view_department,
    is_executive,
    is_head,
    is_hr,
    managed_people_clause,
    manages,
    sees_whole_company,
)

# Allocation ----------------------------------------------------------------------------------


def can_view_allocations(user) -> bool:
    """The overview of every target's and department's allocation (and its exports)."""
    return sees_whole_company(user)


def can_allocate(user, target):
    """Allocate budget and headcount to a target and split it across departments: an
    executive, on a published target, until the cycle closes (then it is locked)."""
    return (who(is_executive(user), _l("Only executives allocate budget and headcount."))
            and phase(target.cycle, "allocate_resources")
            and state(target.status == TargetStatus.PUBLISHED,
                      _l("Only a published target gets an allocation.")))


def can_view_department_allocation(user, department) -> bool:
    """A department's allocations: HR, executives and the heads over the department."""
    return bool(can_view_department(user, department))


def can_exceed_allocation(user, request):
    """Approve a request beyond what its allocation has left: an executive, with a reason."""
    return who(is_executive(user) and user.id != request.raised_by_id,
               _l("Only an executive approves beyond what the allocation has left; "
                  "escalate the request instead."))


# Talent review -------------------------------------------------------------------------------


def can_see_talent(user, person: Person) -> bool:
    """Potential, box, agreed action and succession of `person`: HR, executives and the
    heads over them; never the person themselves."""
    if not user.is_authenticated or person.id == user.id:
        return False
    return sees_whole_company(user) or manages(user, person)


def talent_people_clause(user):
    """SQL twin of `can_see_talent(user, Person)`: the people whose talent data `user` sees."""
    if sees_whole_company(user):
        return Person.id != user.id
    return managed_people_clause(user)


def can_view_talent_review(user) -> bool:
    """The talent review page (each sees the people `can_see_talent` lets them)."""
    return sees_whole_company(user) or is_head(user)


def can_edit_talent_settings(user, cycle):
    """Group the bands into the grid's columns and write the potential guidance: HR,
    from calibration until the talent review ends."""
    return (who(is_hr(user), _l("Only HR sets up the talent review."))
            and phase(cycle, "edit_talent_settings"))


def can_assess_potential(user, assessment):
    """Assess a person's potential: the heads over them, during the talent review (after
    calibration, while the feedback interviews are held)."""
    return (who(manages(user, assessment.person),
                _l("Only %(name)s's heads assess their potential.",
                   name=assessment.person.display_name))
            and phase(assessment.cycle, "talent_review"))


def can_move_in_grid(user, assessment):
    """Move a person to another box: HR or an executive, never for themselves, once their
    potential is assessed."""
    return (who(sees_whole_company(user) and user.id != assessment.person_id,
                _l("Only HR and executives move people in the talent review."))
            and phase(assessment.cycle, "talent_review")
            and state(assessment.id is not None,
                      _l("%(name)s's potential has not been assessed yet.",
                         name=assessment.person.display_name)))


def can_agree_action(user, assessment):
    """Record the development action agreed for a person: the heads over them."""
    return (who(manages(user, assessment.person),
                _l("Only %(name)s's heads record the action agreed.",
                   name=assessment.person.display_name))
            and phase(assessment.cycle, "talent_review")
            and state(assessment.id is not None,
                      _l("%(name)s's potential has not been assessed yet.",
                         name=assessment.person.display_name)))


def can_view_key_positions(user) -> bool:
    """The list of key positions (each sees those whose holder `can_see_talent` allows)."""
    return sees_whole_company(user) or is_head(user)


def can_mark_key_positions(user) -> bool:
    """The form that marks key positions: HR."""
    return is_hr(user)


def can_mark_key_position(user, person: Person):
    return (who(can_mark_key_positions(user), _l("Only HR marks key positions."))
            and state(person.active, _l("%(name)s is inactive.", name=person.display_name)))


def can_name_successor(user, position):
    """Name (or remove) a successor candidate: HR, or the heads over the holder."""
    return who(user.is_authenticated and user.id != position.holder_id
               and (is_hr(user) or manages(user, position.holder)),
               _l("Only HR and %(name)s's heads name successors.",
                  name=position.holder.display_name))
