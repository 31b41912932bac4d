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
