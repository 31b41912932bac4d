"""Org chart pages: people and departments (HR administers, heads and executives read)."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import permissions as can
from ..extensions import db
from ..forms import EmptyForm
from ..models import Department, Person, Role
from ..paging import paginate
from ..rules import to_id
from ..signin import directory
from ..signin.services import SYNC_OUTCOMES, directory_roles, last_sync
from ..submissions import submit_once
from ..web import attempt, is_htmx, load, render, status_of
from . import bp, picker, services
from .forms import (
    DepartmentForm,
    DepartmentInlineForm,
    PeopleSearchForm,
    PersonForm,
    PersonInlineForm,
    PickerSearchForm,
)


def _person_id_by_username(field) -> int | None:
    """The id of the person picked in a manager or head field (None when empty); Invalid
    beside the field, with suggestions, when nobody has that username (org/picker.py)."""
    person = picker.resolve_one(picker.SCOPES["org"], current_user, field.data, field.name)
    return person.id if person else None


# Picking people ------------------------------------------------------------------------

@bp.get("/people/pick/<scope>")
def pick_people(scope):
    """The people picker's options: up to picker.LIMIT people of `scope` matching `q`, as
    a listbox (htmx swaps it under the search box that asked)."""
    found = picker.SCOPES.get(scope)
    if found is None:
        abort(404)
    can.ensure(found.allowed(current_user))
    form = PickerSearchForm(request.args)
    valid = form.validate()
    query = (form.q.data or "") if valid else ""
    return render("org/_people_options.html", "org/_people_options.html",
                  people=picker.search(found, current_user, query), query=query,
                  for_id=(form.for_id.data or "picker") if valid else "picker")


# People --------------------------------------------------------------------------------

@bp.get("/people")
@can.require(can.can_list_people)
def people():
    form = PeopleSearchForm(request.args)
    form.department.choices = [("", _("No filter"))] + services.department_options()
    if not form.validate():
        # A search too long (or a department that is not one) is shown, not run.
        form.q.data = "" if form.q.errors else form.q.data
        form.department.data = None if form.department.errors else form.department.data
    stmt = services.search_people(
        current_user, query=form.q.data or "", department_id=form.department.data,
        include_inactive=bool(form.inactive.data),
    )
    per_page = current_app.config["PAGE_SIZE"]
    page = paginate(stmt, to_id(request.args.get("page")), per_page)
    # HR's org page says how the last directory sync went, when there is a directory.
    sync_shown = bool(can.can_sync_directory(current_user)) and directory.is_configured()
    return render("org/people.html", "org/_people_results.html", form=form, page=page,
                  action_form=EmptyForm(), directory_on=sync_shown,
                  last_sync=last_sync() if sync_shown else None, sync_outcomes=SYNC_OUTCOMES)


def _fill_person_form(form: PersonForm) -> None:
    form.department_id.choices = [("", _("No department"))] + services.department_options()


def _person_fields(form: PersonForm) -> dict:
    return dict(username=form.username.data, display_name=form.display_name.data,
                email=form.email.data, employee_number=form.employee_number.data,
                job_title=form.job_title.data or "", department_id=form.department_id.data,
                manager_id=_person_id_by_username(form.manager_username))


@bp.route("/people/new", methods=["GET", "POST"])
@can.require(can.can_administer_org)
def new_person():
    form = PersonForm()
    _fill_person_form(form)
    if request.method == "GET":
        form.roles.data = ["staff"]
    status = status_of(form)
    if form.validate_on_submit():
        status, person = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: services.create_person(current_user, roles=form.roles.data,
                                           **_person_fields(form))))
        if person is not None:
            flash(_("%(name)s was added. Reset their password to let them log in.",
                    name=person.display_name), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render("org/person_form.html", form=form, person=None, status=status)


@bp.get("/people/<int:person_id>")
def person(person_id):
    person = load(Person, person_id, can.can_view_person)
    reports = db.session.scalars(
        select(Person).where(Person.manager_id == person.id, Person.active.is_(True))
        .order_by(Person.display_name)
    ).all()
    return render("org/person.html", person=person, reports=reports, action_form=EmptyForm(),
                  from_directory=directory_roles([person.id]).get(person.id, {}))


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id):
    person = load(Person, person_id, can.can_edit_person)
    form = PersonForm(obj=person)
    _fill_person_form(form)
    if request.method == "GET":
        form.manager_username.data = person.manager.username if person.manager else ""
        form.roles.data = [r.value for r in person.roles]
        form.version.data = person.version
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.update_person(
            person, current_user, expected_version=form.version.data, roles=form.roles.data,
            **_person_fields(form)), current=person)
        if status == 200:
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render("org/person_form.html", form=form, person=person,
                  conflict=person if status == 409 else None, status=status,
                  from_directory=[(Role(role).label, group) for role, group in sorted(
                      directory_roles([person.id]).get(person.id, {}).items())])


@bp.get("/people/<int:person_id>/row")
def person_row(person_id):
    person = load(Person, person_id, can.can_view_person)
    return render("org/_person_row.html", person=person, action_form=EmptyForm())


@bp.route("/people/<int:person_id>/inline", methods=["GET", "POST"])
def person_inline(person_id):
    """Edit a people-list row in place (htmx), or on its own page without JavaScript."""
    person = load(Person, person_id, can.can_edit_person)
    form = PersonInlineForm(obj=person)
    form.department_id.choices = [("", _("No department"))] + services.department_options()
    if request.method == "GET":
        form.version.data = person.version
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.update_person(
            person, current_user, expected_version=form.version.data,
            display_name=form.display_name.data, job_title=form.job_title.data or "",
            department_id=form.department_id.data), current=person)
        if status == 200:
            if is_htmx():
                return render("org/_person_row.html", person=person, action_form=EmptyForm())
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.people"))
    return render("org/person_inline.html", "org/_person_row_form.html", form=form,
                  person=person, status=status)


def _person_action(person_id: int, check, call, done_message: str):
    """Deactivate, reactivate: a confirmed POST button, answered on the person's page."""
    person = load(Person, person_id, check)
    form = EmptyForm()
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: call(person))
        if status == 200:
            flash(done_message % {"name": person.display_name}, "success")
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("org.person", person_id=person.id))


