"""Bulk help for real departments: one KPI to many people; last cycle's plan as a start.

Rules:
- Copying a KPI gives each chosen person the same KPI (as assigned), in their plan for the
  cycle; people the actor does not manage, whose plan is approved, or who already have a
  KPI with that title are skipped and told apart.
- Copying last cycle's plan starts from the KPIs a person had in the previous cycle (the
  newest one that started earlier): same titles, metrics, targets and weights; last
  cycle's actual becomes the new baseline; due dates move with the cycle. A KPI is aligned
  to this cycle's goal with the same title when there is one, otherwise left for the head
  to align (the plan cannot be submitted until it is). Only an empty plan receives a copy
  (permissions.can_copy_previous_plan): copying never adds to KPIs a plan already has.
- The same rules and audit as adding KPIs one by one; a few queries for the whole batch.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import permissions as can
from ...audit.services import record
from ...errors import StateError
from ...extensions import db
from ...models import Cycle, Kpi, KpiOrigin, Person, PersonalPlan
from .goals import kpi_goal_choices
from .plans import assign_kpi, draft_plan, kpi_label, kpi_snapshot, plan_label


@dataclass
class CopyResult:
    copied: list[str] = field(default_factory=list)    # people who received something
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (person, why)
    kpis: int = 0
    unaligned: int = 0


def _plans_by_person(cycle: Cycle, people: list[Person]) -> dict[int, PersonalPlan]:
    """Each person's plan for the cycle, with its KPIs (one query); a new draft, not saved
    yet, for those who have none."""
    plans = {p.person_id: p for p in db.session.scalars(
        select(PersonalPlan).where(PersonalPlan.cycle_id == cycle.id,
                                   PersonalPlan.person_id.in_([p.id for p in people]))
        .options(selectinload(PersonalPlan.kpis)))}
    for person in people:
        if person.id not in plans:
            plans[person.id] = draft_plan(cycle, person)
    return plans


def _save_new(plans, actor) -> None:
    started = [plan for plan in plans if plan.id is None]
    db.session.add_all(started)
    db.session.flush()
    for plan in started:
        record("plan.created", plan, actor=actor, label=plan_label(plan),
               after={"status": plan.status})


def copy_kpi_to_people(kpi: Kpi, actor, people: list[Person]) -> CopyResult:
    """Give `people` the same KPI, aligned to the same goal."""
    can.enforce(can.can_copy_kpi(actor, kpi))
    result = CopyResult()
    people = [p for p in people if p.id != kpi.plan.person_id]
    plans = _plans_by_person(kpi.plan.cycle, people)
    choices: dict[int | None, set[int]] = {}
    for person in people:
        name = person.display_name
        plan = plans[person.id]
        allowed = can.can_assign_kpi(actor, plan)
        if not allowed:
            result.skipped.append((name, str(_l("not someone you manage")) if allowed.forbidden
                                   else allowed.reason))
            continue
        if any(k.title.lower() == kpi.title.lower() for k in plan.kpis):
            result.skipped.append((name, str(_l("already has this KPI"))))
            continue
        if person.department_id not in choices:
            choices[person.department_id] = {
                g.id for g in kpi_goal_choices(kpi.plan.cycle_id, person.department_id)}
        if kpi.goal_id not in choices[person.department_id]:
            result.skipped.append((name, str(_l("the goal is not one of their department's"))))
            continue
        assign_kpi(plan, actor, title=kpi.title, goal_id=kpi.goal_id,
                   metric_type=kpi.metric_type, baseline=kpi.baseline,
                   target_value=kpi.target_value, unit=kpi.unit, weight=kpi.weight,
                   due_date=kpi.due_date)
        result.copied.append(name)
        result.kpis += 1
    return result


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The newest cycle that started before this one."""
    return db.session.scalar(
        select(Cycle).where(Cycle.start_date < cycle.start_date, Cycle.id != cycle.id)
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()).limit(1))


