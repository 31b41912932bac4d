"""Scores: what a person's reviews add up to, and how. The formulas and the rounding are
stated here once; every page shows them with the numbers (reviews/_formula.html).

Rounding: every score is a Decimal rounded to two places, half up (ROUND_HALF_UP), as soon
as it is computed, and each later step takes the rounded figures, so that anyone can redo
every step by hand from the numbers on the page.

- Goal score = Σ(KPI weight × the manager's KPI score) / Σ KPI weights. An approved plan's
  weights add up to 100, so this is the domain's Σ(weight × score) / 100.
- Competency score = the weighted mean of the competency inputs (the competency sources
  perfsite/areas.py plugs in, plugins.COMPETENCY_SOURCES):
  today the manager's ratings, averaged (Σ ratings / number rated). The 360 feedback adds
  its rater groups as further inputs there.
- Self score = Σ(KPI weight × the person's own KPI score) / Σ KPI weights, from the
  submitted self-review.
- Final score = Σ(component weight × component score) / Σ(weights of the components
  present), with the cycle's component weights (goals, competencies, self). A missing
  component (no KPI scored, no competency rated, no self-review submitted) is left out and
  the others' weights renormalised; nothing is ever divided by a missing component. Without
  a submitted manager review there is no final score.
- Rating: the cycle's band whose range holds the final score (calibration may move it).

A person's scores are stored as their ReviewResult whenever one of their reviews is
submitted or reopened (refresh_result), so calibration reads them without recomputing
everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import plugins
from ...audit.services import changed, record, snapshot
from ...extensions import db
from ...i18n import language as reader_language
from ...models import (
    Competency,
    Cycle,
    Kpi,
    Person,
    PersonalPlan,
    Review,
    ReviewKind,
    ReviewResult,
    ReviewSettings,
)
from . import settings as settings_service
from .settings import Band

PLACES = Decimal("0.01")


def rounded(value: Decimal) -> Decimal:
    """The one rounding rule: two places, half up."""
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Term:
    """One "weight × value" of a formula (weight 1 in a plain average)."""

    label: str
    weight: Decimal
    value: Decimal


@dataclass
class Figure:
    """A computed score and the terms it was computed from: Σ(weight × value) / Σ weights,
    rounded. `value` is None when there is nothing to compute it from (`note` says why)."""

    key: str
    label: object
    terms: list[Term] = field(default_factory=list)
    note: object = None
    value: Decimal | None = None
    # The terms' values are computed scores (shown with two places), not points of the scale.
    of_scores: bool = False

    def __post_init__(self):
        if self.value is None:
            self.value = weighted_mean(self.terms)

    @property
    def present(self) -> bool:
        return self.value is not None

    @property
    def divisor(self) -> Decimal:
        return sum((t.weight for t in self.terms), Decimal(0))

    @property
    def is_average(self) -> bool:
        """Every term weighs 1: shown as (a + b + c) / n."""
        return all(t.weight == 1 for t in self.terms)

    @property
    def numerator(self) -> Decimal:
        return sum((t.weight * t.value for t in self.terms), Decimal(0))


def weighted_mean(terms: Iterable[Term]) -> Decimal | None:
    """Σ(weight × value) / Σ weights, rounded; None without terms or weight."""
    terms = list(terms)
    total = sum((t.weight for t in terms), Decimal(0))
    if not terms or total == 0:
        return None
    return rounded(sum((t.weight * t.value for t in terms), Decimal(0)) / total)


@dataclass(frozen=True)
class CompetencyInput:
    """One source of the competency score: its average and its weight among the sources."""

    key: str
    label: object
    figure: Figure
    weight: Decimal


@dataclass(frozen=True)
class Component:
    """A component of the final score with the cycle's weight for it."""

    key: str
    label: object
    weight: Decimal
    figure: Figure

    @property
    def present(self) -> bool:
        return self.figure.present

    @property
    def score(self) -> Decimal | None:
        return self.figure.value


