"""Self-reviews and manager reviews: drafts saved as people type, submission (final), and
HR's reopening.

Rules:
- Who writes which (permissions.can_write_self_review, can_write_manager_review): the
  person their self-review, their reviewer (who approves their plan) the manager review;
  in the review phase; never one that is submitted.
- A review covers the person's plan: a score on the cycle's scale and a comment for each
  counting KPI, a rating and a comment for each of the cycle's competencies, and overall
  remarks (self: achievements, what got in the way, what they want to learn; manager: the
  overall assessment).
- A draft keeps whatever has been filled in so far, checked (a score is a point of the
  scale, a text within its limit). The first save starts the review (audited) and saves
  and locks the cycle's review settings. Draft saves are not audited one by one: they are
  the author's work in progress, and the submission records what was submitted.
- Every save names the version of the review it was based on: a draft saved meanwhile in
  another tab or window is a Conflict (409), never silently overwritten.
- Submitting needs every KPI scored and every competency rated (each gap is named beside
  its field) and, when the person has a plan, the plan approved (a plan reopened for
  revision is approved again first). Submitted is final. The submission is audited with
  its scores and ratings, the reviewer is told of a submitted self-review, and the
  person's result is recomputed.
- HR reopens a submitted review with a reason (permissions.can_reopen_review): it is a
  draft again, its author is told, and the person's result is recomputed without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ... import drafts
from ... import permissions as can
from ...audit.services import record
from ...coaching.services import notifications
from ...errors import Conflict, Invalid
from ...extensions import db
from ...models import (
    CheckIn,
    Competency,
    Cycle,
    Kpi,
    Person,
    PersonalPlan,
    Review,
    ReviewCompetencyRating,
    ReviewKind,
    ReviewKpiScore,
    ReviewSettings,
    ReviewStatus,
)
from ...rules import check_version, clean_text, on_scale, require_reason
from . import scores
from . import settings as settings_service
from .settings import ScalePoint

TEXT_FIELDS = {ReviewKind.SELF: ("achievements", "obstacles", "learning"),
               ReviewKind.MANAGER: ("overall",)}
TEXT_LIMIT = 5000
DRAFT_CHANGED = _l("This draft was changed in another tab or window since you opened it, so "
                   "nothing here was saved. Open the newer draft, or save what is here over "
                   "it.")


def kpi_field(kpi_id: int, what: str) -> str:
    """The form field of a KPI's score or comment: kpi_12_score, kpi_12_comment."""
    return f"kpi_{kpi_id}_{what}"


def competency_field(competency: Competency, what: str) -> str:
    """competency_3_rating, competency_3_comment (competency_new0_rating for a default
    competency not saved yet: see Competency.form_key)."""
    return f"competency_{competency.form_key}_{what}"


def _competency_alias(competency: Competency, what: str) -> str:
    """A form loaded before the cycle's default competencies were saved names them by
    position; the saved ones answer to that name too."""
    return f"competency_new{competency.position}_{what}"


@dataclass
class Subject:
    """What a person's reviews in a cycle are about: their plan's counting KPIs and the
    cycle's competencies, scored on the cycle's scale."""

    cycle: Cycle
    person: Person
    settings: ReviewSettings
    plan: PersonalPlan | None
    kpis: list[Kpi]
    competencies: list[Competency]
    scale: list[ScalePoint]

    @property
    def plan_approved(self) -> bool:
        return self.plan is not None and self.plan.is_approved


def subject_of(cycle: Cycle, person: Person) -> Subject:
    settings = settings_service.settings_for(cycle)
    plan = scores.plan_of(cycle, person)
    return Subject(cycle, person, settings, plan, scores.counting_kpis(plan),
                   settings_service.competencies_for(cycle, settings),
                   settings_service.scale_of(settings))


def get_review(cycle: Cycle, person: Person, kind: ReviewKind | str) -> Review | None:
    return db.session.scalar(
        select(Review).where(Review.cycle_id == cycle.id, Review.person_id == person.id,
                             Review.kind == ReviewKind(kind).value)
        .options(*scores.REVIEW_ENTRIES))


def review_for(cycle: Cycle, person: Person, kind: ReviewKind | str) -> Review:
    """The saved review, or a blank one (not saved) to ask the predicates and show."""
    return get_review(cycle, person, kind) or Review.blank(cycle, person, kind)


def checkins_of(kpis: list[Kpi], per_kpi: int = 5) -> dict[int, list[CheckIn]]:
    """The latest check-ins of each KPI, newest first (one query)."""
    ids = [k.id for k in kpis]
    found: dict[int, list[CheckIn]] = {i: [] for i in ids}
    if not ids:
        return found
    for check_in in db.session.scalars(
            select(CheckIn).where(CheckIn.kpi_id.in_(ids))
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())):
        if len(found[check_in.kpi_id]) < per_kpi:
            found[check_in.kpi_id].append(check_in)
    return found


