"""Obstacles: something in the way of a KPI, tracked until it is resolved.

Rules (the state machine: open -> in hand -> resolved, or open -> resolved):
- The KPI's owner raises an obstacle while check-ins are open; it is owned by the head
  responsible for them (common.responsible_head).
- The owner, or a head now managing the person, takes it in hand and resolves it with a
  resolution note. HR sees every obstacle but moves none; the raiser sees their own.
- Resolved is final. There is no delete: an obstacle ends resolved or stays open (and,
  after the cycle's `overdue_after_days`, overdue) in front of its owner and HR.
- Every move is audited; resolving notifies the person who raised it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ... import permissions as can
from ...audit.services import record
from ...cycles.services import require_phase
from ...extensions import db
from ...models import CheckIn, Kpi, Obstacle, ObstacleStatus
from . import notifications
from .common import CoachingError, NotAllowed, check_version, require_text, responsible_head


def _link(obstacle: Obstacle) -> str:
    return f"obstacle:{obstacle.id}"


def raise_obstacle(kpi: Kpi, actor, *, description: str, check_in: CheckIn | None = None,
                   now: datetime) -> Obstacle:
    if not can.can_check_in(actor, kpi):
        raise NotAllowed(_l("Only the owner of a KPI raises obstacles on it."))
    require_phase(kpi.plan.cycle, "check_in")
    description = require_text(description, "obstacle", _l("Describe the obstacle."))
    owner = responsible_head(actor)
    if owner is None:
        raise CoachingError(_l("Nobody is responsible for you in the org chart yet; ask HR."),
                            "obstacle")
    obstacle = Obstacle(cycle_id=kpi.plan.cycle_id, kpi=kpi, check_in=check_in,
                        raised_by=actor, owner=owner, description=description,
                        status=ObstacleStatus.OPEN.value, created_at=now)
    db.session.add(obstacle)
    db.session.flush()
    record("obstacle.raised", obstacle, actor=actor, label=kpi.title,
           after={"kpi_id": kpi.id, "owner_id": owner.id, "description": description})
    return obstacle


def _require_handler(obstacle: Obstacle, actor) -> None:
    if not can.can_handle_item(actor, obstacle):
        raise NotAllowed(_l("Only %(name)s, who owns this obstacle, moves it.",
                            name=obstacle.owner.display_name))
    require_phase(obstacle.cycle, "handle_items")
    if obstacle.status == ObstacleStatus.RESOLVED:
        raise CoachingError(_l("This obstacle is resolved already."))


def take_in_hand(obstacle: Obstacle, actor, *, expected_version=None, now: datetime) -> None:
    check_version(obstacle, expected_version)
    _require_handler(obstacle, actor)
    if obstacle.status == ObstacleStatus.IN_HAND:
        return  # a double click
    obstacle.status = ObstacleStatus.IN_HAND.value
    record("obstacle.in_hand", obstacle, actor=actor, label=obstacle.kpi.title,
           before={"status": "open"}, after={"status": "in_hand"})
    notifications.notify(obstacle.raised_by, "obstacle_in_hand", _link(obstacle),
                         actor=actor.display_name, kpi=obstacle.kpi.title)


def resolve(obstacle: Obstacle, actor, *, resolution: str, expected_version=None,
            now: datetime) -> None:
    check_version(obstacle, expected_version)
    _require_handler(obstacle, actor)
    resolution = require_text(resolution, "resolution",
                              _l("Say how the obstacle was resolved."))
    before = obstacle.status
    obstacle.status = ObstacleStatus.RESOLVED.value
    obstacle.resolution = resolution
    obstacle.resolved_by_id = actor.id
    obstacle.resolved_at = now
    record("obstacle.resolved", obstacle, actor=actor, label=obstacle.kpi.title,
           before={"status": before}, after={"status": "resolved", "resolution": resolution})
    notifications.notify(obstacle.raised_by, "obstacle_resolved", _link(obstacle),
                         actor=actor.display_name, kpi=obstacle.kpi.title)
