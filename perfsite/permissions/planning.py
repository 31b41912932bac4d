"""Planning: strategy targets, department goals, people's plans and KPIs.

Executives write strategy targets; everyone reads published ones. A head plans the
departments they manage (their subtree); a department's people read its goals. A
person's plan is read by those who may view the person, and managed (KPIs assigned,
approved, returned) by whoever manages them, never by the person.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import Department, Person, PlanStatus
from .answers import phase, state, who
from .org import (
    can_use_cycle,
    can_view_person,
    is_executive,
    managed_department_ids,
    manages,
    responsible_head_clause,
    responsible_head_id,
    sees_whole_company,
)
from .phases import is_allowed


def can_use_planning(user) -> bool:
    return user.is_authenticated


def can_view_draft_targets(user) -> bool:
    return sees_whole_company(user)


def can_view_target(user, target) -> bool:
    return can_use_cycle(user, target.cycle) and (
        target.status != "draft" or can_view_draft_targets(user))


def can_create_targets(user, cycle):
    return (who(is_executive(user), _l("Only executives write strategy targets."))
            and phase(cycle, "edit_targets"))


def can_edit_target(user, target):
    """A draft is edited in planning; a published target is revised with a reason until
    review ends; a retired one never changes."""
    answer = who(is_executive(user), _l("Only executives change strategy targets."))
    if not answer:
        return answer
    if target.status == "retired":
        return state(False, _l("A retired target no longer changes."))
    return phase(target.cycle, "edit_targets" if target.status == "draft" else "revise_targets")


def can_publish_target(user, target):
    return (who(is_executive(user), _l("Only executives publish strategy targets."))
            and state(target.status == "draft", _l("This target is already published."))
            and phase(target.cycle, "edit_targets"))


def can_retire_target(user, target):
    return (who(is_executive(user), _l("Only executives retire strategy targets."))
            and state(target.status == "published",
                      _l("Only a published target can be retired."))
            and phase(target.cycle, "revise_targets"))


# Planning: department goals ------------------------------------------------------------------

def plans_may_change(cycle) -> bool:
    """Plans and goals change in planning, and as revisions (with a reason) in progress
    and review; never in another phase."""
    return is_allowed(cycle, "edit_plans") or is_allowed(cycle, "revise_plans")


def revision_needs_reason(cycle) -> bool:
    """After planning, a change to a plan or goal is a revision and needs a reason."""
    return not is_allowed(cycle, "edit_plans")


def _plan_phase(cycle):
    return phase(cycle, "edit_plans") if is_allowed(cycle, "edit_plans") else \
        phase(cycle, "revise_plans")


def can_view_department_plan(user, department: Department) -> bool:
    return (sees_whole_company(user) or department.id in managed_department_ids(user)
            or (user.is_authenticated and user.department_id == department.id))


def can_view_department_people(user, department: Department) -> bool:
    """Every plan of the department's people (staff see only their own)."""
    return sees_whole_company(user) or department.id in managed_department_ids(user)


def can_manage_department_goals(user, department: Department):
    return who(department.id in managed_department_ids(user),
               _l("Only the head of %(department)s plans its goals.",
                  department=department.name))


def can_add_goal(user, department_plan):
    """`department_plan`: the DepartmentPlan (saved or not) of the cycle and department."""
    return (can_manage_department_goals(user, department_plan.department)
            and _plan_phase(department_plan.cycle))


def can_mark_plan_ready(user, department_plan):
    return (can_add_goal(user, department_plan)
            and state(not department_plan.is_ready, _l("The plan is ready already.")))


def can_view_goal(user, goal) -> bool:
    return can_use_cycle(user, goal.cycle) and (
        can_view_department_plan(user, goal.department) or (
            user.is_authenticated and user.department_id is not None
            and any(c.department_id == user.department_id for c in goal.contributors)))


def can_edit_goal(user, goal):
    """Edit, delete or re-align a goal."""
    return can_manage_department_goals(user, goal.department) and _plan_phase(goal.cycle)


def can_set_goal_actual(user, goal):
    return can_manage_department_goals(user, goal.department) and phase(goal.cycle, "check_in")


# Planning: people's plans and KPIs ------------------------------------------------------------

def can_view_plan_of(user, person: Person) -> bool:
    return can_view_person(user, person)


def can_view_plan(user, plan) -> bool:
    return can_use_cycle(user, plan.cycle) and can_view_person(user, plan.person)


def can_manage_plan_of(user, person: Person):
    """Assign KPIs, decide proposals, approve or return: whoever manages the person."""
    if user.is_authenticated and person.id == user.id:
        return who(False, _l("Your head or manager decides on your plan, not you."))
    return who(manages(user, person), _l("Only %(name)s's head or manager decides on this "
                                         "plan.", name=person.display_name))