def copy_previous_plans(cycle: Cycle, actor, people: list[Person]) -> CopyResult:
    """Start each person's empty plan from their plan of the previous cycle (see the
    module's rules)."""
    plans = _plans_by_person(cycle, people)
    result = CopyResult()
    eligible = []
    for person in people:
        allowed = can.can_copy_previous_plan(actor, plans[person.id])
        if not allowed and (allowed.forbidden or not isinstance(allowed.error, StateError)):
            can.enforce(allowed)  # someone not managed, or the phase: nothing is copied
        if not allowed:
            result.skipped.append((person.display_name, allowed.reason))
        else:
            eligible.append(person)
    source_cycle = previous_cycle(cycle)
    if source_cycle is None:
        result.skipped.extend((p.display_name, str(_l("no earlier cycle"))) for p in eligible)
        return result
    months = ((cycle.start_date.year - source_cycle.start_date.year) * 12
              + cycle.start_date.month - source_cycle.start_date.month)
    old_kpis: dict[int, list[Kpi]] = {}
    for old, person_id in db.session.execute(
            select(Kpi, PersonalPlan.person_id).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .where(PersonalPlan.cycle_id == source_cycle.id, Kpi.counts,
                   PersonalPlan.person_id.in_([p.id for p in eligible]))
            .options(selectinload(Kpi.goal))
            .order_by(Kpi.id)):
        old_kpis.setdefault(person_id, []).append(old)
    goals_by_department: dict[int | None, dict[str, int]] = {}
    for department_id in {p.department_id for p in eligible}:
        goals_by_department[department_id] = {
            g.title.strip().lower(): g.id for g in kpi_goal_choices(cycle.id, department_id)}
    _save_new([plans[p.id] for p in eligible if p.id in old_kpis], actor)
    for person in eligible:
        name = person.display_name
        if person.id not in old_kpis:
            result.skipped.append((name, str(_l("no plan in %(cycle)s",
                                                 cycle=source_cycle.name))))
            continue
        plan = plans[person.id]
        goal_ids = goals_by_department.get(person.department_id, {})
        for old in old_kpis[person.id]:
            goal_id = goal_ids.get(old.goal.title.strip().lower()) if old.goal else None
            kpi = Kpi(plan=plan, title=old.title, goal_id=goal_id,
                      metric_type=old.metric_type,
                      baseline=old.actual_value if old.actual_value is not None
                      else old.baseline,
                      target_value=old.target_value, unit=old.unit, weight=old.weight,
                      due_date=shift_months(old.due_date, months) if old.due_date else None,
                      origin=KpiOrigin.ASSIGNED.value)
            db.session.add(kpi)
            db.session.flush()
            record("kpi.created", kpi, actor=actor, label=kpi_label(kpi),
                   after={**kpi_snapshot(kpi), "copied_from": old.id})
            result.unaligned += goal_id is None
        copied = len(old_kpis[person.id])
        record("plan.copied", plan, actor=actor, label=plan_label(plan),
               after={"from_cycle": source_cycle.name, "kpis": copied})
        result.copied.append(name)
        result.kpis += copied
    return result


def copy_preview(cycle: Cycle, actor, people: list[Person]) -> dict[int, list[Kpi]]:
    """What copy_previous_plans would add, by person id, for the confirmation page."""
    source_cycle = previous_cycle(cycle)
    if source_cycle is None:
        return {}
    found: dict[int, list[Kpi]] = {}
    for old, person_id in db.session.execute(
            select(Kpi, PersonalPlan.person_id).join(PersonalPlan, PersonalPlan.id == Kpi.plan_id)
            .where(PersonalPlan.cycle_id == source_cycle.id, Kpi.counts,
                   PersonalPlan.person_id.in_([p.id for p in people]))
            .order_by(Kpi.id)):
        found.setdefault(person_id, []).append(old)
    return found
