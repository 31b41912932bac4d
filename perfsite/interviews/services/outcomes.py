"""Outcomes: what a rating leads to (bonus multiplier, promotion nomination, training, a
formal improvement plan).

Rules:
- Each cycle maps its rating bands to outcomes (OutcomeRule, one per band). Until HR saves
  them the defaults apply: the best band 1.5× and a promotion nomination, the next 1.2×,
  the middle ones 1.0×, the second worst 0.8× with training, the worst none and a formal
  improvement plan. HR changes them in the interviews phase (permissions.
  can_edit_outcome_rules); saving recomputes every outcome not yet approved or overridden.
- A person's Outcome is made when their interview is completed, from the rule of their
  final band, and follows their rating (an appeal that changes it recomputes it).
- The heads managing the person may recommend another outcome, always with a reason
  (can_override_outcome); executives approve a department's outcomes at once
  (can_approve_outcomes); an approved outcome no longer changes. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...errors import Invalid
from ...extensions import db
from ...models import Cycle, Outcome, OutcomeRule, Person
from ...rules import check_version, require_reason, to_decimal

FIELDS = ("bonus_multiplier", "promotion", "training", "improvement_plan")


@dataclass
class RuleRow:
    """A band with its rule (saved, or the default)."""

    band: object  # reviews.services.settings.Band
    rule: OutcomeRule


def _bands(cycle: Cycle):
    from ...reviews.services import settings as settings_service

    return settings_service.bands_of(settings_service.settings_for(cycle))


def default_rule(cycle: Cycle, position: int, count: int, code: str) -> OutcomeRule:
    last = count - 1
    multiplier, promotion, training, plan = Decimal("1.00"), False, False, False
    if position == 0 and count > 1:
        multiplier, promotion = Decimal("1.50"), True
    elif position == 1 and count > 3:
        multiplier = Decimal("1.20")
    elif position == last and count > 1:
        multiplier, plan = Decimal("0.00"), True
    elif position == last - 1 and count > 3:
        multiplier, training = Decimal("0.80"), True
    return OutcomeRule(cycle_id=cycle.id, band=code, bonus_multiplier=multiplier,
                       promotion=promotion, training=training, improvement_plan=plan)


def rules_for(cycle: Cycle) -> list[RuleRow]:
    bands = _bands(cycle)
    saved = {r.band: r for r in db.session.scalars(
        select(OutcomeRule).where(OutcomeRule.cycle_id == cycle.id))}
    return [RuleRow(band, saved.get(band.code) or default_rule(cycle, i, len(bands), band.code))
            for i, band in enumerate(bands)]


def _multiplier(value, field: str) -> Decimal:
    number = to_decimal(value, field)
    if number is None:
        raise Invalid(_l("Give a multiplier (1 is the standard bonus)."), field)
    if not Decimal(0) <= number <= Decimal(5):
        raise Invalid(_l("Between %(low)d and %(high)d.", low=0, high=5), field)
    if number != number.quantize(Decimal("0.01")):
        raise Invalid(_l("Use at most two decimals."), field)
    return number


def save_rules(cycle: Cycle, actor, rows: dict[str, dict], now: datetime) -> None:
    """HR sets the cycle's rules: `rows` maps band code -> {bonus_multiplier, promotion,
    training, improvement_plan}."""
    can.enforce(can.can_edit_outcome_rules(actor, cycle))
    checked = {}
    for row in rules_for(cycle):
        values = rows.get(row.band.code, {})
        checked[row.band.code] = {
            "bonus_multiplier": _multiplier(values.get("bonus_multiplier"),
                                            f"rule_{row.band.code}_bonus_multiplier"),
            **{flag: bool(values.get(flag)) for flag in FIELDS[1:]}}
    for row in rules_for(cycle):
        rule = row.rule
        before = snapshot(rule, FIELDS) if rule.id else {}
        for key, value in checked[row.band.code].items():
            setattr(rule, key, value)
        if rule.id is None:
            db.session.add(rule)
        old, new = changed(before, snapshot(rule, FIELDS))
        if new:
            db.session.flush()
            record("outcome_rule.saved", rule, actor=actor,
                   label=f"{cycle.name} · {rule.band}", before=old, after=new)
    db.session.flush()
    for outcome in db.session.scalars(select(Outcome).where(
            Outcome.cycle_id == cycle.id, Outcome.approved_at.is_(None),
            Outcome.overridden.is_(False))):
        _apply_rule(outcome, actor, now)


def get_outcome(cycle: Cycle, person: Person) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.cycle_id == cycle.id,
                                                   Outcome.person_id == person.id))


def _apply_rule(outcome: Outcome, actor, now: datetime) -> None:
    from ...reviews.services import scores

    result = scores.get_result(outcome.cycle, outcome.person)
    band = result.final_band if result and result.final_score is not None else None
    rule = next((r.rule for r in rules_for(outcome.cycle) if r.band.code == band), None)
    before = snapshot(outcome, ("band",) + FIELDS) if outcome.id else {}
    outcome.band = band
    if rule is not None:
        for key in FIELDS:
            setattr(outcome, key, getattr(rule, key))
    else:
        outcome.bonus_multiplier, outcome.promotion = Decimal(1), False
        outcome.training = outcome.improvement_plan = False
    outcome.updated_at = now
    if outcome.id is None:
        db.session.add(outcome)
    db.session.flush()
    old, new = changed(before, snapshot(outcome, ("band",) + FIELDS))
    if new:
        record("outcome.computed", outcome, actor=actor,
               label=f"{outcome.person.display_name} · {outcome.cycle.name}",
               before=old, after=new)


def refresh_for(cycle: Cycle, person: Person, actor, now: datetime, *,
                force: bool = False) -> Outcome:
    """Make or recompute `person`'s outcome from their final band; an approved one stays,
    an overridden one stays unless `force` (their rating changed on appeal)."""
    outcome = get_outcome(cycle, person)
    if outcome is None:
        outcome = Outcome(cycle=cycle, person=person, cycle_id=cycle.id, person_id=person.id,
                          department_id=person.department_id)
    elif outcome.is_approved or (outcome.overridden and not force):
        return outcome
    if force:
        outcome.overridden = False
        outcome.override_reason = ""
        outcome.overridden_by_id = None
    _apply_rule(outcome, actor, now)
    return outcome


def override(outcome: Outcome, actor, *, bonus_multiplier, promotion: bool, training: bool,
             improvement_plan: bool, reason: str, expected_version, now: datetime) -> None:
    """A head recommends another outcome than the rule's, with a reason."""
    can.enforce(can.can_override_outcome(actor, outcome))
    multiplier = _multiplier(bonus_multiplier, "bonus_multiplier")
    reason = require_reason(reason)
    check_version(outcome, expected_version)
    before = snapshot(outcome, FIELDS)
    outcome.bonus_multiplier = multiplier
    outcome.promotion, outcome.training = bool(promotion), bool(training)
    outcome.improvement_plan = bool(improvement_plan)
    outcome.overridden = True
    outcome.override_reason = reason
    outcome.overridden_by_id = actor.id
    outcome.updated_at = now
    old, new = changed(before, snapshot(outcome, FIELDS))
    record("outcome.overridden", outcome, actor=actor,
           label=f"{outcome.person.display_name} · {outcome.cycle.name}",
           before=old, after={**new, "reason": reason})


