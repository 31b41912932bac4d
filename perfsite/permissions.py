"""Who may do what, when: the one place access rules live.

Every action has one predicate `can_<action>(user, obj)` that answers for the person, the
object, the cycle's phase and the object's state together. The view guards with it, the
htmx fragment endpoint guards with it, the service enforces it, the template asks it
whether to show the button, and the to-do list asks it whether to list the task. Nothing
else re-decides it.

A predicate answers `True`, or a `Refusal`, which is falsy (templates and `if` read it as
no) and says why:
- who: this person may never do this to this object  -> NotAllowed, 403;
- phase: the cycle's phase does not allow it now       -> PhaseError, 409;
- state: the object's state does not allow it          -> StateError, 409.
`ensure(answer)` is the view's guard: it answers 403 for "who" and lets phase and state
refusals through, so the service can explain them next to the form. `enforce(answer)` is
the service's: it raises the refusal's error.

The org rules:
- HR admins administer the org chart, cycles and the audit log; they facilitate and read,
  and decide nothing in people's plans.
- Executives see company-wide (read-only on the org) and write strategy targets.
- A department head manages the subtree of the departments they head.
- Staff see their own records; a manager also sees their direct reports.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from .cycles.services import is_allowed
from .errors import NotAllowed, PhaseError, StateError
from .extensions import db
from .models import (
    Department,
    Person,
    PlanStatus,
    RequestStatus,
    Role,
)

# Answers ---------------------------------------------------------------------------------


class Refusal:
    """A "no" that says why. Falsy, so `if can_x(user, obj)` reads it as a plain no."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error

    def __bool__(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self.error.message

    @property
    def forbidden(self) -> bool:
        """A "who" refusal: the person may never do this (403)."""
        return isinstance(self.error, NotAllowed)

    def __repr__(self) -> str:
        return f"<Refusal {type(self.error).__name__}: {self.reason}>"


def who(allowed: bool, message=None):
    return True if allowed else Refusal(NotAllowed(message or _l("You may not do this.")))


def phase(cycle, action: str):
    """The cycle's phase allows `action` (cycles.services.ALLOWED_PHASES decides)."""
    return True if is_allowed(cycle, action) else Refusal(PhaseError(cycle, action))


def state(allowed: bool, message):
    return True if allowed else Refusal(StateError(message))


def enforce(answer) -> None:
    """For services: raise the refusal's error (NotAllowed, PhaseError, StateError)."""
    if isinstance(answer, Refusal):
        raise answer.error
    if not answer:
        raise NotAllowed(_l("You may not do this."))


def ensure(answer) -> None:
    """For views: 403 when the person may never do this; phase and state refusals pass,
    for the service to explain beside the form."""
    if isinstance(answer, Refusal):
        if answer.forbidden:
            abort(403)
        return
    if not answer:
        abort(403)


def require(predicate):
    """Decorator for views: the current user must satisfy `predicate(user)`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            ensure(predicate(current_user))
            return view(*args, **kwargs)

        return wrapped

    return decorator


# The org chart, read once per request ---------------------------------------------------


def is_hr(user) -> bool:
    return user.is_authenticated and user.has_role(Role.HR_ADMIN)


def is_executive(user) -> bool:
    return user.is_authenticated and user.has_role(Role.EXECUTIVE)


def _department_links() -> list[tuple[int, int | None, int | None]]:
    """(id, parent_id, head_id) of every department, read once per request.

    Kept in `g` only: each request (in any worker process) reads the tree afresh, so a
    change made by another worker is seen on the next request.
    """
    if "_department_links" not in g:
        rows = db.session.execute(
            select(Department.id, Department.parent_id, Department.head_id)
        ).all()
        g._department_links = [tuple(r) for r in rows]
    return g._department_links


@event.listens_for(Session, "after_flush")
def _forget_department_links(session, flush_context):
    # The per-request copy of the tree is stale once a department is written.
    if has_app_context() and any(
        isinstance(obj, Department) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        g.pop("_department_links", None)
        g.pop("_managed_department_ids", None)


def subtree_ids(root_ids) -> frozenset[int]:
    """The given departments and every department below them."""
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id, _head in _department_links():
        children.setdefault(parent_id, []).append(dept_id)
    seen: set[int] = set()
    stack = list(root_ids)
    while stack:
        dept_id = stack.pop()
        if dept_id in seen:
            continue
        seen.add(dept_id)
        stack.extend(children.get(dept_id, ()))
    return frozenset(seen)


def department_depth(department_id: int) -> int:
    """How many ancestors a department has (0 for a top-level one), for indenting trees."""
    parents = {dept_id: parent_id for dept_id, parent_id, _head in _department_links()}
    depth, current, seen = 0, parents.get(department_id), set()
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth


def managed_department_ids(user) -> frozenset[int]:
    """Departments a head manages: those they head and everything beneath them."""
    if not user.is_authenticated:
        return frozenset()
    cache = g.setdefault("_managed_department_ids", {})
    if user.id not in cache:
        headed = [d for d, _p, head in _department_links() if head == user.id]
        cache[user.id] = subtree_ids(headed)
    return cache[user.id]


def is_head(user) -> bool:
    return bool(managed_department_ids(user))


def sees_whole_company(user) -> bool:
    return is_hr(user) or is_executive(user)


def responsible_head_id(person) -> int | None:
    """Who answers for `person`: the head of the nearest department above them (their own
    first) that someone other than themselves heads, or else their manager. Owns what they
    raise and is the one asked to approve their plan."""
    parents = {d: (p, h) for d, p, h in _department_links()}
    department_id, seen = person.department_id, set()
    while department_id is not None and department_id not in seen:
        seen.add(department_id)
        parent_id, head_id = parents.get(department_id, (None, None))
        if head_id is not None and head_id != person.id:
            return head_id
        department_id = parent_id
    return person.manager_id


def manages(user, person) -> bool:
    """The person's manager, or a head of their department or one above it; never self."""
    if not user.is_authenticated or person.id == user.id:
        return False
    return person.manager_id == user.id or person.department_id in managed_department_ids(user)


def managed_people_clause(user):
    """SQL twin of `manages(user, Person)`: the people `user` manages."""
    return (Person.id != user.id) & or_(
        Person.manager_id == user.id, Person.department_id.in_(managed_department_ids(user)))


# People ------------------------------------------------------------------------------------

def can_list_people(user) -> bool:
    return sees_whole_company(user) or is_head(user)


def people_scope(user) -> frozenset[int] | None:
    """Department ids whose people `user` may list; None means everyone."""
    if sees_whole_company(user):
        return None
    return managed_department_ids(user)


def can_view_person(user, person: Person) -> bool:
    if not user.is_authenticated:
        return False
    return (person.id == user.id or sees_whole_company(user) or manages(user, person))


def can_administer_org(user) -> bool:
    """Create people and departments, import and export the org chart."""
    return is_hr(user)


def can_edit_person(user, person: Person):
    return who(is_hr(user), _l("Only HR edits people's records."))


def can_deactivate_person(user, person: Person):
    return (who(is_hr(user), _l("Only HR deactivates people."))
            and who(person.id != user.id, _l("You cannot deactivate yourself."))
            and state(person.active, _l("%(name)s is inactive already.",
                                        name=person.display_name)))


def can_activate_person(user, person: Person):
    return (who(is_hr(user), _l("Only HR reactivates people."))
            and state(not person.active, _l("%(name)s is active already.",
                                            name=person.display_name)))


def can_reset_password(user, person: Person):
    return (who(is_hr(user), _l("Only HR resets passwords."))
            and who(person.id != user.id, _l("Change your own password on the password "
                                             "page.")))


# Departments --------------------------------------------------------------------------------

def can_list_departments(user) -> bool:
    return sees_whole_company(user) or is_head(user)


def can_view_department(user, department: Department) -> bool:
    return sees_whole_company(user) or department.id in managed_department_ids(user)


def can_edit_department(user, department: Department):
    return who(is_hr(user), _l("Only HR edits departments."))


# Cycles and audit -------------------------------------------------------------------------

def can_manage_cycles(user) -> bool:
    """Create cycles and move them through their phases."""
    return is_hr(user)


def can_view_cycles(user) -> bool:
    return sees_whole_company(user)


def can_view_cycle(user, cycle) -> bool:
    return sees_whole_company(user)


def can_edit_cycle(user, cycle):
    return who(is_hr(user), _l("Only HR edits cycles.")) and phase(cycle, "edit_settings")


def can_use_cycle(user, cycle) -> bool:
    """Open a cycle's planning and check-in pages: a draft cycle is HR's and the
    executives' until it opens."""
    return user.is_authenticated and (cycle.phase != "draft" or sees_whole_company(user))


def can_read_audit(user) -> bool:
    return is_hr(user)


# Planning: strategy targets ---------------------------------------------------------------
#
# Executives write strategy targets; everyone reads published ones. A head plans the
# departments they manage (their subtree); a department's people read its goals. A
# person's plan is read by those who may view the person, and managed (KPIs assigned,
# approved, returned) by whoever manages them, never by the person.

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


# During the cycle: check-ins, obstacles, resource requests, coaching ----------------------------
#
# A person checks in on their own KPIs (their head may record a check-in for them). Their
# check-ins are read by whoever may view the person. Obstacles and requests are read by the
# raiser, the owner, the raiser's heads, HR and executives; the owner (or a head now
# managing the raiser) moves them, an escalated request is decided by an executive. HR sees
# everything but decides nothing. Private notes are read by the heads managing the person
# and HR, and NEVER by the person themselves.

def can_view_kpi(user, kpi) -> bool:
    return can_view_plan(user, kpi.plan)


def can_check_in(user, kpi):
    """Report where a KPI stands: its owner, or a head recording it for them; only on an
    approved plan's counting KPIs, while the phase allows check-ins."""
    plan = kpi.plan
    return (who(user.is_authenticated and (plan.person_id == user.id
                                           or manages(user, plan.person)),
                _l("Only the owner of a KPI and their head check in on it."))
            and phase(plan.cycle, "check_in")
            and state(plan.status == PlanStatus.APPROVED,
                      _l("Check-ins start once the plan is approved."))
            and state(kpi.counts, _l("This proposal was declined; there is nothing to check "
                                     "in on.")))


def can_raise_item(user, kpi):
    """Raise an obstacle or a resource request on a KPI: its owner, as they check in."""
    return (who(user.is_authenticated and kpi.plan.person_id == user.id,
                _l("Only the owner of a KPI raises obstacles and requests on it."))
            and can_check_in(user, kpi))


def can_coach(user, person: Person):
    """Reply to check-ins and write private notes: whoever manages the person."""
    return who(manages(user, person), _l("Only %(name)s's heads coach them.",
                                         name=person.display_name))


def can_comment_on(user, check_in):
    return (can_coach(user, check_in.author)
            and phase(check_in.kpi.plan.cycle, "handle_items"))


def can_mark_comment_read(user, comment):
    return who(user.is_authenticated and comment.person_id == user.id,
               _l("Only the person coached marks a comment read."))


def can_view_coaching_page(user, person: Person) -> bool:
    return user.is_authenticated and person.id != user.id and (
        is_hr(user) or bool(can_coach(user, person)))


def can_write_private_note(user, person: Person):
    return can_coach(user, person)


def can_read_private_notes(user, person: Person) -> bool:
    if not user.is_authenticated or person.id == user.id:
        return False  # never the person the notes are about, whatever else they are
    return is_hr(user) or bool(can_coach(user, person))


def can_view_item(user, item) -> bool:
    """An obstacle or resource request."""
    if not user.is_authenticated:
        return False
    return (user.id in (item.raised_by_id, item.owner_id,
                        getattr(item, "escalated_to_id", None))
            or sees_whole_company(user) or manages(user, item.raised_by))


def _handles(user, item):
    """The item's owner, or a head now managing the person who raised it; never the raiser."""
    return who(user.is_authenticated and user.id != item.raised_by_id
               and (user.id == item.owner_id or manages(user, item.raised_by)),
               _l("Only %(name)s, who owns this, moves it.", name=item.owner.display_name))


def can_take_obstacle(user, obstacle):
    return (_handles(user, obstacle) and phase(obstacle.cycle, "handle_items")
            and state(obstacle.status == "open", _l("This obstacle is in hand already.")
                      if obstacle.status == "in_hand" else
                      _l("This obstacle is resolved already.")))


def can_resolve_obstacle(user, obstacle):
    return (_handles(user, obstacle) and phase(obstacle.cycle, "handle_items")
            and state(obstacle.is_open, _l("This obstacle is resolved already.")))


def can_decide_request(user, item):
    """Approve or decline: the owner while it is open; an executive once escalated."""
    if item.status == RequestStatus.ESCALATED:
        answer = who(is_executive(user) and user.id != item.raised_by_id,
                     _l("An executive decides an escalated request."))
    else:
        answer = _handles(user, item)
    return (answer and phase(item.cycle, "handle_items")
            and state(item.is_open, _l("This request has been decided already.")))


def can_escalate_request(user, item):
    return (_handles(user, item) and phase(item.cycle, "handle_items")
            and state(item.status == RequestStatus.OPEN,
                      _l("This request is with an executive already.")
                      if item.status == RequestStatus.ESCALATED else
                      _l("This request has been decided already.")))


def can_view_overview(user) -> bool:
    """Every open and overdue obstacle and request, company-wide."""
    return is_hr(user)


def can_read_notification(user, notification):
    return who(user.is_authenticated and notification.recipient_id == user.id,
               _l("This notification is not yours."))


# Reviews ------------------------------------------------------------------------------------
#
# Each person with a plan in the cycle writes a self-review; their reviewer, the one who
# approves their plan (approver_id), writes the manager review. The self-review is blind:
# until it is submitted nobody but its author reads it; then the person's heads, HR and
# executives do. A draft manager review is its reviewer's alone. Submitted is final: only HR
# reopens a review, with a reason, while the cycle is in review. HR sets how reviews are
# scored before review opens, follows completion and nudges; HR and executives calibrate.
# A person sees their own results (scores, rating, the manager review) from the feedback
# interviews on; their heads, HR and executives whenever there are some.

def reviewer_id(person) -> int | None:
    """Who writes `person`'s manager review: the one who approves their plan."""
    return approver_id(person)


def reviews_have_opened(cycle) -> bool:
    """The cycle has reached review (its review settings no longer change by phase)."""
    return not is_allowed(cycle, "edit_review_settings")


def can_view_review_settings(user, cycle) -> bool:
    return sees_whole_company(user)


def can_edit_review_settings(user, settings):
    """`settings`: the cycle's ReviewSettings (saved, or the defaults not saved yet)."""
    return (who(is_hr(user), _l("Only HR sets how reviews are scored."))
            and phase(settings.cycle, "edit_review_settings")
            and state(settings.locked_at is None,
                      _l("Reviews have started in this cycle: its review settings no longer "
                         "change.")))


def can_write_self_review(user, review):
    return (who(user.is_authenticated and review.person_id == user.id,
                _l("Only %(name)s writes their self-review.", name=review.person.display_name))
            and phase(review.cycle, "write_reviews")
            and state(not review.is_submitted,
                      _l("This self-review is submitted and final; only HR can reopen it.")))


def can_write_manager_review(user, review):
    person = review.person
    return (who(user.is_authenticated and person.id != user.id
                and reviewer_id(person) == user.id,
                _l("Only %(name)s's reviewer (who approves their plan) writes their manager "
                   "review.", name=person.display_name))
            and phase(review.cycle, "write_reviews")
            and state(not review.is_submitted,
                      _l("This manager review is submitted and final; only HR can reopen "
                         "it.")))


def can_write_review(user, review):
    return (can_write_self_review if review.is_self else can_write_manager_review)(user, review)


def _reads_submitted_reviews_of(user, person) -> bool:
    return user.is_authenticated and person.id != user.id and (
        manages(user, person) or sees_whole_company(user))


def can_read_self_review(user, review):
    """Blind: the person always; their heads, HR and executives once it is submitted."""
    person = review.person
    if user.is_authenticated and person.id == user.id:
        return True
    return (who(_reads_submitted_reviews_of(user, person),
                _l("Only %(name)s, their heads and HR read their self-review.",
                   name=person.display_name))
            and state(review.is_submitted,
                      _l("%(name)s has not submitted their self-review yet; you see it once "
                         "they do.", name=person.display_name)))


def can_read_manager_review(user, review):
    """The reviewer (their draft too); the person's heads, HR and executives once it is
    submitted; the person themselves from the feedback interviews on."""
    person = review.person
    if user.is_authenticated and reviewer_id(person) == user.id and person.id != user.id:
        return True
    if user.is_authenticated and person.id == user.id:
        return (phase(review.cycle, "see_own_results")
                and state(review.is_submitted, _l("Your manager review is not submitted.")))
    return (who(_reads_submitted_reviews_of(user, person),
                _l("Only %(name)s's heads and HR read their manager review.",
                   name=person.display_name))
            and state(review.is_submitted,
                      _l("The manager review of %(name)s is not submitted yet.",
                         name=person.display_name)))


def can_read_review(user, review):
    return (can_read_self_review if review.is_self else can_read_manager_review)(user, review)


def can_reopen_review(user, review):
    return (who(is_hr(user), _l("Only HR reopens a submitted review."))
            and phase(review.cycle, "reopen_reviews")
            and state(review.is_submitted, _l("Only a submitted review can be reopened.")))


def can_view_results(user, result):
    """`result`: the person's ReviewResult in the cycle (saved, or none yet)."""
    person = result.person
    if user.is_authenticated and person.id == user.id:
        return phase(result.cycle, "see_own_results")
    return who(_reads_submitted_reviews_of(user, person),
               _l("Only %(name)s, their heads and HR see their results.",
                  name=person.display_name))


def can_view_review_completion(user, cycle) -> bool:
    return sees_whole_company(user)


def can_nudge_reviewers(user, cycle):
    return (who(is_hr(user), _l("Only HR sends review reminders."))
            and phase(cycle, "nudge_reviews"))


def can_view_calibration(user, cycle) -> bool:
    return sees_whole_company(user)


def can_calibrate_ratings(user, cycle):
    """Move ratings in this cycle: HR or an executive, in calibration."""
    return (who(is_hr(user) or is_executive(user),
                _l("Only HR and executives calibrate ratings."))
            and phase(cycle, "calibrate"))


def can_calibrate(user, result):
    """Move a person's final rating, with a reason."""
    return (can_calibrate_ratings(user, result.cycle)
            and state(result.id is not None and result.final_score is not None,
                      _l("%(name)s has no rating to calibrate: their manager review is not "
                         "submitted.", name=result.person.display_name)))


# Dashboards and exports ----------------------------------------------------------------------
#
# Every dashboard and export shows no more than the pages it sums up: the executive view is
# the company's (executives and HR), a head's view covers the departments they manage, HR's
# view is HR's, and everyone has their own. Exports carry the same scope as the pages
# (`dashboard_scope`); peer feedback reaches them only through the 360 report's anonymity
# rule. The printable review is the results page on paper: `can_view_results` decides.

def dashboard_scope(user) -> frozenset[int] | None:
    """Department ids whose figures `user` may read on dashboards and in exports; None
    means the whole company."""
    if sees_whole_company(user):
        return None
    return managed_department_ids(user)


def can_view_my_dashboard(user) -> bool:
    return user.is_authenticated


def can_view_executive_dashboard(user) -> bool:
    return sees_whole_company(user)


def can_view_team_dashboard(user) -> bool:
    return user.is_authenticated and is_head(user)


def can_view_hr_dashboard(user) -> bool:
    return is_hr(user)


def can_export(user, cycle) -> bool:
    """Export a cycle's goals, KPIs and check-ins (in the user's scope)."""
    return (sees_whole_company(user) or is_head(user)) and can_use_cycle(user, cycle)


def can_export_completion(user, cycle) -> bool:
    return can_view_review_completion(user, cycle)


def can_export_results(user, cycle) -> bool:
    """Final results with outcomes: HR and executives, a head for the people they manage."""
    return sees_whole_company(user) or is_head(user)


def can_print_review(user, result):
    """`result`: the person's ReviewResult in the cycle (saved, or none yet)."""
    return can_view_results(user, result)


# Feedback interviews and outcomes ------------------------------------------------------------
#
# The person's reviewer (who approves their plan) holds their interview: schedules it, takes
# the notes, writes the improvement plan and goal drafts, completes the record, all in the
# interviews phase. The person reads their interview (never the head's preparation notes),
# proposes another time, types their own comments, and acknowledges the completed record,
# agreeing or disagreeing; a disagreement is an appeal HR resolves. Heads above, HR and
# executives read interviews. Outcomes follow from the rating by the cycle's rules (HR sets
# them); the heads managing the person recommend another outcome with a reason; executives
# approve outcomes per department. HR closes the cycle. A closed cycle changes nothing.

def interview_holder_id(interview) -> int | None:
    """Who holds the interview: the head who scheduled it, or (not scheduled yet) the
    person's reviewer."""
    return interview.head_id if interview.id is not None else reviewer_id(interview.person)


def _holds(user, interview) -> bool:
    return (user.is_authenticated and user.id != interview.person_id
            and interview_holder_id(interview) == user.id)


def _holder(user, interview):
    return who(_holds(user, interview),
               _l("Only %(name)s's reviewer holds their interview.",
                  name=interview.person.display_name))


def _interview_open(interview):
    return state(not interview.is_finished,
                 _l("This interview is completed: its record no longer changes."))


def interview_cycles_clause(user):
    """The cycles the interviews page lists: those in or past their feedback interviews, and
    any where `user` has an interview scheduled already (as the person or the head)."""
    from .models import Cycle, Interview, Phase

    has_one = select(Interview.id).where(
        Interview.cycle_id == Cycle.id,
        or_(Interview.person_id == user.id, Interview.head_id == user.id)).exists()
    return or_(Cycle.phase.in_([Phase.INTERVIEWS.value, Phase.CLOSED.value]), has_one)


def can_view_interviews(user, cycle) -> bool:
    return can_use_cycle(user, cycle)


def can_view_interview(user, interview) -> bool:
    """The person, the head holding it, the heads above, HR and executives."""
    if not user.is_authenticated:
        return False
    return (user.id == interview.person_id or _holds(user, interview)
            or _reads_submitted_reviews_of(user, interview.person))


def can_read_prep_notes(user, interview) -> bool:
    """The head's preparation: the holder and the heads managing the person, NEVER the
    person themselves, whatever else they are."""
    if not user.is_authenticated or user.id == interview.person_id:
        return False
    return _holds(user, interview) or manages(user, interview.person)


def can_schedule_interview(user, interview):
    """Schedule (or reschedule) the interview, until it is held."""
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is None or interview.state == "scheduled",
                      _l("This interview has taken place already.")))


