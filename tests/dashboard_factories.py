"""A company of N departments with a cycle's worth of data, for the dashboards' query counts.

Rows are added as they are (not through the services): the values follow the rules (weights
add up to 100, plans approved), and the goals' stored KPI sums are kept by the flush
listener of planning.services.progress, as with any KPI written.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    Department,
    DepartmentGoal,
    Kpi,
    Obstacle,
    Person,
    PersonalPlan,
    PersonRole,
    Phase,
    ResourceRequest,
    Review,
    ReviewResult,
    StrategyTarget,
)

from .factories import make_cycle

_seq = itertools.count(1)
STATUSES = ["on_track", "at_risk", "off_track"]
BANDS = ["S", "A", "B", "C", "D"]


def _person(department: Department, manager: Person | None, role: str = "staff") -> Person:
    n = next(_seq)
    person = Person(username=f"dash{n}", display_name=f"Dash Person {n}",
                    email=f"dash{n}@example.com", employee_number=f"DB{n:06d}",
                    job_title="Analyst", department=department, manager=manager, active=True)
    person.role_rows.append(PersonRole(role=role))
    db.session.add(person)
    return person


def grow_company(company, departments: int, people_per_department: int = 3):
    """Add `departments` departments beneath the Executive Team, each with a head and
    people, plans of two KPIs with check-ins, an obstacle and a request, reviews and
    results, in a cycle in review. Returns the cycle."""
    cycle = make_cycle(f"Dashboard cycle {next(_seq)}", Phase.REVIEW)
    exec_team = db.session.get(Department, company.exec_team.id)
    target = StrategyTarget(cycle=cycle, title=f"Grow {next(_seq)}", metric_type="numeric",
                            baseline=Decimal(0), target_value=Decimal(100), status="published",
                            revision=1, owner_id=company.exec.id)
    db.session.add(target)
    moment = datetime(2027, 2, 1, tzinfo=UTC)
    for d in range(departments):
        n = next(_seq)
        department = Department(code=f"DB{n}", name=f"Dashboard Dept {n:04d}",
                                parent=exec_team, active=True)
        db.session.add(department)
        head = _person(department, None, "head")
        db.session.flush()
        department.head_id = head.id
        goal = DepartmentGoal(cycle=cycle, department=department, target=target,
                              title=f"Goal {n}", weight=Decimal(100), metric_type="numeric",
                              baseline=Decimal(0), target_value=Decimal(10))
        db.session.add(goal)
        for p in range(people_per_department):
            person = _person(department, head)
            plan = PersonalPlan(cycle=cycle, person=person, status="approved")
            db.session.add(plan)
            for k, weight in enumerate((60, 40)):
                kpi = Kpi(plan=plan, goal=goal, title=f"KPI {k}", weight=Decimal(weight),
                          metric_type="numeric", baseline=Decimal(0), target_value=Decimal(10),
                          actual_value=Decimal((d + p + k) % 11))
                db.session.add(kpi)
                for c in range(2):
                    db.session.add(CheckIn(kpi=kpi, author=person,
                                           actual_value=Decimal((d + p + k + c) % 11),
                                           status=STATUSES[(d + p + k + c) % 3],
                                           created_at=moment + timedelta(days=c * 20)))
            for kind in ("self", "manager"):
                db.session.add(Review(cycle=cycle, person=person, kind=kind,
                                      author=person if kind == "self" else head,
                                      status="submitted" if (p + d) % 2 == 0 else "draft"))
            score = Decimal(1 + (d + p) % 5)
            db.session.add(ReviewResult(cycle=cycle, person=person, goal_score=score,
                                        competency_score=score, self_score=score,
                                        final_score=score, band=BANDS[(d + p) % 5]))
            if p == 0:
                db.session.flush()
                db.session.add(Obstacle(cycle_id=cycle.id, kpi=kpi, raised_by=person,
                                        owner=head, description="Blocked", status="open",
                                        created_at=moment))
                db.session.add(ResourceRequest(cycle_id=cycle.id, kpi=kpi, raised_by=person,
                                               owner=head, kind="tools", what="A laptop",
                                               status="open", created_at=moment))
    db.session.commit()
    return cycle
