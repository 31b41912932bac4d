"""Releases: what an anonymous 360 group's results are, frozen, so that nobody can learn one
answer by comparing the results before and after something changed.

Rules (domain.md, "360 anonymity", and README's anonymity section):
- Reports never read live answers of the peers or the direct reports: they read the group's
  latest release (averages per competency, comments, how many answered), made here.
- A group is first released when the review phase closes (the cycle enters calibration;
  feedback is closed from then on), if at least the cycle's threshold of its answers are in
  (`report.is_shown`). Below it the group is never released: nothing of it shows anywhere.
- A released group is released again only when, against every earlier release of it, the
  answers that left (removed, reopened, changed) and the answers that came (new, changed)
  are each none or at least the threshold: no difference between two releases isolates
  one answer, whether in the averages or in the set of comments. A reopened answer that is
  submitted again unchanged is no change.
- Each release is audited without content (who released what group, how many answers);
  the stored scores of a person whose group was released are refreshed with it, so the
  stored final score and the breakdown on the results page read the same figures.
- Answers are compared by a keyed fingerprint (HMAC with the site's secret key) of their
  ratings and comments; the release keeps these, never the answers or their authors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import permissions as can
from ...audit.services import record
from ...extensions import db
from ...models import (
    Cycle,
    FeedbackGroup,
    FeedbackRelease,
    FeedbackRequest,
    Person,
)
from ...permissions.phases import is_allowed
from ...reviews.services import scores
from ...reviews.services import settings as review_settings
from .settings import threshold_of

ANONYMOUS = (FeedbackGroup.PEER, FeedbackGroup.REPORT)
TEXTS = ("keep_doing", "improve")


@dataclass(frozen=True)
class Comment:
    kind: str  # "keep_doing" or "improve"
    text: str
    author: Person | None = None  # the manager's only

    @property
    def kind_label(self):
        return _l("Keep doing") if self.kind == "keep_doing" else _l("Improve")


def mean(values: Iterable[int]) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return scores.rounded(Decimal(sum(values)) / len(values))


def shuffled(comments: list[Comment]) -> list[Comment]:
    """An order unrelated to who wrote what or when: by a hash of the text."""
    return sorted(comments, key=lambda c: hashlib.sha256(
        f"{c.kind}:{c.text}".encode()).hexdigest())


def is_shown(group: FeedbackGroup, submitted: int, threshold: int) -> bool:
    """The anonymity rule: the manager when they answered; an anonymous group from the
    threshold (never below 2) on."""
    if group is FeedbackGroup.MANAGER:
        return submitted >= 1
    return submitted >= max(threshold, 2)


def released_phase(cycle: Cycle) -> bool:
    """Has the review phase closed, so that groups are released (calibration on)?"""
    return is_allowed(cycle, "read_feedback_releases")


def fingerprint(request: FeedbackRequest) -> str:
    """A keyed fingerprint of one answer's content (its ratings and comments)."""
    content = json.dumps({"ratings": sorted((r.competency_id, r.rating) for r in request.ratings),
                          "texts": [getattr(request, name) or "" for name in TEXTS]},
                         sort_keys=True)
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{request.id}:{content}".encode(), hashlib.sha256).hexdigest()


def _changes(earlier: dict, live: dict) -> tuple[int, int]:
    """(answers that left, answers that came) between an earlier release's basis and now."""
    gone = sum(1 for key, mark in earlier.items() if live.get(key) != mark)
    came = sum(1 for key, mark in live.items() if earlier.get(key) != mark)
    return gone, came


def is_due(earlier: list[dict], live: dict, threshold: int) -> bool:
    """Is a group whose earlier releases had `earlier` bases released again with the answers
    `live` (request id -> fingerprint)? See the module's rules."""
    if not is_shown(FeedbackGroup.PEER, len(live), threshold):
        return False
    if not earlier:
        return True
    if _changes(earlier[-1], live) == (0, 0):
        return False
    for basis in earlier:
        for count in _changes(basis, live):
            if 0 < count < max(threshold, 2):
                return False
    return True


@dataclass(frozen=True)
class Live:
    """The answers of one group as they stand."""

    answers: list[FeedbackRequest]

    @property
    def basis(self) -> dict[str, str]:
        return {str(a.id): fingerprint(a) for a in self.answers}


