"""In-app notifications.

Rules:
- Resolving an obstacle or deciding (or escalating) a request notifies the person who
  raised it; escalating also notifies the executive it went to; a coaching comment
  notifies the person coached.
- Reviews: a submitted self-review notifies the reviewer; a reopened review its author;
  HR's nudge the people and reviewers who are late.
- A notification stores its kind and parameters, never English text: it is put into
  words when shown, in the reader's language.
- Only the recipient reads or marks their notifications.
- Each new notification is also handed, in the same transaction, to what the app
  plugged in by perfsite/areas.py (perfsite/notify: e-mail it as the person chose).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ... import plugins
from ...extensions import db
from ...models import Notification, Person

# kind -> the sentence, with the stored params as placeholders.
MESSAGES = {
    "obstacle_in_hand": _l("%(actor)s is handling your obstacle on “%(kpi)s”."),
    "obstacle_resolved": _l("%(actor)s resolved your obstacle on “%(kpi)s”."),
    "request_approved": _l("%(actor)s approved your request “%(what)s”."),
    "request_declined": _l("%(actor)s declined your request “%(what)s”."),
    "request_escalated": _l("%(actor)s escalated your request “%(what)s” to %(executive)s."),
    "request_escalated_to_you": _l("%(actor)s escalated the request “%(what)s” to you for "
                                   "a decision."),
    "coaching_comment": _l("%(actor)s commented on your check-in on “%(kpi)s”."),
    # reviews
    "self_review_submitted": _l("%(name)s submitted their self-review for %(cycle)s."),
    "self_review_reopened": _l("%(actor)s reopened your self-review for %(cycle)s: "
                               "%(reason)s"),
    "manager_review_reopened": _l("%(actor)s reopened your review of %(name)s for "
                                  "%(cycle)s: %(reason)s"),
    "self_review_nudge": _l("%(actor)s reminds you to write your self-review for "
                            "%(cycle)s."),
    "manager_review_nudge": _l("%(actor)s reminds you to finish the reviews of your "
                               "reports for %(cycle)s."),
    # feedback interviews and outcomes
    "interview_scheduled": _l("%(actor)s scheduled your feedback interview for %(cycle)s "
                              "on %(when)s."),
    "interview_cancelled": _l("%(actor)s cancelled your feedback interview for %(cycle)s "
                              "on %(when)s."),
    "interview_time_proposed": _l("%(name)s proposes another time for their feedback "
                                  "interview (%(cycle)s): %(when)s."),
    "interview_completed": _l("%(actor)s completed the record of your feedback interview "
                              "for %(cycle)s: read it and say whether you agree."),
    "interview_agreed": _l("%(name)s agreed with their interview record for %(cycle)s."),
    "interview_disagreed": _l("%(name)s disagreed with their interview record for "
                              "%(cycle)s; HR will resolve the appeal."),
    "appeal_upheld": _l("%(actor)s resolved the appeal of %(name)s (%(cycle)s): the rating "
                        "%(band)s is upheld."),
    "appeal_changed": _l("%(actor)s resolved the appeal of %(name)s (%(cycle)s): the rating "
                         "is now %(band)s."),
    # 360 feedback: the subject's head hears of a decline; a rater of a reopened answer
    "feedback_declined": _l("%(rater)s declined to give feedback on %(name)s for "
                            "%(cycle)s: %(reason)s. Pick a replacement."),
    "feedback_reopened": _l("%(actor)s reopened your feedback on %(name)s for %(cycle)s: "
                            "%(reason)s"),
    "goal_drafts_proposed": _l("Goal drafts from your last feedback interview are proposed "
                               "for %(cycle)s."),
    # planning
    "plan_approved": _l("%(actor)s approved your plan for %(cycle)s."),
    "plan_returned": _l("%(actor)s returned your plan for %(cycle)s: %(comment)s"),
}

def notify(recipient: Person, kind: str, subject: str = "", **params) -> Notification:
    """Tell `recipient` about `subject` ("obstacle:12", "request:3", "check_in:7")."""
    if kind not in MESSAGES:
        raise KeyError(kind)
    notification = Notification(recipient_id=recipient.id, kind=kind, params=params,
                                subject=subject)
    db.session.add(notification)
    # who else hears of it (e-mail, perfsite/notify): plugins.NOTIFICATION_HOOKS
    for hook in plugins.registered(plugins.NOTIFICATION_HOOKS):
        hook(recipient, notification)
    return notification


def text_of(notification: Notification, zone: str | None = None) -> str:
    """The notification in words, in the current language; a time it names (stored as
    `when_at`, UTC) in the reader's zone (`zone`, else the request's)."""
    message = MESSAGES.get(notification.kind)
    if message is None:
        return notification.kind
    params = {k: v for k, v in (notification.params or {}).items()}
    if params.get("when_at"):
        try:
            moment = datetime.fromisoformat(params["when_at"])
        except (TypeError, ValueError):
            pass
        else:
            from ...timezones import local_time

            params["when"] = local_time(moment, zone=True, tz=zone)
    try:
        return str(message) % params
    except (KeyError, TypeError, ValueError):  # a kind whose params changed since
        return str(message).split("%(")[0]


# subject kind -> (endpoint, its argument, or a tuple of them: "plan:<cycle>:<person>")
SUBJECT_LINKS = {
    "plan": ("planning.person_plan", ("cycle_id", "person_id")),
    "obstacle": ("coaching.obstacle", "obstacle_id"),
    "request": ("coaching.request_detail", "request_id"),
    "kpi": ("coaching.kpi", "kpi_id"),
    # reviews: "reviews:<cycle id>" is my reviews, "review_team:<cycle id>" the people I review
    "reviews": ("reviews.index", "cycle_id"),
    "review_team": ("reviews.team", "cycle_id"),
    # interviews: "interview:<id>" is the interview page, "interviews:<cycle id>" the list
    "interview": ("interviews.interview", "interview_id"),
    "interviews": ("interviews.cycle_page", "cycle_id"),
    # 360 feedback: the requests I answer, the people whose raters I approve
    "feedback_give": ("feedback.give", "cycle_id"),
    "feedback_team": ("feedback.team", "cycle_id"),
}


def target_of(notification: Notification) -> tuple[str, dict] | None:
    """(endpoint, values) of the page the notification leads to; None when nowhere."""
    kind, _sep, ident = (notification.subject or "").partition(":")
    if kind not in SUBJECT_LINKS:
        return None
    endpoint, args = SUBJECT_LINKS[kind]
    args = (args,) if isinstance(args, str) else args
    idents = ident.split(":")
    if len(idents) != len(args) or not all(i.isdigit() for i in idents):
        return None
    return endpoint, {arg: int(i) for arg, i in zip(args, idents, strict=True)}


def link_of(notification: Notification) -> str | None:
    """Where the notification leads (needs a request context); None when nowhere."""
    from flask import url_for

    target = target_of(notification)
    return url_for(target[0], **target[1]) if target else None


def unread_count(person: Person) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == person.id, Notification.read_at.is_(None))) or 0


def for_person(person: Person):
    """A select() of `person`'s notifications, unread first, newest first."""
    return (select(Notification).where(Notification.recipient_id == person.id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                      Notification.id.desc()))


def mark_read(notification: Notification, person: Person, now: datetime) -> None:
    from ... import permissions as can

    can.enforce(can.can_read_notification(person, notification))
    if notification.read_at is None:
        notification.read_at = now


def mark_all_read(person: Person, now: datetime) -> int:
    from . import kept_todos

    kept_todos.touch(person)  # a bulk UPDATE: no flush tells the kept to-dos
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == person.id, Notification.read_at.is_(None))
        .values(read_at=now))
    return result.rowcount or 0
