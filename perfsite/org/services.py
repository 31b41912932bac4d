"""The org chart: people, departments, roles.

Rules:
- Usernames, e-mail addresses and employee numbers are unique (case-insensitively).
- Nobody manages themselves, directly or through a chain of managers.
- Departments form a tree: a department is never its own ancestor.
- A person who has records is never deleted, only deactivated; deactivation ends their
  sessions at once.
- Saving over a newer version is refused (Conflict) so that nobody overwrites a
  colleague's edit unknowingly.
- HR administers the org chart (permissions.py decides); every service takes the acting
  person and every change is audited with them and with before/after.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import selectinload

from .. import permissions as can
from ..audit.services import COMMAND_LINE, changed, record, snapshot
from ..auth.services import end_all_sessions
from ..errors import Invalid
from ..extensions import db
from ..models import Department, Person, Role
from ..permissions import people_scope, subtree_ids
from ..rules import check_version, clean_text
from ..signin.services import check_roles_by_hand
from .rules import PERSON_LIMITS

PERSON_FIELDS = ("username", "display_name", "email", "employee_number", "job_title",
                 "department_id", "manager_id", "active")
DEPARTMENT_FIELDS = ("code", "name", "parent_id", "head_id", "active")


# People -------------------------------------------------------------------------------

def _person_snapshot(person: Person) -> dict:
    data = snapshot(person, PERSON_FIELDS)
    data["roles"] = sorted(r.value for r in person.roles)
    return data


def manager_would_loop(person_id: int | None, manager_id: int | None,
                       managers: dict[int, int | None] | None = None) -> bool:
    """Would making `manager_id` the manager of `person_id` create a cycle?

    `managers` maps person id to manager id; when omitted it is read from the database.
    """
    if manager_id is None:
        return False
    if person_id is not None and manager_id == person_id:
        return True
    if person_id is None:
        return False
    if managers is None:
        managers = dict(db.session.execute(select(Person.id, Person.manager_id)).tuples().all())
    seen = set()
    current = manager_id
    while current is not None and current not in seen:
        if current == person_id:
            return True
        seen.add(current)
        current = managers.get(current)
    return False


def _check_person(person: Person) -> None:
    # Checks query the database; do not let autoflush write the unchecked values first.
    with db.session.no_autoflush:
        _check_person_fields(person)


def _check_person_fields(person: Person) -> None:
    person.username = clean_text(person.username, field="username",
                                 limit=PERSON_LIMITS["username"],
                                 multiline=False,
                                 required=_l("A username is required.")).lower()
    person.email = clean_text(person.email, field="email", limit=PERSON_LIMITS["email"],
                              multiline=False).lower()
    person.employee_number = clean_text(person.employee_number, field="employee_number",
                                        limit=PERSON_LIMITS["employee_number"],
                                        multiline=False) or None
    person.display_name = clean_text(person.display_name, field="display_name",
                                     limit=PERSON_LIMITS["display_name"],
                                     multiline=False, required=_l("A full name is required."))
    person.job_title = clean_text(person.job_title, field="job_title",
                                  limit=PERSON_LIMITS["job_title"],
                                  multiline=False)
    others = select(Person.id).where(Person.id != (person.id or 0))
    # Usernames and e-mails are stored lower-case, so plain equality uses the unique indexes.
    if db.session.scalar(others.where(Person.username == person.username)):
        raise Invalid(_l("This username is taken."), "username")
    if db.session.scalar(others.where(Person.email == person.email)):
        raise Invalid(_l("Another person has this e-mail address."), "email")
    if person.employee_number and db.session.scalar(
        others.where(Person.employee_number == person.employee_number)
    ):
        raise Invalid(_l("Another person has this employee number."), "employee_number")
    manager_changed = inspect(person).attrs.manager_id.history.has_changes()
    if (person.manager_id is not None and manager_changed
            and manager_would_loop(person.id, person.manager_id)):
        raise Invalid(_l("This manager would make a loop: a person cannot be managed, "
                          "directly or indirectly, by someone they manage."), "manager_id")


def create_person(actor, *, roles=(Role.STAFF,), **fields) -> Person:
    can.enforce(can.can_administer_org(actor))
    person = Person(**fields)
    person.set_roles(roles)
    _check_person(person)
    db.session.add(person)
    db.session.flush()
    record("person.created", person, actor=actor, after=_person_snapshot(person))
    return person


def bootstrap_admin(**fields) -> Person:
    """The first HR admin of a company that has none: the one person created without
    someone to act for them, so the audit log records them as their own actor. Refused
    once an HR admin exists (from then on HR creates people)."""
    from ..models import PersonRole

    if db.session.scalar(select(PersonRole.person_id)
                         .where(PersonRole.role == Role.HR_ADMIN.value).limit(1)):
        raise Invalid(_l("An HR admin exists already: they add people."))
    person = Person(**fields)
    person.set_roles({Role.HR_ADMIN})
    _check_person(person)
    db.session.add(person)
    db.session.flush()
    record("person.created", person, actor=person, after=_person_snapshot(person))
    return person


def create_admin_on_server(**fields) -> Person:
    """An HR admin created by a command run on the server (`flask create-admin`), where
    nobody is logged in: the first of an empty company, or the way back in when no HR admin
    can log in. Whoever may run commands there may do this; the audit log records the
    command line as the actor."""
    person = Person(**fields)
    person.set_roles({Role.HR_ADMIN})
    _check_person(person)
    db.session.add(person)
    db.session.flush()
    record("person.created", person, actor=COMMAND_LINE, after=_person_snapshot(person))
    return person


def update_person(person: Person, actor, *, expected_version, roles=None, **fields) -> None:
    can.enforce(can.can_edit_person(actor, person))
    check_version(person, expected_version)
    # A role a directory group grants goes only with the membership (signin/services.py).
    check_roles_by_hand(person, roles)
    before = _person_snapshot(person)
    for key, value in fields.items():
        if key not in PERSON_FIELDS:
            raise KeyError(key)
        setattr(person, key, value)
    if roles is not None:
        person.set_roles(roles)
    _check_person(person)
    old, new = changed(before, _person_snapshot(person))
    if new:
        record("person.updated", person, actor=actor, before=old, after=new)


def deactivate_person(person: Person, actor) -> None:
    can.enforce(can.can_deactivate_person(actor, person))
    person.active = False
    end_all_sessions(person)
    record("person.deactivated", person, actor=actor, before={"active": True},
           after={"active": False})


def activate_person(person: Person, actor) -> None:
    can.enforce(can.can_activate_person(actor, person))
    person.active = True
    record("person.activated", person, actor=actor, before={"active": False},
           after={"active": True})


def search_people(viewer, *, query: str = "", department_id: int | None = None,
                  include_inactive: bool = False):
    """A select() of the people `viewer` may list, matching the search, by name."""
    stmt = (select(Person).order_by(Person.display_name, Person.id)
            .options(selectinload(Person.department), selectinload(Person.manager)))
    scope = people_scope(viewer)
    if scope is not None:
        stmt = stmt.where(Person.department_id.in_(scope))
    if department_id:
        stmt = stmt.where(Person.department_id.in_(subtree_ids([department_id])))
    if not include_inactive:
        stmt = stmt.where(Person.active.is_(True))
    query = query.strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(
            func.lower(Person.display_name).like(like),
            func.lower(Person.username).like(like),
            func.lower(Person.email).like(like),
            func.lower(Person.job_title).like(like),
            Person.employee_number.like(f"%{query}%"),
        ))
    return stmt


# Departments ------------------------------------------------------------------------

def _check_department(department: Department) -> None:
    with db.session.no_autoflush:
        _check_department_fields(department)


def _check_department_fields(department: Department) -> None:
    department.code = clean_text(department.code, field="code", limit=20, multiline=False,
                                 required=_l("A code is required.")).upper()
    department.name = clean_text(department.name, field="name", limit=120, multiline=False,
                                 required=_l("A name is required."))
    others = select(Department.id).where(Department.id != (department.id or 0))
    if db.session.scalar(others.where(func.upper(Department.code) == department.code)):
        raise Invalid(_l("Another department has this code."), "code")
    if db.session.scalar(others.where(func.lower(Department.name) == department.name.lower())):
        raise Invalid(_l("Another department has this name."), "name")
    if department.id is not None and department.parent_id is not None:
        if department.parent_id in subtree_ids([department.id]):
            raise Invalid(_l("A department cannot sit inside itself or one of its own "
                              "sub-departments."), "parent_id")


def _give_head_role(department: Department, actor) -> None:
    if department.head_id is None:
        return
    head = db.session.get(Person, department.head_id)
    if head is None:
        raise Invalid(_l("Choose an existing person as head."), "head_id")
    if not head.has_role(Role.HEAD):
        update_person(head, actor, expected_version=head.version, roles=head.roles | {Role.HEAD})


def create_department(actor, **fields) -> Department:
    can.enforce(can.can_administer_org(actor))
    department = Department(**fields)
    _check_department(department)
    db.session.add(department)
    db.session.flush()
    _give_head_role(department, actor)
    record("department.created", department, actor=actor,
           after=snapshot(department, DEPARTMENT_FIELDS))
    return department


def update_department(department: Department, actor, *, expected_version, **fields) -> None:
    can.enforce(can.can_edit_department(actor, department))
    check_version(department, expected_version)
    before = snapshot(department, DEPARTMENT_FIELDS)
    for key, value in fields.items():
        if key not in DEPARTMENT_FIELDS:
            raise KeyError(key)
        setattr(department, key, value)
    _check_department(department)
    _give_head_role(department, actor)
    old, new = changed(before, snapshot(department, DEPARTMENT_FIELDS))
    if new:
        record("department.updated", department, actor=actor, before=old, after=new)


def deactivate_department(department: Department, actor) -> None:
    """Only an empty department is deactivated: nobody active in it, no active children."""
    can.enforce(can.can_edit_department(actor, department))
    people = db.session.scalar(
        select(func.count(Person.id)).where(Person.department_id == department.id,
                                            Person.active.is_(True))
    )
    children = db.session.scalar(
        select(func.count(Department.id)).where(Department.parent_id == department.id,
                                                Department.active.is_(True))
    )
    if people or children:
        raise Invalid(_l("Move its active people (%(people)d) and active sub-departments "
                         "(%(children)d) elsewhere first.", people=people, children=children))
    department.active = False
    record("department.deactivated", department, actor=actor, before={"active": True},
           after={"active": False})


def department_options(active_only: bool = True) -> list[tuple[int, str]]:
    """(id, name) of the departments by name, for a department field; kept under the org
    chart's version (permissions.kept_with_org_chart), not read on every page."""
    def read():
        stmt = select(Department.id, Department.name).order_by(Department.name)
        if active_only:
            stmt = stmt.where(Department.active.is_(True))
        return tuple(tuple(r) for r in db.session.execute(stmt))

    return list(can.kept_with_org_chart(f"department_options:{active_only}", read))


def department_names() -> dict[int, str]:
    """Every department's name by id, deactivated ones too (old records still name them);
    kept under the org chart's version."""
    return dict(can.kept_with_org_chart("department_names", lambda: tuple(
        db.session.execute(select(Department.id, Department.name)).tuples().all())))
