"""The org chart, people, departments, cycles and the audit log."""

from __future__ import annotations

import secrets

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, false, or_, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Department, OrgVersion, Person, Role
from .answers import phase, state, who
from .phases import is_allowed


def is_hr(user) -> bool:
    return user.is_authenticated and user.has_role(Role.HR_ADMIN)


def is_executive(user) -> bool:
    return user.is_authenticated and user.has_role(Role.EXECUTIVE)


def org_version_column():
    """SQL: the org chart's version (models.OrgVersion), for the one login statement."""
    return select(OrgVersion.version).where(OrgVersion.id == 1).scalar_subquery()


def _department_links() -> list[tuple[int, int | None, int | None]]:
    """(id, parent_id, head_id) of every department.

    Kept across requests in the process under the org chart's version, which every
    request reads in its login statement (`g.org_version`, auth.services): a department
    written anywhere changes the version, so the next request in any worker reads the tree
    afresh. Without a version (no login, or none stored yet) the tree is read per request.
    """
    if "_department_links" not in g:
        version = g.get("org_version")
        kept = current_app.extensions.get("perfsite_department_links")
        if version is not None and kept is not None and kept[0] == version:
            g._department_links = kept[1]
        else:
            rows = db.session.execute(
                select(Department.id, Department.parent_id, Department.head_id)
            ).all()
            g._department_links = [tuple(r) for r in rows]
            if version is not None:
                current_app.extensions["perfsite_department_links"] = (
                    version, g._department_links)
    return g._department_links


def kept_with_org_chart(name: str, read):
    """`read()` (something derived from the departments alone: their names, the options of
    a department field) kept across requests in the process under the org chart's version,
    as the tree is (_department_links): read again once a department is written anywhere.
    Without a version (no login, or a department written in this request) read each time."""
    kept_here = g.setdefault("_org_kept", {})
    if name in kept_here:
        return kept_here[name]
    version = g.get("org_version")
    kept = current_app.extensions.setdefault("perfsite_org_kept", {})
    entry = kept.get(name)
    if version is not None and entry is not None and entry[0] == version:
        value = entry[1]
    else:
        value = read()
        if version is not None:
            kept[name] = (version, value)
    if version is not None:
        kept_here[name] = value
    return value


def bump_org_version(connection) -> int:
    """A new version for the org chart (a department was written), in the same
    transaction: a random one, so that no two states of any database share one."""
    table = OrgVersion.__table__
    value = secrets.randbits(62)
    if not connection.execute(update(table).where(table.c.id == 1)
                              .values(version=value)).rowcount:
        connection.execute(table.insert().values(id=1, version=value))
    return value


@event.listens_for(Session, "after_flush")
def _forget_department_links(session, flush_context):
    # The per-request copy of the tree is stale once a department is written, and so is
    # every process's: the version moves on.
    if any(isinstance(obj, Department)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        connection = session.connection()
        version = bump_org_version(connection)
        if has_app_context():
            g.pop("_department_links", None)
            g.pop("_managed_department_ids", None)
            g.pop("org_version", None)
            g.pop("_org_kept", None)
            # This process keeps the new tree at once (read in this transaction: should it
            # roll back, its version is never seen, and the entry never matches).
            current_app.extensions["perfsite_department_links"] = (version, [
                tuple(r) for r in connection.execute(
                    select(Department.id, Department.parent_id, Department.head_id))])


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


def _chain_heads() -> dict[int, list[int]]:
    """Per department, the distinct heads met going up from it (its own first)."""
    parents = {d: (p, h) for d, p, h in _department_links()}
    chains: dict[int, list[int]] = {}
    for start in parents:
        heads: list[int] = []
        department_id, seen = start, set()
        while department_id is not None and department_id not in seen:
            seen.add(department_id)
            parent_id, head_id = parents.get(department_id, (None, None))
            if head_id is not None and head_id not in heads:
                heads.append(head_id)
            department_id = parent_id
        chains[start] = heads
    return chains


def responsible_head_clause(user):
    """SQL twin of `responsible_head_id(Person) == user.id`: the people `user` answers for.

    A person's responsible head is the first head above them (their own department first)
    who is not themselves: in a department whose first head is `user`, everyone but `user`;
    where `user` comes second, only the first head; with no head but the person themselves
    above them, their manager."""
    if not user.is_authenticated:
        return false()
    everyone, only, fallback_all, fallback_only = [], [], [], []
    for department_id, heads in _chain_heads().items():
        if heads[:1] == [user.id]:
            everyone.append(department_id)
        elif heads[1:2] == [user.id]:
            only.append((department_id, heads[0]))
        if not heads:
            fallback_all.append(department_id)
        elif len(heads) == 1:
            fallback_only.append((department_id, heads[0]))
    managed = Person.manager_id == user.id
    return or_(
        Person.department_id.in_(everyone) & (Person.id != user.id),
        *[(Person.department_id == d) & (Person.id == head) for d, head in only],
        managed & (Person.department_id.is_(None) | Person.department_id.in_(fallback_all)),
        *[managed & (Person.department_id == d) & (Person.id == head)
          for d, head in fallback_only])


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


def signs_in_with_directory(username: str) -> bool:
    """With the company directory on (LDAP_URLS), everyone signs in with the directory's
    password except the usernames in LOCAL_LOGIN_USERS (the break-glass HR administrator)."""
    config = current_app.config
    return (bool(config["LDAP_URLS"])
            and username.strip().lower() not in config["LOCAL_LOGIN_USERS"])


def can_reset_password(user, person: Person):
    """HR resets a perfsite password, never anyone's own; and not for someone who signs in
    with the company directory's password (the directory owns it: a perfsite password
    would never be asked for)."""
    return (who(is_hr(user), _l("Only HR resets passwords."))
            and who(person.id != user.id, _l("Change your own password on the password "
                                             "page."))
            and state(not signs_in_with_directory(person.username),
                      _l("%(name)s signs in with the company directory's password: it is "
                         "reset in the directory, not here.", name=person.display_name)))


# Departments --------------------------------------------------------------------------------

def can_edit_account(user, person: Person):
    """Each person sets their own account (their time zone); nobody else's."""
    return who(user.is_authenticated and user.id == person.id,
               _l("Only %(name)s sets their own time zone.", name=person.display_name))


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
    return user.is_authenticated and (is_allowed(cycle, "open_to_everyone")
                                     or sees_whole_company(user))


def can_read_audit(user) -> bool:
    return is_hr(user)