def can_propose_time(user, interview):
    return (who(user.is_authenticated and user.id == interview.person_id,
                _l("Only %(name)s proposes another time.", name=interview.person.display_name))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "scheduled",
                      _l("There is no scheduled interview to move.")))


def can_take_notes(user, interview, section: str = "strengths"):
    """The holder writes every section (their private preparation too); the person their
    own comments."""
    if section == "prep":
        answer = _holder(user, interview)
    elif user.is_authenticated and user.id == interview.person_id:
        answer = who(section == "person", _l("You add your own comments; the other notes "
                                             "are your head's."))
    else:
        answer = _holder(user, interview)
    return (answer and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None, _l("Schedule the interview first."))
            and _interview_open(interview))


def can_edit_improvement_plan(user, interview):
    """Add, edit and remove improvement-plan items and next cycle's goal drafts."""
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None, _l("Schedule the interview first."))
            and _interview_open(interview))


def can_complete_interview(user, interview):
    return (_holder(user, interview) and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state in ("scheduled", "held"),
                      _l("This interview is completed already.")))


def can_acknowledge_interview(user, interview):
    return (who(user.is_authenticated and user.id == interview.person_id,
                _l("Only %(name)s acknowledges their interview record.",
                   name=interview.person.display_name))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "completed",
                      _l("There is no completed record waiting for your acknowledgement.")))


