"""The audit log as people read it: translated action names, and before -> after per field
with names instead of ids, in the reader's language.

Events store codes and raw values (`plan.submitted`, `{"manager_id": 12}`) so that they
stay exact; this module words them when shown. The ids on a page are turned into names
with one query per kind of record, however many events the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    BOX_NAMES,
    LEVEL_LABELS,
    READINESS_LABELS,
    ROLE_LABELS,
    Department,
    DepartmentGoal,
    KeyPosition,
    Kpi,
    Person,
    Phase,
    StrategyTarget,
)
from ..models.coaching import CheckInStatus, ObstacleStatus, RequestKind, RequestStatus
from ..models.feedback import FeedbackGroup, FeedbackStatus
from ..models.interview import InterviewStatus, ItemStatus
from ..models.notify import DELIVERY_STATUS_LABELS
from ..models.planning import (
    METRIC_LABELS,
    PLAN_STATUS_LABELS,
    TARGET_STATUS_LABELS,
    DepartmentPlanStatus,
    KpiOrigin,
    MetricType,
    ProposalStatus,
)
from ..models.review import ReviewKind, ReviewStatus

ACTIONS = {
    "person.created": _l("Person added"),
    "person.updated": _l("Person changed"),
    "person.deactivated": _l("Person deactivated"),
    "person.activated": _l("Person reactivated"),
    "person.password_changed": _l("Password changed"),
    "person.time_zone_changed": _l("Time zone changed"),
    "person.password_reset": _l("Password reset by HR"),
    "department.created": _l("Department added"),
    "department.updated": _l("Department changed"),
    "department.deactivated": _l("Department deactivated"),
    "org_import.committed": _l("Org chart imported"),
    "signin.refused": _l("Sign-in refused"),
    "cycle.created": _l("Cycle created"),
    "cycle.updated": _l("Cycle settings changed"),
    "cycle.advanced": _l("Cycle advanced"),
    "cycle.moved_back": _l("Cycle moved back"),
    "target.created": _l("Strategy target drafted"),
    "target.updated": _l("Strategy target edited"),
    "target.published": _l("Strategy target published"),
    "target.revised": _l("Strategy target revised"),
    "target.retired": _l("Strategy target retired"),
    "goal.created": _l("Department goal added"),
    "goal.updated": _l("Department goal changed"),
    "goal.deleted": _l("Department goal removed"),
    "goal.realigned": _l("Department goal re-aligned"),
    "goal.flagged": _l("Department goal flagged for re-alignment"),
    "goal.actual_set": _l("Department goal's actual recorded"),
    "department_plan.ready": _l("Department plan ready"),
    "department_plan.reopened": _l("Department plan back to draft"),
    "plan.created": _l("Plan started"),
    "plan.submitted": _l("Plan submitted"),
    "plan.approved": _l("Plan approved"),
    "plan.returned": _l("Plan returned"),
    "plan.reopened": _l("Plan reopened for revision"),
    "plan.copied": _l("Plan started from last cycle"),
    "kpi.created": _l("KPI added"),
    "kpi.updated": _l("KPI changed"),
    "kpi.deleted": _l("KPI removed"),
    "kpi.accepted": _l("Proposed KPI accepted"),
    "kpi.declined": _l("Proposed KPI declined"),
    "kpi.actual_set": _l("KPI's actual recorded"),
    "check_in.posted": _l("Check-in posted"),
    "obstacle.raised": _l("Obstacle raised"),
    "obstacle.in_hand": _l("Obstacle taken in hand"),
    "obstacle.resolved": _l("Obstacle resolved"),
    "resource_request.raised": _l("Resource request raised"),
    "resource_request.approved": _l("Resource request approved"),
    "resource_request.declined": _l("Resource request declined"),
    "resource_request.escalated": _l("Resource request escalated"),
    "coaching_comment.added": _l("Coaching comment"),
    "private_note.added": _l("Private note written"),
    "review_settings.created": _l("Review settings saved"),
    "review_settings.updated": _l("Review settings changed"),
    "review_settings.copied": _l("Review settings copied from the previous cycle"),
    "review.started": _l("Review started"),
    "review.submitted": _l("Review submitted"),
    "review.reopened": _l("Review reopened"),
    "review.nudged": _l("Review reminders sent"),
    "review_result.computed": _l("Scores computed"),
    "review_result.calibrated": _l("Rating calibrated"),
    # feedback interviews and outcomes
    "interview.scheduled": _l("Interview scheduled"),
    "interview.rescheduled": _l("Interview rescheduled"),
    "interview.time_proposed": _l("Another interview time proposed"),
    "interview.cancelled": _l("Interview cancelled"),
    "interview.held": _l("Interview held"),
    "interview.completed": _l("Interview record completed"),
    "interview.acknowledged": _l("Interview record acknowledged"),
    "interview.appealed": _l("Interview record appealed"),
    "interview.appeal_resolved": _l("Appeal resolved"),
    "review_result.changed_on_appeal": _l("Rating changed on appeal"),
    "improvement_item.added": _l("Improvement-plan item added"),
    "improvement_item.updated": _l("Improvement-plan item changed"),
    "improvement_item.removed": _l("Improvement-plan item removed"),
    "goal_draft.added": _l("Goal draft added"),
    "goal_draft.removed": _l("Goal draft removed"),
    "goal_draft.proposed": _l("Goal drafts proposed for planning"),
    "outcome_rule.saved": _l("Outcome rule saved"),
    "outcome.computed": _l("Outcome computed"),
    "outcome.overridden": _l("Outcome recommended by the head"),
    "outcome.approved": _l("Outcome approved"),
    "cycle.closed": _l("Cycle closed"),
    # 360 feedback
    "feedback_settings.updated": _l("360 settings changed"),
    "feedback_request.nominated": _l("Rater nominated"),
    "feedback_request.added": _l("Rater added by the head"),
    "feedback_request.approved": _l("Raters approved"),
    "feedback_request.asked": _l("Manager and upward feedback requested"),
    "feedback_request.removed": _l("Rater removed"),
    "feedback_request.replaced": _l("Replacement rater asked"),
    "feedback.submitted": _l("Feedback submitted"),
    "feedback.declined": _l("Feedback request declined"),
    "feedback.reopened": _l("Feedback reopened"),
    "feedback.released": _l("360 results released"),
    # notifications where people work
    "notify_channel.created": _l("Chat channel added"),
    "notify_channel.updated": _l("Chat channel changed"),
    "notify_channel.tested": _l("Chat channel sent a test message"),
    "delivery.retried": _l("Delivery retried"),
    # resource allocation and the talent review
    "allocation.created": _l("Budget and headcount allocated to a target"),
    "allocation.changed": _l("Allocation of a target changed"),
    "allocation.split": _l("Allocation split across departments"),
    "talent_settings.changed": _l("Talent review settings changed"),
    "potential.assessed": _l("Potential assessed"),
    "talent.moved": _l("Moved in the talent review"),
    "talent.action_agreed": _l("Development action agreed"),
    "key_position.marked": _l("Key position marked"),
    "successor.named": _l("Successor named"),
    "successor.removed": _l("Successor removed"),
}

OBJECTS = {
    "person": _l("Person"), "department": _l("Department"), "cycle": _l("Cycle"),
    "org_import": _l("Org chart import"), "strategy_target": _l("Strategy target"),
    "department_goal": _l("Department goal"), "department_plan": _l("Department plan"),
    "personal_plan": _l("Plan"), "kpi": _l("KPI"), "check_in": _l("Check-in"),
    "obstacle": _l("Obstacle"), "resource_request": _l("Resource request"),
    "coaching_comment": _l("Coaching comment"), "private_note": _l("Private note"),
    "review_settings": _l("Review settings"), "review": _l("Review"),
    "review_result": _l("Review result"),
    "interview": _l("Feedback interview"), "improvement_item": _l("Improvement-plan item"),
    "goal_draft": _l("Goal draft"), "outcome_rule": _l("Outcome rule"),
    "outcome": _l("Outcome"),
    "feedback_settings": _l("360 settings"), "feedback_request": _l("Feedback request"),
    "feedback_release": _l("360 results"),
    "notify_channel": _l("Chat channel"), "outbox_message": _l("Delivery"),
    "target_allocation": _l("Allocation"), "talent_settings": _l("Talent review settings"),
    "potential_assessment": _l("Talent review"), "key_position": _l("Key position"),
    "successor": _l("Successor"),
}

FIELDS = {
    "title": _l("Title"), "name": _l("Name"), "code": _l("Code"), "weight": _l("Weight"),
    "status": _l("Status"), "phase": _l("Phase"), "metric_type": _l("Measured as"),
    "baseline": _l("Baseline"), "target_value": _l("Target value"), "unit": _l("Unit"),
    "due_date": _l("Due date"), "deadline": _l("Deadline"), "actual_value": _l("Actual"),
    "goal_id": _l("Department goal"), "target_id": _l("Strategy target"),
    "supports_goal_id": _l("Supports"), "department_id": _l("Department"),
    "manager_id": _l("Manager"), "head_id": _l("Head"), "parent_id": _l("Parent department"),
    "owner_id": _l("Owner"), "owner": _l("Owner"), "person_id": _l("Person"),
    "kpi_id": _l("KPI"), "escalated_to_id": _l("Escalated to"),
    "username": _l("Username"), "display_name": _l("Full name"), "email": _l("E-mail"),
    "employee_number": _l("Employee number"), "job_title": _l("Job title"),
    "active": _l("Active"), "roles": _l("Roles"), "start_date": _l("Start date"),
    "end_date": _l("End date"), "rating_scale_max": _l("Rating scale"),
    "anonymity_threshold": _l("Anonymity threshold"),
    "checkin_interval_days": _l("Check-in interval (days)"),
    "overdue_after_days": _l("Overdue after (days)"), "reason": _l("Reason"),
    "comment": _l("Comment"), "head_comment": _l("Head's comment"),
    "proposal_status": _l("Proposal"), "origin": _l("Origin"),
    "description": _l("Description"), "contributors": _l("Contributing departments"),
    "needs_realignment": _l("Needs re-alignment"), "revision": _l("Revision"),
    "confidence": _l("Confidence"), "late": _l("Late"), "resolution": _l("Resolution"),
    "what": _l("What"), "why": _l("Why"), "kind": _l("Kind"), "needed_by": _l("Needed by"),
    "from_cycle": _l("From cycle"), "kpis": _l("KPIs"), "copied_from": _l("Copied from"),
    "because": _l("Because"), "target_revision": _l("Target revision"),
    "weight_total": _l("Weight total"), "file": _l("File"), "rows": _l("Rows"),
    "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged"),
    "body": _l("Text"), "check_in_id": _l("Check-in"),
    "goals_weight": _l("Weight of goals"), "competencies_weight": _l("Weight of competencies"),
    "self_weight": _l("Weight of the self-review"), "bands": _l("Rating bands"),
    "scale": _l("Rating scale"), "competencies": _l("Competencies"),
    "review_kind": _l("Review"), "scores": _l("KPI scores"),
    "ratings": _l("Competency ratings"), "goal_score": _l("Goal score"),
    "competency_score": _l("Competency score"), "self_score": _l("Self score"),
    "final_score": _l("Final score"), "band": _l("Rating"), "people": _l("People"),
    "reviewers": _l("Reviewers"),
    "starts_at": _l("Starts"), "duration_minutes": _l("Length (minutes)"),
    "place": _l("Place"), "meeting_link": _l("Meeting link"), "action": _l("Action"),
    "support": _l("Support needed"), "decision": _l("Decision"),
    "bonus_multiplier": _l("Bonus multiplier"), "promotion": _l("Promotion nomination"),
    "training": _l("Training recommended"), "improvement_plan": _l("Improvement plan"),
    # 360 feedback
    "rater_group": _l("Rater group"), "replaces": _l("Instead of"),
    "min_raters": _l("Fewest peers"), "max_raters": _l("Most peers"),
    "opens_on": _l("Feedback opens on"), "subject_sees_report": _l("People see their report"),
    "peers_weight": _l("Weight of the peers' average"),
    "reports_weight": _l("Weight of the direct reports' average"),
    # notifications where people work
    "locale": _l("Language"), "address": _l("Address"), "signing_secret": _l("Signing secret"),
    "time_zone": _l("Time zone"), "calendar_sequence": _l("Calendar version"),
    "delivery": _l("Delivery"), "attempts": _l("Attempts"),
    # resource allocation and the talent review
    "currency": _l("Currency"), "budget": _l("Budget"), "headcount": _l("Headcount"),
    "shares": _l("Departments' shares"), "amount": _l("Amount"),
    "draws_on": _l("Draws on"), "over_allocation_reason": _l("Why beyond the allocation"),
    "potential": _l("Potential"), "box": _l("Box"), "agreed_action": _l("Agreed action"),
    "high": _l("High performance"), "medium": _l("Medium performance"),
    "low": _l("Low performance"), "guidance": _l("Guidance"),
    "holder_id": _l("Holder"), "candidate_id": _l("Successor candidate"),
    "position_id": _l("Key position"), "readiness": _l("Readiness"),
}

# field -> the table its ids point at
REFERENCES = {
    "manager_id": Person, "head_id": Person, "owner_id": Person, "person_id": Person,
    "escalated_to_id": Person, "department_id": Department, "parent_id": Department,
    "contributors": Department, "goal_id": DepartmentGoal, "supports_goal_id": DepartmentGoal,
    "target_id": StrategyTarget, "kpi_id": Kpi, "copied_from": Kpi,
    "holder_id": Person, "candidate_id": Person, "position_id": KeyPosition,
}

# (object type, field) or field -> the labels of its coded values
_STATUS_BY_OBJECT = {
    "outbox_message": {s.value: label for s, label in DELIVERY_STATUS_LABELS.items()},
    "personal_plan": {s.value: label for s, label in PLAN_STATUS_LABELS.items()},
    "strategy_target": {s.value: label for s, label in TARGET_STATUS_LABELS.items()},
    "department_plan": {s.value: s.label for s in DepartmentPlanStatus},
    "obstacle": {s.value: s.label for s in ObstacleStatus},
    "resource_request": {s.value: s.label for s in RequestStatus},
    "check_in": {s.value: s.label for s in CheckInStatus},
    "review": {s.value: s.label for s in ReviewStatus},
    "interview": {s.value: s.label for s in InterviewStatus},
    "improvement_item": {s.value: s.label for s in ItemStatus},
    "feedback_request": {s.value: s.label for s in FeedbackStatus},
}
_CODES = {
    "phase": {p.value: p.label for p in Phase},
    "metric_type": {m.value: label for m, label in METRIC_LABELS.items()},
    "proposal_status": {p.value: p.label for p in ProposalStatus},
    "origin": {o.value: o.label for o in KpiOrigin},
    "kind": {k.value: k.label for k in RequestKind},
    "roles": {r.value: label for r, label in ROLE_LABELS.items()},
    "because": {code: label for code, label in ACTIONS.items()},
    "review_kind": {k.value: k.label for k in ReviewKind},
    "rater_group": {g.value: g.label for g in FeedbackGroup},
    "potential": {level.value: label for level, label in LEVEL_LABELS.items()},
    "readiness": {r.value: label for r, label in READINESS_LABELS.items()},
    "box": {f"{p.value}/{q.value}": name for (p, q), name in BOX_NAMES.items()},
}
_NAME_OF = {Person: Person.display_name, Department: Department.name,
            DepartmentGoal: DepartmentGoal.title, StrategyTarget: StrategyTarget.title,
            Kpi: Kpi.title, KeyPosition: KeyPosition.title}


@dataclass
class Change:
    field: str
    label: object
    before: str | None
    after: str | None


@dataclass
class ReadableEvent:
    event: object
    action: object
    object_kind: object
    changes: list[Change] = field(default_factory=list)


def action_label(action: str):
    return ACTIONS.get(action, action)


# The filter's choices, worded and sorted once per language (and per size of the table, so a
# plug-in that adds an action later is listed), not on every request: a few hundred lazy
# translations were a tenth of the log's time.
_choices: dict[tuple, list[tuple[str, str]]] = {}


def _sorted_labels(labels: dict) -> list[tuple[str, str]]:
    key = (id(labels), len(labels), str(get_locale() or ""))
    found = _choices.get(key)
    if found is None:
        found = _choices[key] = sorted(((code, str(label)) for code, label in labels.items()),
                                       key=lambda c: c[1])
    return list(found)


def action_choices() -> list[tuple[str, str]]:
    """Every kind of event, for the log's filter (no scan of the log to list them)."""
    return _sorted_labels(ACTIONS)


