"""Giving feedback: a rater's card, saved as a draft while they type, submitted once.

Rules:
- Only the rater answers their request, while feedback is open and the request is asked
  (permissions.can_give_feedback): a rating on the cycle's scale per competency, a "keep
  doing" and an "improve" comment. Drafts are the rater's alone and are not audited.
- Every save names the version it was based on (another tab's save is a Conflict, 409).
- Submitting needs every competency rated and at least one comment. Submitted is final:
  a later post changes nothing. The submission is audited without its content (HR sees
  who has answered, never what).
- A rater declines with a reason (can_decline_feedback); the subject's head is told and
  picks a replacement.
- HR reopens a submitted answer with a reason (can_reopen_feedback), audited; the rater is
  told and may change it and submit it again. Reports read released groups only
  (releases.py), so a reopen shows no before and after.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ... import drafts
from ... import permissions as can
from ...audit.services import record
from ...coaching.services import notifications
from ...errors import Invalid
from ...extensions import db
from ...models import (
    Competency,
    Cycle,
    FeedbackRating,
    FeedbackRequest,
    FeedbackStatus,
    Person,
)
from ...reviews.services import settings as review_settings
from ...rules import check_version, clean_text, on_scale, require_reason

TEXT_LIMIT = 5000
TEXTS = ("keep_doing", "improve")

def rating_field(competency: Competency) -> str:
    return f"rating_{competency.form_key}"


def competencies_of(cycle: Cycle) -> list[Competency]:
    return review_settings.competencies_for(cycle)


def scale_max(cycle: Cycle) -> int:
    return cycle.rating_scale_max


def requests_of_rater(cycle: Cycle, rater: Person) -> list[FeedbackRequest]:
    """The rater's requests (asked, answered; not those removed), with their subjects and
    drafts, in a fixed number of queries."""
    return list(db.session.scalars(
        select(FeedbackRequest).where(
            FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.rater_id == rater.id,
            FeedbackRequest.is_asked)
        .options(joinedload(FeedbackRequest.subject).joinedload(Person.department),
                 selectinload(FeedbackRequest.ratings))
        .join(Person, Person.id == FeedbackRequest.subject_id)
        .order_by(FeedbackRequest.status, Person.display_name, FeedbackRequest.id)))


def _clean_rating(value, field: str, top: int) -> int | None:
    return on_scale(value, field, top, _l("Choose a rating from 1 to %(max)d.", max=top))


def clean_values(request: FeedbackRequest, competencies: list[Competency],
                 values: dict, *, complete: bool) -> dict:
    """The card's values, checked (each problem beside its field)."""
    errors, ratings, texts = {}, {}, {}
    top = scale_max(request.cycle)
    for competency in competencies:
        field = rating_field(competency)
        try:
            # A card loaded before the cycle's competencies were saved names them by position.
            value = values.get(field, values.get(f"rating_new{competency.position}"))
            ratings[competency.position] = _clean_rating(value, field, top)
        except Invalid as error:
            errors[field] = error.message
            continue
        if complete and ratings[competency.position] is None:
            errors[field] = _l("Rate this competency.")
    for name in TEXTS:
        try:
            texts[name] = clean_text(values.get(name), field=name, limit=TEXT_LIMIT)
        except Invalid as error:
            errors[name] = error.message
    if complete and not errors and not any(texts.values()):
        errors["keep_doing"] = _l("Write at least one comment: what to keep doing or what to "
                                  "improve.")
    if errors:
        raise Invalid(errors=errors)
    return {"ratings": ratings, "texts": texts}


def _apply(request: FeedbackRequest, actor, cleaned: dict, now: datetime) -> None:
    settings = review_settings.ensure_settings(request.cycle, actor, now)
    saved = review_settings.competencies_for(request.cycle, settings)
    by_position = {c.position: c for c in saved}
    for position, value in cleaned["ratings"].items():
        competency = by_position.get(position)
        if competency is None:
            continue
        entry = request.rating_for(competency.id)
        if entry is None:
            entry = FeedbackRating(competency_id=competency.id)
            request.ratings.append(entry)
        entry.rating = value
    for name, text in cleaned["texts"].items():
        setattr(request, name, text)
    request.updated_at = now


def save_draft(request: FeedbackRequest, actor, *, expected_version, values: dict,
               now: datetime, writer: drafts.Writer | None = None) -> None:
    can.enforce(can.can_give_feedback(actor, request))
    claim = drafts.claim(drafts.FEEDBACK, request, expected_version, writer)
    cleaned = clean_values(request, competencies_of(request.cycle), values, complete=False)
    _apply(request, actor, cleaned, now)
    db.session.flush()
    claim.saved(request)


def submit(request: FeedbackRequest, actor, *, expected_version, values: dict,
           now: datetime) -> None:
    """Save the card as posted and submit it (final)."""
    can.enforce(can.can_give_feedback(actor, request))
    check_version(request, expected_version)
    _apply(request, actor, clean_values(request, competencies_of(request.cycle), values,
                                        complete=True), now)
    request.status = FeedbackStatus.SUBMITTED.value
    request.submitted_at = now
    db.session.flush()
    # Who answered, never what: the content stays out of the log.
    record("feedback.submitted", request, actor=actor,
           label=f"{request.subject.display_name} · {request.cycle.name}",
           after={"status": request.status})


def decline(request: FeedbackRequest, actor, *, reason: str, now: datetime) -> None:
    can.enforce(can.can_decline_feedback(actor, request))
    reason = require_reason(reason)
    request.status = FeedbackStatus.DECLINED.value
    request.decline_reason = reason
    request.updated_at = now
    db.session.flush()
    record("feedback.declined", request, actor=actor,
           label=f"{request.subject.display_name} · {request.cycle.name}",
           after={"status": request.status, "reason": reason})
    head_id = can.approver_id(request.subject)
    head = db.session.get(Person, head_id) if head_id else None
    if head is not None and head.id != actor.id:
        notifications.notify(head, "feedback_declined", f"feedback_team:{request.cycle_id}",
                             rater=actor.display_name, name=request.subject.display_name,
                             cycle=request.cycle.name, reason=reason)


def reopen(request: FeedbackRequest, actor, *, reason: str, now: datetime) -> None:
    can.enforce(can.can_reopen_feedback(actor, request))
    reason = require_reason(reason)
    request.status = FeedbackStatus.REQUESTED.value
    request.submitted_at = None
    request.reopened_count = (request.reopened_count or 0) + 1
    request.updated_at = now
    db.session.flush()
    record("feedback.reopened", request, actor=actor,
           label=f"{request.rater.display_name} → {request.subject.display_name} · "
                 f"{request.cycle.name}",
           before={"status": FeedbackStatus.SUBMITTED.value},
           after={"status": request.status, "reason": reason})
    notifications.notify(request.rater, "feedback_reopened",
                         f"feedback_give:{request.cycle_id}", actor=actor.display_name,
                         name=request.subject.display_name, cycle=request.cycle.name,
                         reason=reason)