def can_resolve_appeal(user, interview):
    return (who(is_hr(user) and user.id != interview.person_id,
                _l("HR resolves appeals (never their own)."))
            and phase(interview.cycle, "hold_interviews")
            and state(interview.id is not None and interview.state == "appealed",
                      _l("There is no open appeal on this interview.")))


def can_track_item(user, item, cycle):
    """Report how an improvement-plan item is going: the person it is about, in a later
    cycle while check-ins are open there (the tracking belongs to that cycle; the finished
    interview's record never changes)."""
    interview = item.interview
    return (who(user.is_authenticated and user.id == interview.person_id,
                _l("Only %(name)s reports on their improvement plan.",
                   name=interview.person.display_name))
            and state(interview.is_finished
                      and cycle.start_date > interview.cycle.start_date,
                      _l("The plan is tracked in the cycle after its interview."))
            and phase(cycle, "check_in"))


def can_view_outcomes(user, cycle) -> bool:
    return can_use_cycle(user, cycle) and (sees_whole_company(user) or is_head(user))


def can_edit_outcome_rules(user, cycle):
    return (who(is_hr(user), _l("Only HR sets the outcome rules."))
            and phase(cycle, "hold_interviews"))


def can_override_outcome(user, outcome):
    """Recommend another outcome than the rule's, with a reason: the heads managing the
    person, before an executive approves it."""
    return (who(manages(user, outcome.person),
                _l("Only %(name)s's heads recommend their outcome.",
                   name=outcome.person.display_name))
            and phase(outcome.cycle, "hold_interviews")
            and state(not outcome.is_approved,
                      _l("This outcome is approved; it no longer changes.")))


