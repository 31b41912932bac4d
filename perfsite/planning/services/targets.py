"""Strategy targets: executives draft, publish, revise and retire them.

Rules:
- Only executives write targets. Drafts are created and edited during planning.
- Publishing makes a target visible to everyone and keeps its first revision.
- A published target changes only as a revision with a reason (planning, in progress or
  review); every revision keeps a snapshot, so old versions stay readable.
- Retiring a target, or changing its metric, baseline or target value, flags every goal
  aligned to it as needing re-alignment; the heads see the flag on their home page.
- Every change is audited with before/after.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...errors import Invalid
from ...extensions import db
from ...models import (
    Cycle,
    DepartmentGoal,
    Person,
    StrategyTarget,
    TargetRevision,
    TargetStatus,
    utcnow,
)
from ...rules import check_version, clean_text, require_reason
from .common import clean_measure, clean_title

TARGET_FIELDS = ("title", "description", "metric_type", "baseline", "target_value", "unit",
                 "deadline", "owner_id")
# Changing any of these means aligned goals may no longer serve the target.
REALIGN_FIELDS = ("metric_type", "baseline", "target_value")


def target_snapshot(target: StrategyTarget) -> dict:
    data = snapshot(target, TARGET_FIELDS + ("status",))
    owner = db.session.get(Person, target.owner_id) if target.owner_id else None
    data["owner"] = owner.display_name if owner else None
    return data


def _check_target(target: StrategyTarget) -> None:
    target.title = clean_title(target.title)
    target.description = clean_text(target.description, field="description", limit=4000)
    target.unit = clean_text(target.unit, field="unit", limit=30, multiline=False)
    target.metric_type, target.baseline, target.target_value = clean_measure(
        target.metric_type, target.baseline, target.target_value)
    if target.owner_id is not None:
        owner = db.session.get(Person, target.owner_id)
        if owner is None or not owner.active:
            raise Invalid(_l("Choose an active person as owner."), "owner_id")
    clash = db.session.scalar(select(StrategyTarget.id).where(
        StrategyTarget.cycle_id == target.cycle_id,
        func.lower(StrategyTarget.title) == target.title.lower(),
        StrategyTarget.id != (target.id or 0)))
    if clash:
        raise Invalid(_l("This cycle already has a target with this title."), "title")


def create_target(cycle: Cycle, actor, **fields) -> StrategyTarget:
    """An executive drafts a target during planning."""
    can.enforce(can.can_create_targets(actor, cycle))
    unknown = set(fields) - set(TARGET_FIELDS)
    if unknown:
        raise KeyError(unknown.pop())
    target = StrategyTarget(cycle_id=cycle.id, status=TargetStatus.DRAFT.value, revision=0,
                            **fields)
    _check_target(target)
    db.session.add(target)
    db.session.flush()
    record("target.created", target, actor=actor, after=target_snapshot(target))
    return target


def update_target(target: StrategyTarget, actor, *, expected_version, reason: str = "",
                  **fields) -> None:
    """Edit a draft (planning only), or revise a published target with a reason.

    A revision keeps a snapshot; changing the metric or values flags aligned goals.
    """
    can.enforce(can.can_edit_target(actor, target))
    check_version(target, expected_version)
    before = target_snapshot(target)
    for key, value in fields.items():
        if key not in TARGET_FIELDS:
            raise KeyError(key)
        setattr(target, key, value)
    if target.is_published:
        # Ask for the reason before anything else so the form says it first.
        reason = require_reason(reason)
    _check_target(target)
    after = target_snapshot(target)
    old, new = changed(before, after)
    if not new:
        return
    if target.is_draft:
        record("target.updated", target, actor=actor, before=old, after=new)
        return
    _add_revision(target, actor, reason, after)
    record("target.revised", target, actor=actor, before=old,
           after={**new, "revision": target.revision, "reason": reason})
    if any(key in new for key in REALIGN_FIELDS):
        flag_aligned_goals(target, actor, why="target.revised")


def publish_target(target: StrategyTarget, actor, *, expected_version,
                   now: datetime | None = None) -> None:
    """A draft becomes visible to everyone, as revision 1."""
    can.enforce(can.can_publish_target(actor, target))
    check_version(target, expected_version)
    target.status = TargetStatus.PUBLISHED.value
    target.published_at = now or utcnow()
    _add_revision(target, actor, "", target_snapshot(target))  # revision 1: the publication
    record("target.published", target, actor=actor, before={"status": "draft"},
           after={"status": "published", "revision": target.revision})


def retire_target(target: StrategyTarget, actor, *, reason: str, expected_version) -> int:
    """A published target is withdrawn with a reason; its aligned goals are flagged.
    Returns how many goals were flagged."""
    can.enforce(can.can_retire_target(actor, target))
    check_version(target, expected_version)
    reason = require_reason(reason)
    target.status = TargetStatus.RETIRED.value
    _add_revision(target, actor, reason, target_snapshot(target))
    record("target.retired", target, actor=actor, before={"status": "published"},
           after={"status": "retired", "revision": target.revision, "reason": reason})
    return flag_aligned_goals(target, actor, why="target.retired")


def _add_revision(target: StrategyTarget, actor, reason: str, data: dict) -> None:
    target.revision = (target.revision or 0) + 1
    db.session.add(TargetRevision(target=target, revision=target.revision, snapshot=data,
                                  reason=reason, changed_by=actor))


def flag_aligned_goals(target: StrategyTarget, actor, *, why: str) -> int:
    """Mark every goal aligned to `target` as needing re-alignment (audited)."""
    goals = db.session.scalars(
        select(DepartmentGoal).where(DepartmentGoal.target_id == target.id)).all()
    for goal in goals:
        if goal.needs_realignment:
            continue
        goal.needs_realignment = True
        record("goal.flagged", goal, actor=actor, before={"needs_realignment": False},
               after={"needs_realignment": True, "because": why, "target_id": target.id,
                      "target_revision": target.revision})
    return len(goals)


# Reading ----------------------------------------------------------------------------------

def visible_targets(cycle: Cycle, viewer):
    """A select() of the cycle's targets `viewer` may see, by title."""
    stmt = select(StrategyTarget).where(StrategyTarget.cycle_id == cycle.id)
    if not can.can_view_draft_targets(viewer):
        stmt = stmt.where(~StrategyTarget.is_draft)
    return stmt.order_by(StrategyTarget.is_retired,
                         StrategyTarget.title)


def published_targets(cycle_id: int) -> list[StrategyTarget]:
    """Targets goals may align to: published (not draft, not retired)."""
    return list(db.session.scalars(
        select(StrategyTarget).where(StrategyTarget.cycle_id == cycle_id,
                                     StrategyTarget.is_published)
        .order_by(StrategyTarget.title)))


def owner_options() -> list[tuple[int, str]]:
    """The active executives, who own strategy targets (a short list at any size)."""
    from ...models import PersonRole, Role

    return [tuple(row) for row in db.session.execute(
        select(Person.id, Person.display_name)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.EXECUTIVE.value, Person.active.is_(True))
        .order_by(Person.display_name))]