def _not_approved(plan):
    return state(plan.status != PlanStatus.APPROVED,
                 _l("This plan is approved; it changes only through a revision with a reason."))


def can_assign_kpi(user, plan):
    """`plan`: the PersonalPlan (saved or a new draft) the KPI goes into."""
    return can_manage_plan_of(user, plan.person) and _plan_phase(plan.cycle) and \
        _not_approved(plan)


def assignable_people(user, plans) -> frozenset[int]:
    """`can_assign_kpi` decided for a page of plans of one cycle at once: the ids of the
    people whose plan `user` may assign KPIs to. The phase is asked once; no refusal is
    made for the rows left out (a test holds this equal to can_assign_kpi row by row)."""
    plans = list(plans)
    if not plans or not _plan_phase(plans[0].cycle):
        return frozenset()
    return frozenset(plan.person.id for plan in plans
                     if plan.status != PlanStatus.APPROVED and manages(user, plan.person))


def can_propose_kpi(user, plan):
    return (who(user.is_authenticated and plan.person_id == user.id,
                _l("Only %(name)s proposes KPIs for their own plan.",
                   name=plan.person.display_name))
            and _plan_phase(plan.cycle)
            and state(plan.is_open, _l("The plan is with your head now; propose more once "
                                       "it is returned or revised.")))


def can_add_kpi(user, plan):
    if user.is_authenticated and plan.person_id == user.id:
        return can_propose_kpi(user, plan)
    return can_assign_kpi(user, plan)


def can_edit_kpi(user, kpi):
    """Edit or remove a KPI: whoever manages the person, any KPI of a plan not approved;
    the person, their own proposals (pending or declined) while the plan is open."""
    plan = kpi.plan
    if user.is_authenticated and plan.person_id == user.id:
        return (who(kpi.origin == "proposed" and kpi.proposal_status != "accepted",
                    _l("You can change your own proposals while the plan is a draft or "
                       "returned; ask your head about the others."))
                and _plan_phase(plan.cycle)
                and state(plan.is_open, _l("The plan is with your head now.")))
    return can_manage_plan_of(user, plan.person) and _plan_phase(plan.cycle) and \
        _not_approved(plan)


def can_decide_proposal(user, kpi):
    return (can_manage_plan_of(user, kpi.plan.person) and _plan_phase(kpi.plan.cycle)
            and _not_approved(kpi.plan)
            and state(kpi.is_pending, _l("This KPI is not a pending proposal.")))


def can_copy_kpi(user, kpi):
    """Copy a KPI to colleagues' plans (each receiving plan is asked can_assign_kpi)."""
    return can_manage_plan_of(user, kpi.plan.person) and _plan_phase(kpi.plan.cycle)


def can_copy_previous_plan(user, plan):
    """Start an empty plan from last cycle's: never into a plan that has KPIs already."""
    return (can_assign_kpi(user, plan)
            and state(not any(k.counts for k in plan.kpis),
                      _l("This plan has KPIs already; copying would add to them.")))


def can_submit_plan(user, plan):
    return (who(user.is_authenticated and plan.person_id == user.id,
                _l("Only %(name)s can submit their own plan.", name=plan.person.display_name))
            and _plan_phase(plan.cycle)
            and state(plan.is_open, _l("This plan is already “%(status)s”.",
                                       status=plan.state.label)))


def _decides_submitted(user, plan, refusal):
    return (can_manage_plan_of(user, plan.person) and _plan_phase(plan.cycle)
            and state(plan.status == PlanStatus.SUBMITTED, refusal))


def can_approve_plan(user, plan):
    return _decides_submitted(user, plan, _l(
        "Only a submitted plan can be approved; this one is “%(status)s”.",
        status=plan.state.label))


def can_return_plan(user, plan):
    return _decides_submitted(user, plan, _l(
        "Only a submitted plan can be returned; this one is “%(status)s”.",
        status=plan.state.label))


def can_reopen_plan(user, plan):
    return (can_manage_plan_of(user, plan.person) and _plan_phase(plan.cycle)
            and state(plan.status == PlanStatus.APPROVED,
                      _l("Only an approved plan is revised; this one is “%(status)s”.",
                         status=plan.state.label)))


def approver_id(person) -> int | None:
    """Whose to-do a submitted plan is: the person's manager, else the responsible head.
    (Every head above may approve it; only this one is asked to.)"""
    return person.manager_id or responsible_head_id(person)


def approved_by_clause(user):
    """SQL twin of `approver_id(Person) == user.id`: the people whose plan `user` is asked
    to approve (and so, whose manager review they write and whose raters they approve)."""
    return (Person.manager_id == user.id) | (
        Person.manager_id.is_(None) & responsible_head_clause(user))