def can_approve_outcomes(user, cycle):
    """Approve a department's outcomes: executives."""
    return (who(is_executive(user), _l("Only executives approve outcomes."))
            and phase(cycle, "hold_interviews"))


def can_close_cycle(user, cycle):
    return (who(is_hr(user), _l("Only HR closes a cycle."))
            and phase(cycle, "close_cycle"))


# 360-degree feedback ----------------------------------------------------------------------
#
# A person nominates peers (any department) for feedback on them while feedback is open;
# their head (the one who approves their plan; HR too, to fix stuck lists) approves, removes
# and adds raters and picks a replacement for a rater who declined. A rater answers (or
# declines) only their own requests; an answer is read by its author alone, and is final
# once submitted (only HR reopens it). The 360 report, aggregates only, is read by the
# person's heads, HR and executives, and by the person themselves from the feedback
# interviews on when the cycle allows it.

def feedback_cycles_clause():
    """The cycles the 360 pages list: every one past planning (feedback may be open, or its
    results readable)."""
    from .models import Cycle, Phase

    return Cycle.phase.notin_([Phase.DRAFT.value, Phase.PLANNING.value])


def _feedback_settings(cycle):
    from .feedback.services.settings import settings_of  # the settings read the models only

    return settings_of(cycle)


def feedback_open(cycle):
    """Feedback is open: in review, or in progress from the cycle's "feedback opens" date."""
    from datetime import date

    if not is_allowed(cycle, "give_feedback"):
        return Refusal(PhaseError(cycle, "give_feedback"))
    if cycle.phase == "review":
        return True
    opens_on = _feedback_settings(cycle).opens_on
    return state(opens_on is not None and opens_on <= date.today(),
                 _l("360 feedback opens with the review phase%(date)s.",
                    date=f" ({opens_on.isoformat()})" if opens_on else ""))