# Checking what was typed ------------------------------------------------------------------------

def _clean_score(value, field: str, scale_max: int) -> int | None:
    return on_scale(value, field, scale_max,
                    _l("Choose a score from 1 to %(max)d.", max=scale_max))


def clean_values(review: Review, subject: Subject, values: dict) -> dict:
    """The posted values that belong to this review, checked: {field: value}. Fields not
    posted are left as they are; fields of other KPIs or competencies are ignored."""
    cleaned, errors = {}, {}
    scale_max = subject.cycle.rating_scale_max

    def clean(field, how, alias=None):
        posted = field if field in values else alias if alias in values else None
        if posted is not None:
            try:
                cleaned[field] = how(values[posted], field)
            except Invalid as error:
                errors[field] = error.message

    def text(value, field):
        return clean_text(value, field=field, limit=TEXT_LIMIT)

    def score(value, field):
        return _clean_score(value, field, scale_max)

    for name in TEXT_FIELDS[review.review_kind]:
        clean(name, text)
    for kpi in subject.kpis:
        clean(kpi_field(kpi.id, "score"), score)
        clean(kpi_field(kpi.id, "comment"), text)
    for competency in subject.competencies:
        for what, how in (("rating", score), ("comment", text)):
            clean(competency_field(competency, what), how, _competency_alias(competency, what))
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    return cleaned


def gaps(review: Review, subject: Subject) -> dict[str, object]:
    """What the review still lacks to be submitted, by field."""
    missing = {}
    for kpi in subject.kpis:
        entry = review.score_for(kpi.id)
        if entry is None or entry.score is None:
            missing[kpi_field(kpi.id, "score")] = _l("Score this KPI before submitting.")
    for competency in subject.competencies:
        entry = review.rating_for(competency.id)
        if entry is None or entry.rating is None:
            missing[competency_field(competency, "rating")] = _l(
                "Rate this competency before submitting.")
    return missing


def _refuse_gaps(review: Review, subject: Subject) -> None:
    if subject.plan is not None and not subject.plan_approved:
        raise Invalid(_l("The plan of %(name)s is being revised: it is approved again before "
                         "the review is submitted.", name=subject.person.display_name))
    missing = gaps(review, subject)
    if missing:
        raise Invalid(lazy_ngettext(
            "Not submitted: %(num)d item still needs a score or a rating; it is marked below.",
            "Not submitted: %(num)d items still need a score or a rating; each is "
            "marked below.", len(missing)), errors=missing)


# Writing ---------------------------------------------------------------------------------------

def _check_version(review: Review, expected_version) -> None:
    """A draft's save is based on the version the form was loaded with (none for a review
    not started yet)."""
    if review.id is None:
        return
    try:
        expected = int(str(expected_version).strip())
    except (TypeError, ValueError):
        expected = None
    if expected != review.version:
        raise Conflict(DRAFT_CHANGED, current=review)


def _start(review: Review, actor, now: datetime) -> None:
    """Save a review's first draft (and the cycle's settings, locked from now on)."""
    settings_service.ensure_settings(review.cycle, actor, now)
    review.author_id = actor.id
    review.created_at = now
    review.updated_at = now
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        # Started at the same moment in another tab: that one is the draft now.
        raise Conflict(DRAFT_CHANGED, current=get_review(
            review.cycle, review.person, review.kind)) from None
    record("review.started", review, actor=actor, label=_label(review),
           after={"review_kind": review.kind})


def _label(review: Review) -> str:
    return f"{review.person.display_name} · {review.cycle.name}"


def _apply(review: Review, subject: Subject, cleaned: dict) -> None:
    for name in TEXT_FIELDS[review.review_kind]:
        if name in cleaned:
            setattr(review, name, cleaned[name])
    for kpi in subject.kpis:
        score, comment = kpi_field(kpi.id, "score"), kpi_field(kpi.id, "comment")
        if score not in cleaned and comment not in cleaned:
            continue
        entry = review.score_for(kpi.id)
        if entry is None:
            entry = ReviewKpiScore(kpi_id=kpi.id, comment="")
            review.kpi_scores.append(entry)
        if score in cleaned:
            entry.score = cleaned[score]
        if comment in cleaned:
            entry.comment = cleaned[comment]
    for competency in subject.competencies:
        rating = competency_field(competency, "rating")
        comment = competency_field(competency, "comment")
        if rating not in cleaned and comment not in cleaned:
            continue
        entry = review.rating_for(competency.id)
        if entry is None:
            entry = ReviewCompetencyRating(competency_id=competency.id, comment="")
            review.competency_ratings.append(entry)
        if rating in cleaned:
            entry.rating = cleaned[rating]
        if comment in cleaned:
            entry.comment = cleaned[comment]