@dataclass
class Breakdown:
    """Everything a person's result is computed from, and each step."""

    goals: Figure
    competency_inputs: list[CompetencyInput]
    competencies: Figure
    self_score: Figure
    components: list[Component]
    final: Figure
    band: Band | None
    manager_submitted: bool
    bands: list[Band] = field(default_factory=list)

    @property
    def missing(self) -> list[Component]:
        return [c for c in self.components if not c.present]

    @property
    def renormalised(self) -> bool:
        """Some component is missing, so the others' weights count out of less than 100."""
        return self.final.present and bool(self.missing)

    @property
    def final_score(self) -> Decimal | None:
        return self.final.value


@dataclass
class ScoreInputs:
    """What a person's scores are computed from (loaded by `inputs_for`)."""

    cycle: Cycle
    person: Person
    settings: ReviewSettings
    kpis: list[Kpi]
    competencies: list[Competency]
    manager: Review | None
    self_review: Review | None


# The competency score's sources. Each takes the ScoreInputs and yields CompetencyInputs; the
# 360 feedback (issue 10) appends its rater groups that pass the anonymity threshold.
CompetencySource = Callable[[ScoreInputs], Iterable[CompetencyInput]]


def manager_ratings(inputs: ScoreInputs) -> Iterable[CompetencyInput]:
    """The manager's competency ratings, averaged (when the manager review is submitted)."""
    review = inputs.manager
    if review is None or not review.is_submitted:
        return
    language = reader_language()
    terms = []
    for competency in inputs.competencies:
        rating = review.rating_for(competency.id)
        if rating is not None and rating.rating is not None:
            terms.append(Term(competency.name_in(language), Decimal(1), Decimal(rating.rating)))
    figure = Figure("manager_competencies", _l("The manager's ratings"), terms)
    if figure.present:
        yield CompetencyInput("manager", _l("Manager"), figure, Decimal(100))


def kpi_figure(key: str, label, review: Review | None, kpis: list[Kpi], note) -> Figure:
    """Σ(KPI weight × the review's score) / Σ weights over the KPIs the review scored."""
    if review is None or not review.is_submitted:
        return Figure(key, label, [], note=note)
    terms = []
    for kpi in kpis:
        entry = review.score_for(kpi.id)
        if entry is not None and entry.score is not None:
            terms.append(Term(kpi.title, Decimal(kpi.weight), Decimal(entry.score)))
    return Figure(key, label, terms, note=None if terms else _l("No KPI was scored."))


def compute(inputs: ScoreInputs) -> Breakdown:
    """The whole computation, from the inputs (see the module's rules). No queries."""
    manager_submitted = inputs.manager is not None and inputs.manager.is_submitted
    goals = kpi_figure("goals", _l("Goal score"), inputs.manager, inputs.kpis,
                       _l("The manager review is not submitted."))
    sources = [item for source in plugins.registered(plugins.COMPETENCY_SOURCES)
               for item in source(inputs)]
    competencies = Figure(
        "competencies", _l("Competency score"),
        [Term(str(item.label), item.weight, item.figure.value) for item in sources],
        note=None if sources else _l("No competency was rated."), of_scores=True)
    self_score = kpi_figure("self", _l("Self score"), inputs.self_review, inputs.kpis,
                            _l("The self-review is not submitted."))
    weights = settings_service.weights_of(inputs.settings)
    components = [
        Component("goals", _l("Goals"), weights["goals_weight"], goals),
        Component("competencies", _l("Competencies"), weights["competencies_weight"],
                  competencies),
        Component("self", _l("Self-review"), weights["self_weight"], self_score),
    ]
    # A component weighing 0 counts for nothing: it is left out like a missing one.
    present = [Term(str(c.label), c.weight, c.score) for c in components
               if c.present and c.weight > 0]
    final = Figure("final", _l("Final score"), present if manager_submitted else [],
                   note=None if manager_submitted else _l("The manager review is not "
                                                          "submitted."), of_scores=True)
    bands = settings_service.bands_of(inputs.settings)
    return Breakdown(goals=goals, competency_inputs=sources, competencies=competencies,
                     self_score=self_score, components=components, final=final,
                     band=settings_service.band_for(bands, final.value),
                     manager_submitted=manager_submitted, bands=bands)


# Loading the inputs ----------------------------------------------------------------------------