def object_choices() -> list[tuple[str, str]]:
    return _sorted_labels(OBJECTS)


def _ids(values) -> list[int]:
    found = []
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, int) and not isinstance(value, bool):
            found.append(value)
    return found


def _names(events) -> dict[type, dict[int, str]]:
    wanted: dict[type, set[int]] = {}
    for event in events:
        for data in (event.before or {}, event.after or {}):
            for key, value in data.items():
                if key in REFERENCES:
                    wanted.setdefault(REFERENCES[key], set()).update(_ids(value))
    names = {}
    for model, ids in wanted.items():
        column = _NAME_OF[model]
        names[model] = dict(db.session.execute(
            select(model.id, column).where(model.id.in_(ids))).tuples().all()) if ids else {}
    return names


def _plain(value) -> str:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _text(key: str, value, object_type: str, names) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if key in REFERENCES:
        table = names.get(REFERENCES[key], {})
        return ", ".join(table.get(i, f"#{i}") for i in _ids(value)) or None
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    codes = _STATUS_BY_OBJECT.get(object_type, {}) if key == "status" else _CODES.get(key)
    if codes is not None:
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(codes.get(v, v)) for v in values)
    if key in ("baseline", "target_value", "actual_value", "weight", "weight_total",
               "goals_weight", "competencies_weight", "self_weight"):
        return _plain(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe(events) -> list[ReadableEvent]:
    """The events, worded for reading (a few queries for the names of every id shown)."""
    events = list(events)
    names = _names(events)
    readable = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        changes = [Change(key, FIELDS.get(key, key),
                          _text(key, before.get(key), event.object_type, names),
                          _text(key, after.get(key), event.object_type, names))
                   for key in keys]
        readable.append(ReadableEvent(event, action_label(event.action),
                                      OBJECTS.get(event.object_type, event.object_type),
                                      changes))
    return readable


__all__ = ["ACTIONS", "describe", "action_choices", "object_choices", "MetricType"]
