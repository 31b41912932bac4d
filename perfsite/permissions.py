"""Who may do what. The one place access rules live.

Views guard with `require(...)` or `ensure(...)`, htmx fragment endpoints call the same
predicates, and templates ask them through `can` (see create_app) to decide what to show.

The org rules:
- HR admins administer the org chart, cycles and the audit log.
- Executives see company-wide (read-only on the org).
- A department head manages the subtree of the departments they head.
- Staff see their own records; a manager also sees their direct reports.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, has_app_context
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import Department, Person, Role


def is_hr(user) -> bool:
    return user.is_authenticated and user.has_role(Role.HR_ADMIN)


def is_executive(user) -> bool:
    return user.is_authenticated and user.has_role(Role.EXECUTIVE)


def _department_links() -> list[tuple[int, int | None, int | None]]:
    """(id, parent_id, head_id) of every department, read once per request."""
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


# People -------------------------------------------------------------------------

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
    return (
        person.id == user.id
        or sees_whole_company(user)
        or person.manager_id == user.id
        or person.department_id in managed_department_ids(user)
    )


def can_administer_org(user) -> bool:
    """Create and edit people and departments, import and export the org chart."""
    return is_hr(user)


def can_edit_person(user, person: Person | None = None) -> bool:
    return is_hr(user)


# Departments ----------------------------------------------------------------------

def can_list_departments(user) -> bool:
    return sees_whole_company(user) or is_head(user)


def can_view_department(user, department: Department) -> bool:
    return sees_whole_company(user) or department.id in managed_department_ids(user)


# Cycles and audit --------------------------------------------------------------------

def can_manage_cycles(user) -> bool:
    return is_hr(user)


def can_view_cycles(user) -> bool:
    return sees_whole_company(user)


def can_read_audit(user) -> bool:
    return is_hr(user)


# Planning: targets, department goals, personal plans (issue 3) -----------------------
#
# Executives write strategy targets; everyone reads published ones. A head plans the
# departments they manage (their subtree); a department's people read its plan. A person's
# plan is read by those who may view the person, and managed (KPIs assigned, approved,
# returned) by their manager or the head of their department, never by the person.

def can_use_planning(user) -> bool:
    return user.is_authenticated


def can_edit_targets(user) -> bool:
    return is_executive(user)


def can_view_draft_targets(user) -> bool:
    return sees_whole_company(user)


def can_view_target(user, target) -> bool:
    return target.status != "draft" or can_view_draft_targets(user)


def can_view_department_plan(user, department: Department) -> bool:
    return (sees_whole_company(user) or department.id in managed_department_ids(user)
            or (user.is_authenticated and user.department_id == department.id))


def can_manage_department_goals(user, department: Department) -> bool:
    return department.id in managed_department_ids(user)


def can_view_goal(user, goal) -> bool:
    return can_view_department_plan(user, goal.department) or (
        user.is_authenticated and user.department_id is not None
        and any(c.department_id == user.department_id for c in goal.contributors))


def can_manage_goal(user, goal) -> bool:
    return goal.department_id in managed_department_ids(user)


def can_view_plan_of(user, person: Person) -> bool:
    return can_view_person(user, person)


def can_manage_plan_of(user, person: Person) -> bool:
    """Assign KPIs, decide proposals, approve or return: the manager or the head, not self."""
    if not user.is_authenticated or person.id == user.id:
        return False
    return (person.manager_id == user.id
            or person.department_id in managed_department_ids(user))


def can_propose_kpis(user, person: Person) -> bool:
    return user.is_authenticated and person.id == user.id


def can_work_on_plan_of(user, person: Person) -> bool:
    """The person themselves or someone who manages their plan."""
    return can_propose_kpis(user, person) or can_manage_plan_of(user, person)


# During the cycle: check-ins, obstacles, resource requests, coaching (issue 4) -----------
#
# A person checks in on their own KPIs. Their check-ins are read by whoever may view the
# person (themselves, their manager and heads above them, HR, executives). Obstacles and
# requests are read by the raiser, the owner, the raiser's heads, HR and executives; the
# owner (or a head now managing the raiser) moves them, an escalated request is decided
# by an executive. HR sees everything but decides nothing. Private notes are read by the
# heads managing the person and HR, and NEVER by the person themselves.

def can_view_checkins_of(user, person: Person) -> bool:
    return can_view_person(user, person)


def can_check_in(user, kpi) -> bool:
    return user.is_authenticated and kpi.plan.person_id == user.id


def can_coach(user, person: Person) -> bool:
    """Reply to check-ins and write private notes: the manager or the head, not self."""
    return can_manage_plan_of(user, person)


def can_view_coaching_page(user, person: Person) -> bool:
    return user.is_authenticated and person.id != user.id and (
        is_hr(user) or can_coach(user, person))


def can_read_private_notes(user, person: Person) -> bool:
    if not user.is_authenticated or person.id == user.id:
        return False  # never the person the notes are about, whatever else they are
    return is_hr(user) or can_coach(user, person)


def can_view_item(user, item) -> bool:
    """An obstacle or resource request."""
    if not user.is_authenticated:
        return False
    return (user.id in (item.raised_by_id, item.owner_id,
                        getattr(item, "escalated_to_id", None))
            or sees_whole_company(user) or can_manage_plan_of(user, item.raised_by))


def can_handle_item(user, item) -> bool:
    """Take in hand, resolve, approve, decline or escalate an open item: its owner or a
    head now managing the person who raised it."""
    if not user.is_authenticated or user.id == item.raised_by_id:
        return False
    return user.id == item.owner_id or can_manage_plan_of(user, item.raised_by)


def can_decide_escalated(user, request_item) -> bool:
    """The executive it went to, or any executive."""
    return is_executive(user) and user.id != request_item.raised_by_id


def can_view_overview(user) -> bool:
    """Every open and overdue obstacle and request, company-wide."""
    return is_hr(user)


# Guards -------------------------------------------------------------------------------

def ensure(allowed: bool) -> None:
    """Abort with 403 unless the check passed; for object-level checks inside a view."""
    if not allowed:
        abort(403)


def require(predicate):
    """Decorator: the current user must satisfy `predicate(user)`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            ensure(predicate(current_user))
            return view(*args, **kwargs)

        wrapped.permission = predicate.__name__
        return wrapped

    return decorator