@bp.post("/people/<int:person_id>/deactivate")
def deactivate_person(person_id):
    return _person_action(person_id, can.can_deactivate_person,
                          lambda p: services.deactivate_person(p, current_user),
                          _("%(name)s was deactivated and logged out everywhere."))


@bp.post("/people/<int:person_id>/activate")
def activate_person(person_id):
    return _person_action(person_id, can.can_activate_person,
                          lambda p: services.activate_person(p, current_user),
                          _("%(name)s was reactivated."))


@bp.post("/people/<int:person_id>/reset-password")
def reset_password(person_id):
    from ..auth.services import reset_password as reset

    person = load(Person, person_id, can.can_reset_password)
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("org.person", person_id=person.id))
    status, temporary = attempt(form, lambda: reset(person, current_user))
    if status != 200:
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("org.person", person_id=person.id))
    return render("org/password_reset.html", person=person, temporary=temporary)


# Departments --------------------------------------------------------------------------

@bp.get("/departments")
@can.require(can.can_list_departments)
def departments():
    scope = can.people_scope(current_user)
    stmt = select(Department).order_by(Department.name).options(selectinload(Department.head))
    if scope is not None:
        stmt = stmt.where(Department.id.in_(scope))
    all_departments = db.session.scalars(stmt).all()
    counts = dict(db.session.execute(
        select(Person.department_id, func.count(Person.id))
        .where(Person.active.is_(True)).group_by(Person.department_id)
    ).tuples().all())
    return render("org/departments.html", departments=_as_tree(all_departments), counts=counts)