def _averages(answers, competencies) -> dict[str, str | None]:
    found = {}
    for competency in competencies:
        value = mean(r.rating for a in answers for r in a.ratings
                     if r.competency_id == competency.id)
        found[str(competency.id)] = None if value is None else f"{value:.2f}"
    return found


def _comments(answers) -> list[dict]:
    comments = [Comment(kind, getattr(a, kind)) for a in answers for kind in TEXTS
                if getattr(a, kind)]
    return [{"kind": c.kind, "text": c.text} for c in shuffled(comments)]


def releases_of(cycle: Cycle, person_ids) -> dict[tuple[int, str], list[FeedbackRelease]]:
    """Every release in the cycle about `person_ids`, by (person, group), oldest first."""
    found: dict[tuple[int, str], list[FeedbackRelease]] = defaultdict(list)
    for release in db.session.scalars(
            select(FeedbackRelease).where(FeedbackRelease.cycle_id == cycle.id,
                                          FeedbackRelease.subject_id.in_(list(person_ids) or [0]))
            .order_by(FeedbackRelease.number)):
        found[(release.subject_id, release.rater_group)].append(release)
    return found


def latest(cycle: Cycle, person: Person) -> dict[FeedbackGroup, FeedbackRelease]:
    """The release each anonymous group about `person` shows (one query)."""
    return {FeedbackGroup(group): found[-1]
            for (_person, group), found in releases_of(cycle, [person.id]).items()}


def _submitted(cycle: Cycle, person_ids=None) -> dict[tuple[int, str], list[FeedbackRequest]]:
    stmt = (select(FeedbackRequest)
            .where(FeedbackRequest.cycle_id == cycle.id,
                   can.submitted_clause(),
                   FeedbackRequest.rater_group.in_([g.value for g in ANONYMOUS]))
            .options(selectinload(FeedbackRequest.ratings)).order_by(FeedbackRequest.id))
    if person_ids is not None:
        stmt = stmt.where(FeedbackRequest.subject_id.in_(list(person_ids) or [0]))
    found: dict[tuple[int, str], list[FeedbackRequest]] = defaultdict(list)
    for request in db.session.scalars(stmt):
        found[(request.subject_id, request.rater_group)].append(request)
    return found


def publish(cycle: Cycle, actor, now: datetime, person_ids=None) -> set[int]:
    """Release every anonymous group in the cycle (or about `person_ids`) that is due (see
    the rules), and refresh the stored scores of the people released. Returns their ids.
    A fixed number of queries per cycle, plus the refreshed scores."""
    threshold = threshold_of(cycle)
    competencies = [c for c in review_settings.competencies_for(cycle) if c.id is not None]
    live = _submitted(cycle, person_ids)
    subjects = {person for person, _group in live}
    earlier = releases_of(cycle, subjects)
    released: dict[int, list[str]] = defaultdict(list)
    for (person_id, group), answers in sorted(live.items()):
        before = earlier.get((person_id, group), [])
        basis = Live(answers).basis
        if not is_due([r.basis for r in before], basis, threshold):
            continue
        db.session.add(FeedbackRelease(
            cycle_id=cycle.id, subject_id=person_id, rater_group=group,
            number=(before[-1].number + 1) if before else 1, threshold=threshold,
            responses=len(answers), averages=_averages(answers, competencies),
            comments=_comments(answers), basis=basis, released_at=now,
            released_by_id=getattr(actor, "id", None)))
        released[person_id].append(group)
    if not released:
        return set()
    db.session.flush()
    people = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_(sorted(released))))}
    for person_id, groups in sorted(released.items()):
        person = people[person_id]
        # Content-free: which groups were released; never whose answers went in.
        record("feedback.released", object_type="feedback_release", actor=actor,
               label=f"{person.display_name} · {cycle.name}", after={"rater_group": groups})
        scores.refresh_result(cycle, person, actor, now)
    return set(released)


def release_figures(release: FeedbackRelease) -> tuple[dict[int, Decimal | None], list]:
    """A release's averages (by competency id) and comments, as the report reads them."""
    averages = {int(key): (None if value is None else Decimal(value))
                for key, value in (release.averages or {}).items()}
    comments = [Comment(c["kind"], c["text"]) for c in (release.comments or [])]
    return averages, comments