def outcomes_query(cycle: Cycle, department_id: int | None = None):
    query = (select(Outcome).join(Person, Person.id == Outcome.person_id)
             .where(Outcome.cycle_id == cycle.id)
             .options(joinedload(Outcome.person), joinedload(Outcome.department),
                      joinedload(Outcome.overridden_by), joinedload(Outcome.approved_by))
             .order_by(Person.display_name, Outcome.id))
    if department_id is not None:
        query = query.where(Outcome.department_id == department_id)
    return query


def visible_outcomes(cycle: Cycle, actor, department_id: int | None = None):
    """The outcomes `actor` may read: HR and executives all, a head those they manage."""
    query = outcomes_query(cycle, department_id)
    if not can.sees_whole_company(actor):
        query = query.where(can.managed_people_clause(actor))
    return query


def pending_by_department(cycle: Cycle) -> list[tuple[int | None, str, int]]:
    """(department id, name, outcomes waiting for approval) per department."""
    from sqlalchemy import func

    from ...models import Department

    rows = db.session.execute(
        select(Outcome.department_id, Department.name, func.count(Outcome.id))
        .outerjoin(Department, Department.id == Outcome.department_id)
        .where(Outcome.cycle_id == cycle.id, Outcome.approved_at.is_(None))
        .group_by(Outcome.department_id, Department.name).order_by(Department.name)).all()
    return [(dept_id, name or "—", count) for dept_id, name, count in rows]


def approve_department(cycle: Cycle, actor, department_id: int | None,
                       now: datetime) -> int:
    """An executive approves the department's outcomes waiting; returns how many."""
    can.enforce(can.can_approve_outcomes(actor, cycle))
    waiting = list(db.session.scalars(
        outcomes_query(cycle, department_id).where(Outcome.approved_at.is_(None))))
    if not waiting:
        raise Invalid(_l("No outcomes of this department are waiting for approval."),
                      "department_id")
    for outcome in waiting:
        outcome.approved_at = outcome.updated_at = now
        outcome.approved_by_id = actor.id
        record("outcome.approved", outcome, actor=actor,
               label=f"{outcome.person.display_name} · {cycle.name}",
               after={"band": outcome.band, **{k: str(getattr(outcome, k)) if k ==
                      "bonus_multiplier" else getattr(outcome, k) for k in FIELDS}})
    return len(waiting)
