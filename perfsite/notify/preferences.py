"""What each person is e-mailed, by kind: immediately, in the daily digest, or not at all.

Rules:
- Every in-app notification belongs to one kind below (a kind added later without a row
  here is "other"); the daily to-do digest is a kind of its own, offered daily or not at
  all.
- Some kinds cannot be switched off: a reopened review or feedback, a resolved appeal
  change what the person must do or what their record says.
- Without a choice of their own, a kind's default applies.
- Only the person chooses (permissions.can_edit_preferences).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions as can
from ..errors import Invalid
from ..extensions import db
from ..models import NotificationPreference

NOW, DIGEST, OFF = "now", "digest", "off"
MODE_LABELS = {NOW: _l("Immediately"), DIGEST: _l("In the daily digest"),
               OFF: _l("Not at all")}


@dataclass(frozen=True)
class Kind:
    code: str
    label: object
    default: str = NOW
    modes: tuple[str, ...] = (NOW, DIGEST, OFF)
    members: tuple[str, ...] = ()

    @property
    def mandatory(self) -> bool:
        return OFF not in self.modes


KINDS = (
    Kind("todos", _l("What is waiting for you (your to-do list)"), DIGEST, (DIGEST, OFF)),
    Kind("plans", _l("Your plan approved or returned, goal drafts proposed"),
         members=("plan_approved", "plan_returned", "goal_drafts_proposed")),
    Kind("coaching", _l("Your obstacles, resource requests and coaching comments"),
         members=("obstacle_in_hand", "obstacle_resolved", "request_approved",
                  "request_declined", "request_escalated", "request_escalated_to_you",
                  "coaching_comment")),
    Kind("reviews", _l("Reviews: a self-review submitted to you, reminders"),
         members=("self_review_submitted", "self_review_nudge", "manager_review_nudge")),
    Kind("reopened", _l("Your review or feedback was reopened"), modes=(NOW, DIGEST),
         members=("self_review_reopened", "manager_review_reopened", "feedback_reopened")),
    Kind("feedback", _l("360 feedback: a rater declined"), members=("feedback_declined",)),
    Kind("interviews", _l("Feedback interviews: scheduled or cancelled, another time "
                          "proposed, the record to read, agreed or disagreed"),
         members=("interview_scheduled", "interview_cancelled", "interview_time_proposed",
                  "interview_completed", "interview_agreed", "interview_disagreed")),
    Kind("appeals", _l("Your appeal resolved"), modes=(NOW, DIGEST),
         members=("appeal_upheld", "appeal_changed")),
    Kind("other", _l("Other notifications")),
)
BY_CODE = {kind.code: kind for kind in KINDS}
_KIND_OF = {member: kind for kind in KINDS for member in kind.members}


def kind_of(notification_kind: str) -> Kind:
    return _KIND_OF.get(notification_kind, BY_CODE["other"])


def modes_of(person) -> dict[str, str]:
    """Every kind's mode for `person` (their choice, else the default), in one query."""
    chosen = dict(db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.mode)
        .where(NotificationPreference.person_id == person.id)).all())
    return {kind.code: chosen.get(kind.code) if chosen.get(kind.code) in kind.modes
            else kind.default for kind in KINDS}


def mode_for(person, notification_kind: str) -> str:
    kind = kind_of(notification_kind)
    chosen = db.session.scalar(
        select(NotificationPreference.mode).where(NotificationPreference.person_id == person.id,
                                                  NotificationPreference.kind == kind.code))
    return chosen if chosen in kind.modes else kind.default


def digest_modes(kind_code: str, person_ids) -> dict[int, str]:
    """The mode of one kind for many people (one query), defaults filled in."""
    kind = BY_CODE[kind_code]
    chosen = dict(db.session.execute(
        select(NotificationPreference.person_id, NotificationPreference.mode)
        .where(NotificationPreference.kind == kind_code,
               NotificationPreference.person_id.in_(list(person_ids)))).all())
    return {pid: chosen.get(pid) if chosen.get(pid) in kind.modes else kind.default
            for pid in person_ids}


def save(person, actor, choices: dict[str, str]) -> None:
    """Store `person`'s choices (kind code -> mode); a mode a kind does not offer is
    refused beside its field."""
    can.enforce(can.can_edit_preferences(actor, person))
    errors = {code: _l("Choose one of the offered ways.") for code, mode in choices.items()
              if code not in BY_CODE or mode not in BY_CODE[code].modes}
    if errors:
        raise Invalid(errors=errors)
    existing = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.person_id == person.id))}
    for code, mode in choices.items():
        row = existing.get(code)
        if row is None:
            db.session.add(NotificationPreference(person_id=person.id, kind=code, mode=mode))
        else:
            row.mode = mode
    db.session.flush()
