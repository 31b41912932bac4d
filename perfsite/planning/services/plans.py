"""A person's plan and its KPIs: who may change what, and the plan's state machine.

    draft --submit (the person)--> submitted --approve (head/manager)--> approved
      ^                                |                                    |
      |                                +--return with comment--> returned   |
      +------------- reopen for revision, with a reason (head/manager) -----+

Rules:
- The person submits their own plan, only when it has KPIs, every KPI is aligned to a
  department goal and the weights add up to exactly 100 (declined proposals weigh
  nothing; pending ones count, the head decides them before approving).
- The head of the person's department (or of a department above it) or the person's
  manager approves or returns it (with a comment); never the person themselves. Approval
  needs every proposal decided and the weights still at 100.
- An approved plan changes only through a revision with a reason, which reopens it.
- The head or manager assigns KPIs and edits any KPI while the plan is not approved; the
  person proposes KPIs and edits their own proposals while the plan is a draft or
  returned. The head accepts (possibly after editing) or declines a proposal with a comment.
- Planning edits happen in the planning phase; in progress and review the same actions
  are revisions (a reopened plan); nothing changes in other phases.
- Every change is audited with before/after.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import changed, record, snapshot
from ...errors import Invalid
from ...extensions import db
from ...models import (
    Cycle,
    DepartmentGoal,
    Kpi,
    KpiOrigin,
    Person,
    PersonalPlan,
    PlanStatus,
    ProposalStatus,
    utcnow,
)
from ...rules import check_version, clean_text, require_reason
from .common import (
    WeightTotal,
    clean_actual,
    clean_measure,
    clean_title,
    clean_weight,
    kpi_owner_label,
)
from .goals import flagged_goals_for, kpi_goal_choices

KPI_FIELDS = ("title", "goal_id", "metric_type", "baseline", "target_value", "unit", "weight",
              "due_date")


def plan_label(plan: PersonalPlan) -> str:
    return f"{plan.person.display_name} · {plan.cycle.name}"


def kpi_label(kpi: Kpi) -> str:
    return f"{kpi.title} · {kpi.plan.person.display_name}"


def kpi_snapshot(kpi: Kpi) -> dict:
    return snapshot(kpi, KPI_FIELDS + ("actual_value", "origin", "proposal_status",
                                       "head_comment"))


# Plans --------------------------------------------------------------------------------------

def get_plan(cycle: Cycle, person: Person) -> PersonalPlan | None:
    return db.session.scalar(select(PersonalPlan).where(
        PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id == person.id))


def plan_for(cycle: Cycle, person: Person) -> PersonalPlan:
    """The person's plan for the cycle: the saved one, or a new draft (not saved yet) that
    the predicates and the plan page can ask about."""
    return get_plan(cycle, person) or draft_plan(cycle, person)


def draft_plan(cycle: Cycle, person: Person) -> PersonalPlan:
    """A new, empty draft (not saved): for someone known to have no plan yet, without
    asking the database again (pages that load many people's plans at once)."""
    return PersonalPlan(cycle=cycle, person=person, cycle_id=cycle.id, person_id=person.id,
                        status=PlanStatus.DRAFT.value, kpis=[], revision=0)


def _save_new_plan(plan: PersonalPlan, actor) -> PersonalPlan:
    """A plan is saved when its first KPI is added."""
    if plan.id is None:
        db.session.add(plan)
        db.session.flush()
        record("plan.created", plan, actor=actor, label=plan_label(plan),
               after={"status": plan.status})
    return plan


def kpi_weight_total(plan: PersonalPlan | None, person: Person) -> WeightTotal:
    kpis = plan.kpis if plan is not None else []
    return WeightTotal.of(kpi_owner_label(person), (k.weight for k in kpis if k.counts))


def submit_problems(plan: PersonalPlan | None, person: Person) -> list[str]:
    """Why the plan cannot be submitted (or approved) as it stands; empty when it can."""
    counting = [k for k in (plan.kpis if plan else []) if k.counts]
    if not counting:
        return [str(_l("Add at least one KPI."))]
    problems = []
    totals = kpi_weight_total(plan, person)
    if not totals.complete:
        problems.append(totals.message)
    unaligned = sum(1 for k in counting if k.goal_id is None)
    if unaligned:
        problems.append(str(lazy_ngettext(
            "%(num)d KPI is not aligned to a department goal yet.",
            "%(num)d KPIs are not aligned to a department goal yet.", unaligned)))
    return problems


def _move(plan: PersonalPlan, actor, action: str, to: PlanStatus, **extra) -> None:
    before = {"status": plan.status}
    plan.status = to.value
    record(action, plan, actor=actor, label=plan_label(plan), before=before,
           after={"status": to.value, **extra})


def submit_plan(plan: PersonalPlan, actor, *, expected_version,
                now: datetime | None = None) -> None:
    """The person sends their plan to their head once its weights add up to 100."""
    can.enforce(can.can_submit_plan(actor, plan))
    problems = submit_problems(plan, plan.person)
    if problems:
        raise Invalid(_l("Not submitted yet: %(problems)s", problems=" ".join(problems)),
                      "weights")
    # Last: the rules speak first, then "it changed since you looked".
    check_version(plan, expected_version)
    plan.submitted_at = now or utcnow()
    _move(plan, actor, "plan.submitted", PlanStatus.SUBMITTED)


def approve_plan(plan: PersonalPlan, actor, *, expected_version,
                 now: datetime | None = None) -> None:
    """The head or manager approves a submitted plan whose proposals are all decided."""
    can.enforce(can.can_approve_plan(actor, plan))
    pending = sum(1 for k in plan.kpis if k.is_pending)
    if pending:
        raise Invalid(lazy_ngettext("Accept or decline the proposed KPI first.",
                                          "Accept or decline the %(num)d proposed KPIs first.",
                                          pending), "weights")
    problems = submit_problems(plan, plan.person)
    if problems:
        raise Invalid(" ".join(problems), "weights")
    check_version(plan, expected_version)
    plan.approved_at = now or utcnow()
    plan.approved_by = actor
    plan.return_comment = ""
    _move(plan, actor, "plan.approved", PlanStatus.APPROVED)
    _tell_owner(plan, actor, "plan_approved")


def return_plan(plan: PersonalPlan, actor, *, comment: str, expected_version,
                now: datetime | None = None) -> None:
    """The head or manager sends a submitted plan back with a comment."""
    can.enforce(can.can_return_plan(actor, plan))
    check_version(plan, expected_version)
    comment = require_reason(comment, "comment")
    plan.return_comment = comment
    plan.returned_at = now or utcnow()
    _move(plan, actor, "plan.returned", PlanStatus.RETURNED, comment=comment)
    _tell_owner(plan, actor, "plan_returned", comment=comment)


def _tell_owner(plan: PersonalPlan, actor, kind: str, **params) -> None:
    """The person hears that their head decided their plan (not when they act on their own
    plan themselves)."""
    from ...coaching.services import notifications

    if plan.person_id != actor.id:
        notifications.notify(plan.person, kind, f"plan:{plan.cycle_id}:{plan.person_id}",
                             actor=actor.display_name, cycle=plan.cycle.name, **params)


def reopen_plan(plan: PersonalPlan, actor, *, reason: str, expected_version) -> None:
    """An approved plan changes only through a revision: the head or manager reopens it
    with a reason, and it goes through submit and approval again."""
    can.enforce(can.can_reopen_plan(actor, plan))
    check_version(plan, expected_version)
    reason = require_reason(reason)
    plan.revision += 1
    plan.approved_at = None
    plan.approved_by = None
    _move(plan, actor, "plan.reopened", PlanStatus.DRAFT, reason=reason, revision=plan.revision)


# KPIs ---------------------------------------------------------------------------------------

def _check_kpi(kpi: Kpi, plan: PersonalPlan) -> None:
    kpi.title = clean_title(kpi.title)
    kpi.unit = clean_text(kpi.unit, field="unit", limit=30, multiline=False)
    kpi.metric_type, kpi.baseline, kpi.target_value = clean_measure(
        kpi.metric_type, kpi.baseline, kpi.target_value)
    kpi.weight = clean_weight(kpi.weight)
    if kpi.goal_id is None:
        raise Invalid(_l("Choose the department goal this KPI serves."), "goal_id")
    allowed = {g.id for g in kpi_goal_choices(plan.cycle_id, plan.person.department_id)}
    if kpi.goal_id not in allowed:
        raise Invalid(_l("Choose a goal of %(name)s's department or one it contributes "
                               "to.", name=plan.person.display_name), "goal_id")
    clash = db.session.scalar(select(Kpi.id).where(
        Kpi.plan_id == plan.id, func.lower(Kpi.title) == kpi.title.lower(),
        Kpi.id != (kpi.id or 0)))
    if clash:
        raise Invalid(_l("This plan already has a KPI with this title."), "title")


def _new_kpi(plan: PersonalPlan, actor, origin: KpiOrigin, fields: dict) -> Kpi:
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise KeyError(unknown.pop())
    kpi = Kpi(origin=origin.value, **fields)
    if origin is KpiOrigin.PROPOSED:
        kpi.proposal_status = ProposalStatus.PENDING.value
    _check_kpi(kpi, plan)
    _save_new_plan(plan, actor)
    plan.kpis.append(kpi)
    db.session.flush()
    record("kpi.created", kpi, actor=actor, label=kpi_label(kpi), after=kpi_snapshot(kpi))
    return kpi


def assign_kpi(plan: PersonalPlan, actor, **fields) -> Kpi:
    """The head or manager gives the person a KPI aligned to a department goal."""
    can.enforce(can.can_assign_kpi(actor, plan))
    return _new_kpi(plan, actor, KpiOrigin.ASSIGNED, fields)


def propose_kpi(plan: PersonalPlan, actor, **fields) -> Kpi:
    """The person proposes a KPI of their own (aligned to a goal) for the head to decide."""
    can.enforce(can.can_propose_kpi(actor, plan))
    return _new_kpi(plan, actor, KpiOrigin.PROPOSED, fields)


def add_kpi(plan: PersonalPlan, actor, **fields) -> Kpi:
    """The person proposes, whoever manages them assigns."""
    make = propose_kpi if plan.person_id == actor.id else assign_kpi
    return make(plan, actor, **fields)


def update_kpi(kpi: Kpi, actor, *, expected_version, **fields) -> bool:
    """Edit a KPI (see permissions.can_edit_kpi for who). A person editing a declined
    proposal proposes it again. Returns whether anything changed."""
    can.enforce(can.can_edit_kpi(actor, kpi))
    check_version(kpi, expected_version)
    before = kpi_snapshot(kpi)
    for key, value in fields.items():
        if key not in KPI_FIELDS:
            raise KeyError(key)
        setattr(kpi, key, value)
    _check_kpi(kpi, kpi.plan)
    if actor.id == kpi.plan.person_id and kpi.is_declined:
        kpi.proposal_status = ProposalStatus.PENDING.value
    old, new = changed(before, kpi_snapshot(kpi))
    if not new:
        return False
    record("kpi.updated", kpi, actor=actor, label=kpi_label(kpi), before=old, after=new)
    return True


def delete_kpi(kpi: Kpi, actor, *, expected_version) -> None:
    can.enforce(can.can_edit_kpi(actor, kpi))
    check_version(kpi, expected_version)
    record("kpi.deleted", kpi, actor=actor, label=kpi_label(kpi), before=kpi_snapshot(kpi))
    kpi.plan.kpis.remove(kpi)
    db.session.flush()


def decide_proposal(kpi: Kpi, actor, *, accept: bool, comment: str = "",
                    expected_version) -> None:
    """The head accepts or declines (with a comment) a KPI the person proposed."""
    can.enforce(can.can_decide_proposal(actor, kpi))
    check_version(kpi, expected_version)
    comment = clean_text(comment, field="comment", limit=2000)
    if not accept:
        comment = require_reason(comment, "comment")
    before = {"proposal_status": kpi.proposal_status, "head_comment": kpi.head_comment}
    kpi.proposal_status = (ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED).value
    kpi.head_comment = comment
    record("kpi.accepted" if accept else "kpi.declined", kpi, actor=actor,
           label=kpi_label(kpi), before=before,
           after={"proposal_status": kpi.proposal_status, "head_comment": comment})


def set_kpi_actual(kpi: Kpi, actor, value) -> None:
    """Where a KPI stands now. The one write path is a check-in (coaching.checkins calls
    this), so the timeline and the rollup never disagree."""
    can.enforce(can.can_check_in(actor, kpi))
    before = kpi.actual_value
    kpi.actual_value = clean_actual(kpi.metric_type, value)
    if before != kpi.actual_value:
        record("kpi.actual_set", kpi, actor=actor, label=kpi_label(kpi),
               before={"actual_value": None if before is None else str(before)},
               after={"actual_value": None if kpi.actual_value is None
                      else str(kpi.actual_value)})


# Reading ------------------------------------------------------------------------------------

def plan_with_kpis(cycle: Cycle, person: Person) -> PersonalPlan | None:
    """The plan with its KPIs, their goals and the goals' targets, in one query."""
    return db.session.scalar(
        select(PersonalPlan)
        .where(PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id == person.id)
        .options(joinedload(PersonalPlan.kpis).joinedload(Kpi.goal)
                 .joinedload(DepartmentGoal.target),
                 joinedload(PersonalPlan.kpis).joinedload(Kpi.goal)
                 .joinedload(DepartmentGoal.department),
                 joinedload(PersonalPlan.approved_by)))


def plans_waiting_for(user, cycle: Cycle | None = None) -> list[PersonalPlan]:
    """Submitted plans `user` is asked to decide on: those whose approver they are
    (permissions.approver_id) and may approve now (permissions.can_approve_plan), decided
    for the whole list in SQL by the predicates' twins (permissions/twins.py: approver,
    manages, the phases), not asked row by row (tests/test_scale.py holds them equal)."""
    if not user.is_authenticated:
        return []
    stmt = (select(PersonalPlan).join(Person, Person.id == PersonalPlan.person_id)
            .join(Cycle, Cycle.id == PersonalPlan.cycle_id)
            .where(PersonalPlan.awaiting_approval,  # can_approve_plan: a submitted plan,
                   can.approved_by_clause(user),  # approver_id(person) == user.id,
                   can.managed_people_clause(user),  # can_manage_plan_of(user, person),
                   can.phase_clause("edit_plans", "revise_plans"))  # _plan_phase(cycle)
            .options(joinedload(PersonalPlan.person), joinedload(PersonalPlan.cycle))
            .order_by(PersonalPlan.submitted_at))
    if cycle is not None:
        stmt = stmt.where(PersonalPlan.cycle_id == cycle.id)
    return list(db.session.scalars(stmt))


def people_to_assign_in(actor, department, cycle: Cycle) -> list[Person]:
    """The department's active people into whose plan `actor` may put a KPI now
    (permissions.can_assign_kpi), by name."""
    people = db.session.scalars(
        select(Person).where(Person.department_id == department.id, Person.active.is_(True))
        .order_by(Person.display_name)).all()
    plan_of = {p.person_id: p for p in db.session.scalars(select(PersonalPlan).where(
        PersonalPlan.cycle_id == cycle.id, PersonalPlan.person_id.in_([p.id for p in people])))}
    return [p for p in people
            if can.can_assign_kpi(actor, plan_of.get(p.id) or draft_plan(cycle, p))]


def home_summary(person) -> dict:
    """What the home page shows about planning: every open cycle with the person's plan in
    it, goals to re-align, plans waiting for them (a few queries)."""
    # The open cycles (open_cycles) with the person's plan in each, in one statement.
    cycles = db.session.execute(
        select(Cycle, PersonalPlan)
        .outerjoin(PersonalPlan, and_(PersonalPlan.cycle_id == Cycle.id,
                                      PersonalPlan.person_id == person.id))
        .where(can.phase_clause("work_in_cycle"))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())).all()
    return {"cycles": [(cycle, plan) for cycle, plan in cycles],
            "flagged": flagged_goals_for(person),
            "waiting": plans_waiting_for(person)}


def open_cycles() -> list[Cycle]:
    """The cycles people are working in (planning to interviews), newest first."""
    return list(db.session.scalars(
        select(Cycle).where(can.phase_clause("work_in_cycle"))
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())))
