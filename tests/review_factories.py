"""Data for the review tests: a cycle in review (the coaching factories' running cycle moved
on), and reviews written and submitted through the services so rules and audit apply."""

from __future__ import annotations

from perfsite.extensions import db
from perfsite.models import ReviewKind
from perfsite.reviews.services import reviews
from perfsite.reviews.services.reviews import competency_field, kpi_field

from .coaching_factories import NOW, Running, running_cycle
from .factories import Company


def review_cycle(c: Company, name: str = "2026 H2", phase=None, **settings) -> Running:
    """The running cycle of coaching_factories in the review phase (or `phase`): staff's KPIs
    weigh 75 ("Portal features") and 25 ("Uptime"); colleague's 25 and 75."""
    from perfsite.models import Phase

    return running_cycle(c, name=name, phase=phase or Phase.REVIEW, **settings)


def review_values(cycle, person, kpi_scores, ratings, **texts) -> dict:
    """Form values for a review of `person`: `kpi_scores` and `ratings` are one number for
    all, or a list in the order of the plan's KPIs / the cycle's competencies."""
    subject = reviews.subject_of(cycle, person)
    values = dict(texts)
    for i, kpi in enumerate(subject.kpis):
        score = kpi_scores[i] if isinstance(kpi_scores, list | tuple) else kpi_scores
        values[kpi_field(kpi.id, "score")] = "" if score is None else str(score)
    for i, competency in enumerate(subject.competencies):
        rating = ratings[i] if isinstance(ratings, list | tuple) else ratings
        values[competency_field(competency, "rating")] = "" if rating is None else str(rating)
    return values


def write_review(cycle, person, actor, kind: ReviewKind, kpi_scores=3, ratings=3, *,
                 submit: bool = True, now=NOW, **texts):
    """Save a review of `kind` (by `actor`) with these scores, and submit it."""
    review = reviews.review_for(cycle, person, kind)
    reviews.save_draft(review, actor, expected_version=review.version or "",
                       values=review_values(cycle, person, kpi_scores, ratings, **texts),
                       now=now)
    if submit:
        reviews.submit(review, actor, expected_version=review.version, now=now)
    return review


# For the access matrix (tests/test_access_matrix.py): `colleague`'s reviews live in a cycle in
# the review phase; colleague has submitted their self-review; the head has a draft.

def _matrix_objects(company, app) -> dict:
    from perfsite.models import Department, Person

    with app.app_context():
        people = {name: db.session.get(Person, getattr(company, name).id)
                  for name in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
        departments = {name: db.session.get(Department, getattr(company, name).id)
                       for name in ("exec_team", "eng", "sales")}
        attached = Company(cycle=None, **people, **departments)
        run = review_cycle(attached, name="Matrix review 2026 H2")
        write_review(run.cycle, people["colleague"], people["colleague"], ReviewKind.SELF, 4, 4)
        write_review(run.cycle, people["colleague"], people["head"], ReviewKind.MANAGER, 3, 3,
                     submit=False)
        db.session.commit()
        return {"cycle_id": run.cycle.id}


def matrix_value(name: str):
    """URL_VALUES entry for the review routes' `name` (cycle_id)."""
    def value(company, app):
        if not hasattr(company, "_review_matrix"):
            company._review_matrix = _matrix_objects(company, app)
        return company._review_matrix[name]

    return value
