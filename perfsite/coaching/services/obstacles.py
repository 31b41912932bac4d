"""Obstacles: something in the way of a KPI, tracked until it is resolved.

Rules (the state machine: open -> in hand -> resolved, or open -> resolved):
- The KPI's owner raises an obstacle as they check in (permissions.can_raise_item); it is
  owned by the head responsible for them (common.responsible_head).
- The owner, or a head now managing the person, takes it in hand and resolves it with a
  resolution note (permissions.can_take_obstacle, can_resolve_obstacle). HR sees every
  obstacle but moves none; the raiser sees their own.
- Resolved is final. There is no delete: an obstacle ends resolved or stays open (and,
  after the cycle's `overdue_after_days`, overdue) in front of its owner and HR.
- Every move is audited; resolving notifies the person who raised it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import CheckIn, Kpi, Obstacle, ObstacleStatus
from ...rules import check_version, clean_text
from . import notifications
from .common import responsible_head


def _link(obstacle: Obstacle) -> str:
    return f"obstacle:{obstacle.id}"


def raise_obstacle(kpi: Kpi, actor, *, description: str, check_in: CheckIn | None = None,
                   now: datetime) -> Obstacle:
    can.enforce(can.can_raise_item(actor, kpi))
    description = clean_text(description, field="obstacle",
                             required=_l("Describe the obstacle."))
    owner = responsible_head(actor)
    if owner is None:
        raise Invalid(_l("Nobody is responsible for you in the org chart yet; ask HR."),
                      "obstacle")
    obstacle = Obstacle(cycle_id=kpi.plan.cycle_id, kpi=kpi, check_in=check_in,
                        raised_by=actor, owner=owner, description=description,
                        status=ObstacleStatus.OPEN.value, created_at=now)
    db.session.add(obstacle)
    db.session.flush()
    record("obstacle.raised", obstacle, actor=actor, label=kpi.title,
           after={"kpi_id": kpi.id, "owner_id": owner.id, "description": description})
    return obstacle


def take_in_hand(obstacle: Obstacle, actor, *, expected_version, now: datetime) -> None:
    can.enforce(can.can_take_obstacle(actor, obstacle))
    check_version(obstacle, expected_version)
    obstacle.status = ObstacleStatus.IN_HAND.value
    record("obstacle.in_hand", obstacle, actor=actor, label=obstacle.kpi.title,
           before={"status": "open"}, after={"status": "in_hand"})
    notifications.notify(obstacle.raised_by, "obstacle_in_hand", _link(obstacle),
                         actor=actor.display_name, kpi=obstacle.kpi.title)


def resolve(obstacle: Obstacle, actor, *, resolution: str, expected_version,
            now: datetime) -> None:
    can.enforce(can.can_resolve_obstacle(actor, obstacle))
    check_version(obstacle, expected_version)
    resolution = clean_text(resolution, field="resolution",
                            required=_l("Say how the obstacle was resolved."))
    before = obstacle.status
    obstacle.status = ObstacleStatus.RESOLVED.value
    obstacle.resolution = resolution
    obstacle.resolved_by_id = actor.id
    obstacle.resolved_at = now
    record("obstacle.resolved", obstacle, actor=actor, label=obstacle.kpi.title,
           before={"status": before}, after={"status": "resolved", "resolution": resolution})
    notifications.notify(obstacle.raised_by, "obstacle_resolved", _link(obstacle),
                         actor=actor.display_name, kpi=obstacle.kpi.title)
