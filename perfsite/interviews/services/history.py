"""A person's results over the cycles: the rating and outcome of each cycle they may see
(permissions.can_view_results), newest first, for "My results"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ... import permissions as can
from ...extensions import db
from ...models import Cycle, Interview, Outcome, ReviewResult


@dataclass
class Past:
    cycle: Cycle
    result: ReviewResult
    outcome: Outcome | None
    interview: Interview | None


def history_of(person, viewer) -> list[Past]:
    """Each cycle with a result for `person` that `viewer` may see (three queries)."""
    results = list(db.session.scalars(
        select(ReviewResult).join(Cycle, Cycle.id == ReviewResult.cycle_id)
        .where(ReviewResult.person_id == person.id).options(contains_eager(ReviewResult.cycle))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())))
    ids = [r.cycle_id for r in results] or [0]
    outcomes = {o.cycle_id: o for o in db.session.scalars(select(Outcome).where(
        Outcome.person_id == person.id, Outcome.cycle_id.in_(ids)))}
    interviews = {i.cycle_id: i for i in db.session.scalars(select(Interview).where(
        Interview.person_id == person.id, Interview.cycle_id.in_(ids)))}
    return [Past(r.cycle, r, outcomes.get(r.cycle_id), interviews.get(r.cycle_id))
            for r in results if can.can_view_results(viewer, r)]