def _feedback_head(user, person) -> bool:
    """Whoever approves `person`'s raters: the one who approves their plan, or HR."""
    return user.is_authenticated and person.id != user.id and (
        approver_id(person) == user.id or is_hr(user))


def can_view_nominations(user, target) -> bool:
    """`target`: (person, cycle). The person, their heads, HR and executives."""
    person, _cycle = target
    return user.is_authenticated and (person.id == user.id or manages(user, person)
                                      or sees_whole_company(user))


def can_nominate_raters(user, target):
    person, cycle = target
    return (who(user.is_authenticated and person.id == user.id,
                _l("Only %(name)s nominates their raters.", name=person.display_name))
            and feedback_open(cycle))


def can_approve_nominations(user, target):
    """Approve, remove and add raters of `target` (person, cycle)."""
    person, cycle = target
    return (who(_feedback_head(user, person),
                _l("Only %(name)s's head (or HR) approves their raters.",
                   name=person.display_name))
            and feedback_open(cycle))


def can_remove_rater(user, request):
    return (can_approve_nominations(user, (request.subject, request.cycle))
            and state(request.status in ("nominated", "requested"),
                      _l("Only a rater who has not answered yet can be removed.")))


def can_pick_replacement(user, request):
    return (can_approve_nominations(user, (request.subject, request.cycle))
            and state(request.status == "declined" and not request.replaced,
                      _l("Only a rater who declined is replaced, once.")))