def _as_tree(departments):
    """(department, depth) pairs in tree order; parents first, children indented below."""
    ids = {d.id for d in departments}
    children = {}
    for d in departments:
        parent = d.parent_id if d.parent_id in ids else None
        children.setdefault(parent, []).append(d)
    ordered = []

    def walk(parent, depth):
        for d in children.get(parent, []):
            ordered.append((d, depth))
            walk(d.id, depth + 1)

    walk(None, 0)
    return ordered


def _fill_department_form(form, department=None):
    options = services.department_options(active_only=True)
    if department is not None:
        below = can.subtree_ids([department.id])
        options = [o for o in options if o[0] not in below]
    form.parent_id.choices = [("", _("None (top level)"))] + options


@bp.route("/departments/new", methods=["GET", "POST"])
@can.require(can.can_administer_org)
def new_department():
    form = DepartmentForm()
    _fill_department_form(form)
    status = status_of(form)
    if form.validate_on_submit():
        status, department = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: services.create_department(
                current_user, code=form.code.data, name=form.name.data,
                parent_id=form.parent_id.data,
                head_id=_person_id_by_username(form.head_username))))
        if department is not None:
            flash(_("Department %(name)s was created.", name=department.name), "success")
            return redirect(url_for("org.department", department_id=department.id))
    return render("org/department_form.html", form=form, department=None, status=status)


@bp.get("/departments/<int:department_id>")
def department(department_id):
    department = load(Department, department_id, can.can_view_department)
    members = db.session.scalars(
        select(Person).where(Person.department_id == department.id, Person.active.is_(True))
        .order_by(Person.display_name)
    ).all()
    children = db.session.scalars(
        select(Department).where(Department.parent_id == department.id)
        .order_by(Department.name)
    ).all()
    return render("org/department.html", department=department, members=members,
                  children=children, action_form=EmptyForm())


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id):
    department = load(Department, department_id, can.can_edit_department)
    form = DepartmentForm(obj=department)
    _fill_department_form(form, department)
    if request.method == "GET":
        form.head_username.data = department.head.username if department.head else ""
        form.version.data = department.version
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.update_department(
            department, current_user, expected_version=form.version.data,
            code=form.code.data, name=form.name.data, parent_id=form.parent_id.data,
            head_id=_person_id_by_username(form.head_username)), current=department)
        if status == 200:
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.department", department_id=department.id))
    return render("org/department_form.html", form=form, department=department,
                  conflict=department if status == 409 else None, status=status)


@bp.get("/departments/<int:department_id>/row")
def department_row(department_id):
    department = load(Department, department_id, can.can_view_department)
    return _department_row(department)


def _department_row(department: Department):
    count = db.session.scalar(select(func.count(Person.id)).where(
        Person.department_id == department.id, Person.active.is_(True)))
    return render("org/_department_row.html", department=department,
                  depth=can.department_depth(department.id), count=count)


@bp.route("/departments/<int:department_id>/inline", methods=["GET", "POST"])
def department_inline(department_id):
    department = load(Department, department_id, can.can_edit_department)
    form = DepartmentInlineForm(obj=department)
    if request.method == "GET":
        form.head_username.data = department.head.username if department.head else ""
        form.version.data = department.version
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.update_department(
            department, current_user, expected_version=form.version.data,
            name=form.name.data, head_id=_person_id_by_username(form.head_username)),
            current=department)
        if status == 200:
            if is_htmx():
                return _department_row(department)
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.departments"))
    return render("org/department_inline.html", "org/_department_row_form.html", form=form,
                  department=department, status=status)


@bp.post("/departments/<int:department_id>/deactivate")
def deactivate_department(department_id):
    department = load(Department, department_id, can.can_edit_department)
    form = EmptyForm()
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.deactivate_department(
            department, current_user))
        if status == 200:
            flash(_("Department %(name)s was deactivated.", name=department.name), "success")
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for("org.department", department_id=department.id))

