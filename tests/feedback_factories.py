"""Data for the 360 feedback tests: a cycle in review (the review factories' cycle), raters
asked (through the services, or directly for large numbers) and answers submitted through
the services so the rules and the audit apply."""

from __future__ import annotations

from perfsite.extensions import db
from perfsite.feedback.services import answers, nominations
from perfsite.models import FeedbackGroup, FeedbackRequest, FeedbackStatus

from .coaching_factories import NOW
from .factories import Company, make_person
from .review_factories import review_cycle


def feedback_cycle(c: Company, name: str = "2026 H2", phase=None, **settings):
    """A cycle in review (or `phase`) with staff's and colleague's approved plans."""
    return review_cycle(c, name=name, phase=phase, **settings).cycle


def colleagues(c: Company, n: int, department=None, prefix: str = "rater") -> list:
    """`n` new people in Sales (or `department`), managed by its head."""
    department = department or c.sales
    return [make_person(f"{prefix}{i}.{department.code.lower()}", department,
                        manager=c.sales_head if department.id == c.sales.id else c.head,
                        display_name=f"{prefix.title()} {i} {department.code}")
            for i in range(n)]


def ask_directly(cycle, subject, raters, group=FeedbackGroup.PEER) -> list[FeedbackRequest]:
    """Requests made without the nomination rules (for many raters at once)."""
    made = []
    for rater in raters:
        request = FeedbackRequest(cycle_id=cycle.id, subject_id=subject.id, rater_id=rater.id,
                                  rater_group=FeedbackGroup(group).value,
                                  status=FeedbackStatus.REQUESTED.value, created_at=NOW,
                                  updated_at=NOW)
        db.session.add(request)
        made.append(request)
    db.session.flush()
    return made


def card_values(cycle, ratings=3, keep_doing="Clear updates.", improve="Ask for help early."):
    """The card's values: `ratings` is one number for all, or a list per competency."""
    values = {"keep_doing": keep_doing, "improve": improve}
    for i, competency in enumerate(answers.competencies_of(cycle)):
        rating = ratings[i] if isinstance(ratings, list | tuple) else ratings
        values[answers.rating_field(competency)] = "" if rating is None else str(rating)
    return values


def answer(request, ratings=3, *, submit: bool = True, now=NOW, **texts):
    """The rater answers (and submits) their request through the services."""
    values = card_values(request.cycle, ratings, **texts)
    if submit:
        answers.submit(request, request.rater, expected_version=request.version, values=values,
                       now=now)
    else:
        answers.save_draft(request, request.rater, expected_version=request.version,
                           values=values, now=now)
    return request


def release(cycle, actor=None):
    """Release the groups that are due, as the review phase closing does (releases.py)."""
    from perfsite.feedback.services import releases

    from .factories import hr_admin

    return releases.publish(cycle, actor or hr_admin(), NOW)


def peers_answered(c: Company, cycle, subject, n: int, ratings=3, prefix="peer", **texts):
    """`n` peers of `subject` asked and answered."""
    raters = colleagues(c, n, prefix=prefix)
    requests = ask_directly(cycle, subject, raters)
    for i, request in enumerate(requests):
        answer(request, ratings, keep_doing=texts.get("keep_doing", f"Keep {prefix} {i}"),
               improve=texts.get("improve", f"Improve {prefix} {i}"))
    return requests


# For the access matrix (tests/test_access_matrix.py): `colleague` (the subject) in a cycle in
# review, with `staff` asked as a peer (a draft) and a Sales peer who declined.

def _matrix_objects(company, app) -> dict:
    from perfsite.models import Department, Person

    with app.app_context():
        people = {name: db.session.get(Person, getattr(company, name).id)
                  for name in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
        departments = {name: db.session.get(Department, getattr(company, name).id)
                       for name in ("exec_team", "eng", "sales")}
        attached = Company(cycle=None, **people, **departments)
        cycle = feedback_cycle(attached, name="Matrix 360 2026 H2")
        request, declined = ask_directly(cycle, people["colleague"],
                                         [people["staff"], people["peer"]])
        answer(request, submit=False)
        answers.decline(declined, people["peer"], reason="On leave", now=NOW)
        db.session.commit()
        return {"cycle_id": cycle.id, "feedback_request_id": request.id}


def matrix_value(name: str):
    """URL_VALUES entry for the feedback routes' `name`."""
    def value(company, app):
        if not hasattr(company, "_feedback_matrix"):
            company._feedback_matrix = _matrix_objects(company, app)
        return company._feedback_matrix[name]

    return value


__all__ = ["answer", "ask_directly", "card_values", "colleagues", "feedback_cycle",
           "matrix_value", "nominations", "peers_answered", "release"]