def can_read_feedback(user, request) -> bool:
    """One answer, as written: its author alone (never the subject, their heads or HR)."""
    return user.is_authenticated and request.rater_id == user.id


def can_give_feedback(user, request):
    return (who(user.is_authenticated and request.rater_id == user.id,
                _l("This feedback request is not yours."))
            and feedback_open(request.cycle)
            and state(request.status == "requested",
                      _l("This feedback is submitted and final; only HR can reopen it.")
                      if request.status == "submitted" else
                      _l("This feedback request is no longer open.")))


def can_decline_feedback(user, request):
    return can_give_feedback(user, request)


def can_reopen_feedback(user, request):
    return (who(is_hr(user), _l("Only HR reopens submitted feedback."))
            and feedback_open(request.cycle)
            and state(request.status == "submitted",
                      _l("Only submitted feedback can be reopened.")))


def can_view_feedback_admin(user, cycle) -> bool:
    """Who has answered (never what), stuck nominations: HR and executives."""
    return sees_whole_company(user)


def can_view_feedback_report(user, target):
    """`target`: (person, cycle). Aggregates that pass the anonymity threshold only."""
    person, cycle = target
    if user.is_authenticated and person.id == user.id:
        return (phase(cycle, "see_own_results")
                and state(_feedback_settings(cycle).subject_sees_report,
                          _l("In this cycle the 360 report is discussed with your head, not "
                             "shown to you.")))
    return who(_reads_submitted_reviews_of(user, person),
               _l("Only %(name)s, their heads and HR see their 360 report.",
                  name=person.display_name))


def can_recompute_scores(user, cycle):
    """Store everyone's scores again with the 360 answers in so far (one batch, by HR: a
    recomputation per answer would pair a rater with the change it made)."""
    return (who(is_hr(user), _l("Only HR recomputes the stored scores."))
            and phase(cycle, "recompute_scores"))


def can_edit_feedback_settings(user, settings):
    return (who(is_hr(user), _l("Only HR sets how 360 feedback works."))
            and phase(settings.cycle, "edit_review_settings"))
