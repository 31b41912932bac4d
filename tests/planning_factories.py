"""Planning data for tests, made through the services so rules and audit apply."""

from __future__ import annotations

import itertools
from decimal import Decimal

from perfsite.planning.services import goals, plans, targets

_seq = itertools.count(1)


def make_target(cycle, actor, title: str | None = None, publish: bool = True, **fields):
    fields.setdefault("metric_type", "percentage")
    fields.setdefault("baseline", Decimal("10"))
    fields.setdefault("target_value", Decimal("20"))
    target = targets.create_target(cycle, actor, title=title or f"Target {next(_seq)}",
                                   owner_id=actor.id, **fields)
    if publish:
        targets.publish_target(target, actor, expected_version=target.version)
    return target


def make_goal(cycle, department, actor, title: str | None = None, weight="100", target=None,
              **fields):
    fields.setdefault("metric_type", "numeric")
    fields.setdefault("baseline", Decimal("0"))
    fields.setdefault("target_value", Decimal("10"))
    return goals.create_goal(cycle, department, actor, title=title or f"Goal {next(_seq)}",
                             weight=Decimal(weight),
                             target_id=target.id if target is not None else None, **fields)


def make_kpi(cycle, person, actor, goal, title: str | None = None, weight="100", **fields):
    """Assign (or, when actor is the person, propose) a KPI in the person's plan."""
    fields.setdefault("metric_type", "numeric")
    fields.setdefault("baseline", Decimal("0"))
    fields.setdefault("target_value", Decimal("10"))
    plan = plans.plan_for(cycle, person)
    return plans.add_kpi(plan, actor, title=title or f"KPI {next(_seq)}", goal_id=goal.id,
                         weight=Decimal(weight), **fields)


# For the access matrix (tests/test_access_matrix.py): objects around `colleague` in
# Engineering, made in their own app context; each returns an id.

def _matrix_objects(company, app) -> dict:
    from perfsite.extensions import db
    from perfsite.models import Cycle, Department, Person

    with app.app_context():
        cycle = db.session.get(Cycle, company.cycle.id)
        executive = db.session.get(Person, company.exec.id)
        head = db.session.get(Person, company.head.id)
        colleague = db.session.get(Person, company.colleague.id)
        eng = db.session.get(Department, company.eng.id)
        target = make_target(cycle, executive, title="Matrix target")
        goal = make_goal(cycle, eng, head, title="Matrix goal", target=target)
        kpi = make_kpi(cycle, colleague, head, goal, title="Matrix KPI")
        db.session.commit()
        return {"target_id": target.id, "goal_id": goal.id, "kpi_id": kpi.id}


def matrix_value(name: str):
    """URL_VALUES entry for `name` (target_id, goal_id or kpi_id)."""
    def value(company, app):
        # Made once per test: a route with several ids, or several requests, share them.
        if not hasattr(company, "_planning_matrix"):
            company._planning_matrix = _matrix_objects(company, app)
        return company._planning_matrix[name]

    return value