REVIEW_ENTRIES = (selectinload(Review.kpi_scores), selectinload(Review.competency_ratings))


def plan_of(cycle: Cycle, person: Person) -> PersonalPlan | None:
    return db.session.scalar(select(PersonalPlan).where(
        PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id == person.id)
        .options(selectinload(PersonalPlan.kpis)))


def counting_kpis(plan: PersonalPlan | None) -> list[Kpi]:
    return [k for k in plan.kpis if k.counts] if plan is not None else []


def reviews_of(cycle: Cycle, person: Person) -> dict[str, Review]:
    """The person's saved reviews in the cycle by kind, with their scores and ratings."""
    return {review.kind: review for review in db.session.scalars(
        select(Review).where(Review.cycle_id == cycle.id, Review.person_id == person.id)
        .options(*REVIEW_ENTRIES))}


def inputs_for(cycle: Cycle, person: Person, *, settings=None, kpis=None, competencies=None,
               reviews: dict | None = None) -> ScoreInputs:
    settings = settings if settings is not None else settings_service.settings_for(cycle)
    if kpis is None:
        kpis = counting_kpis(plan_of(cycle, person))
    if competencies is None:
        competencies = settings_service.competencies_for(cycle, settings)
    reviews = reviews if reviews is not None else reviews_of(cycle, person)
    return ScoreInputs(cycle, person, settings, kpis, competencies,
                       reviews.get(ReviewKind.MANAGER.value), reviews.get(ReviewKind.SELF.value))


def breakdown(cycle: Cycle, person: Person, **loaded) -> Breakdown:
    """The person's scores in the cycle with every step (a few queries)."""
    return compute(inputs_for(cycle, person, **loaded))


# The stored result ----------------------------------------------------------------------------

RESULT_FIELDS = ("goal_score", "competency_score", "self_score", "final_score", "band")


def get_result(cycle: Cycle, person: Person) -> ReviewResult | None:
    return db.session.scalar(select(ReviewResult).where(
        ReviewResult.cycle_id == cycle.id, ReviewResult.person_id == person.id))


def result_for(cycle: Cycle, person: Person) -> ReviewResult:
    return get_result(cycle, person) or ReviewResult.blank(cycle, person)


def refresh_result(cycle: Cycle, person: Person, actor, now: datetime,
                   **loaded) -> ReviewResult | None:
    """Store the person's scores as they stand (after a review of theirs was submitted or
    reopened); audited when they change. Without a submitted manager review the stored
    scores are cleared (a calibrated rating stays, with its history)."""
    result = get_result(cycle, person)
    figures = breakdown(cycle, person, **loaded)
    if result is None and not figures.manager_submitted:
        return None
    if result is None:
        result = ReviewResult(cycle_id=cycle.id, person_id=person.id, computed_at=now)
        db.session.add(result)
        before = dict.fromkeys(RESULT_FIELDS)
    else:
        before = snapshot(result, RESULT_FIELDS)
    result.goal_score = figures.goals.value if figures.manager_submitted else None
    result.competency_score = figures.competencies.value if figures.manager_submitted else None
    result.self_score = figures.self_score.value if figures.manager_submitted else None
    result.final_score = figures.final.value
    result.band = figures.band.code if figures.band else None
    old, new = changed(before, snapshot(result, RESULT_FIELDS))
    if new:
        result.computed_at = now
        db.session.flush()
        record("review_result.computed", result, actor=actor,
               label=f"{person.display_name} · {cycle.name}", before=old, after=new)
    return result


def final_of(result: ReviewResult, settings: ReviewSettings) -> Figure:
    """The final score's step from a stored result's component scores (for tables that show
    many people: no queries)."""
    weights = settings_service.weights_of(settings)
    terms = [Term(str(label), weights[weight], score) for label, weight, score in (
        (_l("Goals"), "goals_weight", result.goal_score),
        (_l("Competencies"), "competencies_weight", result.competency_score),
        (_l("Self-review"), "self_weight", result.self_score))
        if score is not None and weights[weight] > 0]
    return Figure("final", _l("Final score"), terms, of_scores=True,
                  value=result.final_score if result.final_score is not None else None)
