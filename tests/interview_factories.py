"""Data for the interview tests: a cycle in its feedback interviews (the review factories'
cycle with both of staff's and colleague's reviews submitted, moved on), and interviews
scheduled, held and completed through the services so rules and audit apply."""

from __future__ import annotations

from datetime import timedelta

from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.interviews.services import interviews
from perfsite.models import Interview, Phase, ReviewKind

from .coaching_factories import NOW, Running
from .factories import Company, hr_admin
from .review_factories import review_cycle, write_review

WHEN = NOW + timedelta(days=3)


def interview_cycle(c: Company, name: str = "2026 H2", phase=Phase.INTERVIEWS) -> Running:
    """The running cycle with staff's and colleague's reviews submitted (staff: 4s,
    colleague: 3s), moved on to `phase` (the feedback interviews by default)."""
    run = review_cycle(c, name=name)
    for person, scores in ((c.staff, 4), (c.colleague, 3)):
        write_review(run.cycle, person, person, ReviewKind.SELF, scores, scores)
        write_review(run.cycle, person, c.head, ReviewKind.MANAGER, scores, scores)
    actor = hr_admin()
    for step in list(Phase)[Phase.CALIBRATION.index:Phase(phase).index + 1]:
        cycles.move_phase(run.cycle, actor, step)
    return run


def schedule(cycle, person, head, *, when=WHEN, place="Room 4") -> Interview:
    interview = interviews.interview_for(cycle, person)
    return interviews.schedule(interview, head, starts_at=when, duration_minutes=60,
                               place=place, meeting_link="", expected_version="", now=NOW)


def completed(cycle, person, head, **notes) -> Interview:
    """Scheduled, notes taken (held), completed."""
    interview = schedule(cycle, person, head)
    for section, text in (notes or {"strengths": "Ships reliably."}).items():
        note = interview.note(section)
        interviews.save_note(interview, head, section, text,
                             expected_version=note.version if note else "", now=NOW)
    interviews.complete(interview, head, expected_version=interview.version, now=NOW)
    return interview


# For the access matrix (tests/test_access_matrix.py): `colleague`'s interview in a cycle in
# its feedback interviews, held by the head, with an improvement-plan item, a goal draft
# and an outcome (completed), plus an appeal-free state.

def _matrix_objects(company, app) -> dict:
    from perfsite.models import Department, Person

    with app.app_context():
        people = {name: db.session.get(Person, getattr(company, name).id)
                  for name in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
        departments = {name: db.session.get(Department, getattr(company, name).id)
                       for name in ("exec_team", "eng", "sales")}
        attached = Company(cycle=None, **people, **departments)
        run = interview_cycle(attached, name="Matrix interviews 2026 H2")
        interview = schedule(run.cycle, people["colleague"], people["head"])
        item = interviews.add_item(interview, people["head"], action="Pair on reviews",
                                   support="", owner_id=people["colleague"].id, due_date=None,
                                   status="open")
        draft = interviews.add_goal_draft(interview, people["head"], title="Own the docs",
                                          description="")
        other = completed(run.cycle, people["staff"], people["head"])
        from perfsite.interviews.services import outcomes

        outcome = outcomes.get_outcome(run.cycle, people["staff"])
        db.session.commit()
        return {"cycle_id": run.cycle.id, "interview_id": interview.id, "item_id": item.id,
                "draft_id": draft.id, "outcome_id": outcome.id, "completed_id": other.id}


def matrix_value(name: str):
    """URL_VALUES entry for the interview routes' `name`."""
    def value(company, app):
        if not hasattr(company, "_interview_matrix"):
            company._interview_matrix = _matrix_objects(company, app)
        return company._interview_matrix[name]

    return value