def _with_saved_competencies(subject: Subject, cleaned: dict) -> tuple[Subject, dict]:
    """The default competencies were just saved: their values move to the saved rows'
    fields (same positions)."""
    saved = subject_of(subject.cycle, subject.person)
    by_position = {c.position: c for c in saved.competencies}
    moved = dict(cleaned)
    for competency in subject.competencies:
        target = by_position.get(competency.position)
        for what in ("rating", "comment"):
            old = competency_field(competency, what)
            if old in moved:
                value = moved.pop(old)
                if target is not None:
                    moved[competency_field(target, what)] = value
    return saved, moved


def save_draft(review: Review, actor, *, expected_version, values: dict, now: datetime,
               complete: bool = False, writer: drafts.Writer | None = None) -> Review:
    """Keep what has been typed so far (see the module's rules). With `complete`, only a
    draft that may be submitted as it stands is kept (the first step of submitting)."""
    can.enforce(can.can_write_review(actor, review))
    subject = subject_of(review.cycle, review.person)
    cleaned = clean_values(review, subject, values)
    claim = drafts.claim(drafts.REVIEW, review, expected_version, writer, check=_check_version)
    if review.id is None:
        _start(review, actor, now)
        if any(c.id is None for c in subject.competencies):
            subject, cleaned = _with_saved_competencies(subject, cleaned)
    _apply(review, subject, cleaned)
    if complete:
        _refuse_gaps(review, subject)
    # Always touched, so that the version moves with every save (scores are other rows).
    review.updated_at = now
    if review.review_kind is ReviewKind.MANAGER:
        review.author_id = actor.id
    db.session.flush()
    claim.saved(review)
    return review


def submit(review: Review, actor, *, expected_version, now: datetime) -> None:
    """Submit the review: final from now on."""
    can.enforce(can.can_write_review(actor, review))
    subject = subject_of(review.cycle, review.person)
    _refuse_gaps(review, subject)
    _check_version(review, expected_version)
    if review.id is None:  # nothing to fill in at all (no plan, no competencies)
        _start(review, actor, now)
    review.status = ReviewStatus.SUBMITTED.value
    review.submitted_at = now
    review.updated_at = now
    if review.review_kind is ReviewKind.MANAGER:
        review.author_id = actor.id
    db.session.flush()
    record("review.submitted", review, actor=actor, label=_label(review),
           before={"status": ReviewStatus.DRAFT.value},
           after={"status": review.status, "review_kind": review.kind,
                  "scores": [f"{k.title}: {review.score_for(k.id).score}"
                             for k in subject.kpis],
                  "ratings": [f"{c.name}: {review.rating_for(c.id).rating}"
                              for c in subject.competencies]})
    if review.review_kind is ReviewKind.SELF:
        reviewer = db.session.get(Person, can.reviewer_id(review.person) or 0)
        if reviewer is not None:
            notifications.notify(reviewer, "self_review_submitted",
                                 f"review_team:{review.cycle_id}",
                                 name=review.person.display_name, cycle=review.cycle.name)
    scores.refresh_result(review.cycle, review.person, actor, now, settings=subject.settings,
                          kpis=subject.kpis, competencies=subject.competencies)


def reopen(review: Review, actor, *, reason: str, expected_version, now: datetime) -> None:
    """HR sends a submitted review back to its author as a draft, with a reason."""
    can.enforce(can.can_reopen_review(actor, review))
    check_version(review, expected_version)
    reason = require_reason(reason)
    review.status = ReviewStatus.DRAFT.value
    review.submitted_at = None
    review.reopened_count += 1
    review.updated_at = now
    db.session.flush()
    record("review.reopened", review, actor=actor, label=_label(review),
           before={"status": ReviewStatus.SUBMITTED.value},
           after={"status": review.status, "review_kind": review.kind, "reason": reason})
    cycle, person = review.cycle, review.person
    if review.review_kind is ReviewKind.SELF:
        notifications.notify(person, "self_review_reopened", f"reviews:{cycle.id}",
                             actor=actor.display_name, cycle=cycle.name, reason=reason)
    else:
        author = review.author or db.session.get(Person, can.reviewer_id(person) or 0)
        if author is not None:
            notifications.notify(author, "manager_review_reopened", f"review_team:{cycle.id}",
                                 actor=actor.display_name, name=person.display_name,
                                 cycle=cycle.name, reason=reason)
    scores.refresh_result(cycle, person, actor, now)


def reviews_with_entries(review_ids) -> list[Review]:
    ids = list(review_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Review).where(Review.id.in_(ids))
                                   .options(selectinload(Review.kpi_scores),
                                            selectinload(Review.competency_ratings))))
