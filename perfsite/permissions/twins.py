"""Every predicate that has an SQL twin, listed: `predicate(user, obj)` answers for one
object, `clause(user)` picks the same objects of `model` in SQL, for the lists, to-dos and
dashboards that cannot ask row by row. tests/test_twins.py holds each pair equal on every
object of the demo company for every demo login. A new twin is added here, beside nothing
else: the test then checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import Cycle, Person
from .interviews import interview_people_clause, lists_interview_of
from .org import managed_people_clause, manages, responsible_head_clause, responsible_head_id
from .phases import ALLOWED_PHASES, is_allowed, phase_clause
from .planning import approved_by_clause, approver_id
from .reviews import reviewed_by_clause, reviewer_id
from .talent import can_see_talent, talent_people_clause


@dataclass(frozen=True)
class Twin:
    name: str
    model: type
    predicate: Callable  # (user, obj) -> truthy
    clause: Callable  # (user) -> an SQL condition on `model`


def _phase_twin(action: str) -> Twin:
    return Twin(f"phase {action}", Cycle, lambda user, cycle: is_allowed(cycle, action),
                lambda user: phase_clause(action))


TWINS: tuple[Twin, ...] = (
    # what a phase allows: is_allowed(cycle, action) and phase_clause(action), every action
    *(_phase_twin(action) for action in sorted(ALLOWED_PHASES)),
    # the org: whom a user manages, answers for
    Twin("manages", Person, manages, managed_people_clause),
    Twin("responsible head", Person,
         lambda user, person: responsible_head_id(person) == user.id, responsible_head_clause),
    # planning, reviews, 360 feedback: whose plan a user approves, whose review they write
    Twin("approver", Person, lambda user, person: approver_id(person) == user.id,
         approved_by_clause),
    Twin("reviewer", Person, lambda user, person: reviewer_id(person) == user.id,
         reviewed_by_clause),
    # interviews: whom a cycle's interviews page lists
    Twin("interview list", Person, lists_interview_of, interview_people_clause),
    # talent review: whose potential and box a user sees
    Twin("talent", Person, can_see_talent, talent_people_clause),
)
