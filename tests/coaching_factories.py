"""Data for the coaching tests: an in-progress cycle with approved plans, made through the
services so the rules and the audit apply. A fixed clock (NOW) keeps time-based rules
testable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from perfsite.cycles import services as cycles
from perfsite.models import Cycle, DepartmentGoal, Kpi, Phase, StrategyTarget
from perfsite.planning.services import plans

from .factories import Company, hr_admin, make_cycle
from .planning_factories import make_goal, make_kpi, make_target

NOW = datetime(2026, 9, 15, 9, 0, tzinfo=UTC)


@dataclass
class Running:
    """A cycle in progress: a target served by two Engineering goals (weights 60 and 40).
    The first goal is served by staff's `kpi` (weight 75, 0 -> 10) and colleague's
    `colleague_kpi` (25); the second by staff's `other` (25) and colleague's Docs (75)."""

    cycle: Cycle
    target: StrategyTarget
    goal: DepartmentGoal
    second_goal: DepartmentGoal
    kpi: Kpi
    other: Kpi
    colleague_kpi: Kpi


def approved_plan(cycle, person, head, kpis) -> list[Kpi]:
    made = [make_kpi(cycle, person, head, goal, title=title, weight=weight)
            for title, goal, weight in kpis]
    plan = made[0].plan
    plans.submit_plan(plan, person, expected_version=plan.version)
    plans.approve_plan(plan, head, expected_version=plan.version)
    return made


def running_cycle(c: Company, name: str = "2026 H2", phase: Phase = Phase.IN_PROGRESS,
                  **settings) -> Running:
    cycle = make_cycle(name, Phase.PLANNING, start_date=date(2026, 7, 1),
                       end_date=date(2026, 12, 31), **settings)
    target = make_target(cycle, c.exec, title="Grow revenue", baseline=Decimal(0),
                         target_value=Decimal(100))
    goal = make_goal(cycle, c.eng, c.head, title="Ship the portal", weight="60", target=target)
    second = make_goal(cycle, c.eng, c.head, title="Keep uptime", weight="40", target=target)
    kpi, other = approved_plan(cycle, c.staff, c.head, [("Portal features", goal, "75"),
                                                       ("Uptime", second, "25")])
    colleague_kpi, _docs = approved_plan(cycle, c.colleague, c.head,
                                         [("Bugs fixed", goal, "25"), ("Docs", second, "75")])
    actor = hr_admin()
    for step in list(Phase)[Phase.IN_PROGRESS.index:Phase(phase).index + 1]:
        cycles.move_phase(cycle, actor, step)
    return Running(cycle, target, goal, second, kpi, other, colleague_kpi)


# For the access matrix (tests/test_access_matrix.py): `colleague`'s check-in, obstacle,
# request, a head's comment and a notification in a running cycle; each returns an id.

def _matrix_objects(company, app) -> dict:
    from perfsite.coaching.services import checkins, notes
    from perfsite.extensions import db
    from perfsite.models import Department, Notification, Obstacle, Person, ResourceRequest

    with app.app_context():
        people = {name: db.session.get(Person, getattr(company, name).id)
                  for name in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
        departments = {name: db.session.get(Department, getattr(company, name).id)
                       for name in ("exec_team", "eng", "sales")}
        attached = Company(cycle=None, **people, **departments)
        run = running_cycle(attached, name="Matrix 2026 H2")
        colleague = people["colleague"]
        check_in = checkins.post_check_in(
            run.colleague_kpi, colleague, actual_value="3", status="at_risk",
            obstacle="Waiting for access", now=NOW,
            request={"kind": "tools", "what": "A licence", "why": "To test"})
        comment = notes.comment_on(check_in, people["head"], body="Let us talk", now=NOW)
        db.session.commit()
        return {
            "check_in_id": check_in.id, "comment_id": comment.id,
            "obstacle_id": db.session.scalar(db.select(Obstacle.id)),
            "request_id": db.session.scalar(db.select(ResourceRequest.id)),
            "notification_id": db.session.scalar(
                db.select(Notification.id).where(Notification.recipient_id == colleague.id)),
        }


def matrix_value(name: str):
    """URL_VALUES entry for `name` (check_in_id, comment_id, obstacle_id, request_id or
    notification_id)."""
    def value(company, app):
        # Made once per test: a route with several ids, or several requests, share them.
        if not hasattr(company, "_coaching_matrix"):
            company._coaching_matrix = _matrix_objects(company, app)
        return company._coaching_matrix[name]

    return value
