"""Org chart pages: people and departments (HR administers, heads and executives read)."""

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import permissions as can
from ..extensions import db
from ..forms import EmptyForm
from ..models import Department, Person
from ..web import is_htmx, render
from . import services
from .forms import (
    DepartmentForm,
    DepartmentInlineForm,
    PeopleSearchForm,
    PersonForm,
    PersonInlineForm,
)

bp = Blueprint("org", __name__)


def get_person(person_id: int, check=can.can_view_person) -> Person:
    """The person, or 404 when missing and 403 when `check` refuses the current user."""
    person = db.session.get(Person, person_id) or abort(404)
    can.ensure(check(current_user, person))
    return person


def get_department(department_id: int, check=can.can_view_department) -> Department:
    department = db.session.get(Department, department_id) or abort(404)
    can.ensure(check(current_user, department))
    return department


def _person_by_username(field) -> int | None:
    username = (field.data or "").strip().lower()
    if not username:
        return None
    person_id = db.session.scalar(select(Person.id).where(Person.username == username))
    if person_id is None:
        field.errors.append(_("No person has this username."))
        raise services.OrgError("")
    return person_id


def _apply_error(form, error: services.OrgError) -> None:
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    if field is None and error.field == "manager_id":
        field = getattr(form, "manager_username", None)
    if field is None and error.field == "head_id":
        field = getattr(form, "head_username", None)
    if str(error):
        (field.errors if field is not None else form.form_errors).append(str(error))


def _conflict(form, current) -> None:
    db.session.rollback()
    db.session.refresh(current)
    form.form_errors.append(_("Someone else saved changes to this record while you were "
                              "editing. The newer values are shown beside your entries; "
                              "save again to keep yours."))
    form.version.data = current.version


# People --------------------------------------------------------------------------------

@bp.get("/people")
@can.require(can.can_list_people)
def people():
    form = PeopleSearchForm(request.args)
    form.department.choices = [("", _("All departments"))] + services.department_options()
    form.validate()
    stmt = services.search_people(
        current_user, query=form.q.data or "", department_id=form.department.data,
        include_inactive=bool(form.inactive.data),
    )
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("org/people.html", "org/_people_results.html", form=form, page=page,
                  action_form=EmptyForm())


def _fill_person_form(form: PersonForm) -> None:
    form.department_id.choices = [("", _("No department"))] + services.department_options()


def _save_person_form(form: PersonForm, person: Person | None) -> tuple[Person | None, int]:
    """Create or update from the form: (person, 200), or (None, 422/409) with form errors."""
    try:
        manager_id = _person_by_username(form.manager_username)
        fields = dict(username=form.username.data, display_name=form.display_name.data,
                      email=form.email.data, employee_number=form.employee_number.data,
                      job_title=form.job_title.data or "", department_id=form.department_id.data,
                      manager_id=manager_id)
        if person is None:
            person = services.create_person(roles=form.roles.data, **fields)
        else:
            services.update_person(person, expected_version=form.version.data,
                                   roles=form.roles.data, **fields)
        db.session.commit()
        return person, 200
    except services.OrgError as error:
        _apply_error(form, error)
        return None, 422
    except services.ConflictError as conflict:
        _conflict(form, conflict.current)
        return None, 409


@bp.route("/people/new", methods=["GET", "POST"])
@can.require(can.can_administer_org)
def new_person():
    form = PersonForm()
    _fill_person_form(form)
    if request.method == "GET":
        form.roles.data = ["staff"]
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        person, status = _save_person_form(form, None)
        if person is not None:
            flash(_("%(name)s was added. Reset their password to let them log in.",
                     name=person.display_name), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render("org/person_form.html", form=form, person=None, status=status)


@bp.get("/people/<int:person_id>")
def person(person_id):
    person = get_person(person_id)
    reports = db.session.scalars(
        select(Person).where(Person.manager_id == person.id, Person.active.is_(True))
        .order_by(Person.display_name)
    ).all()
    return render("org/person.html", person=person, reports=reports, action_form=EmptyForm())


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id):
    person = get_person(person_id, can.can_edit_person)
    form = PersonForm(obj=person)
    _fill_person_form(form)
    if request.method == "GET":
        form.manager_username.data = person.manager.username if person.manager else ""
        form.roles.data = [r.value for r in person.roles]
        form.version.data = person.version
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        saved, status = _save_person_form(form, person)
        if saved is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render("org/person_form.html", form=form, person=person,
                  conflict=person if status == 409 else None, status=status)


@bp.get("/people/<int:person_id>/row")
def person_row(person_id):
    person = get_person(person_id)
    return render("org/_person_row.html", person=person, action_form=EmptyForm())


@bp.route("/people/<int:person_id>/inline", methods=["GET", "POST"])
def person_inline(person_id):
    """Edit a people-list row in place (htmx), or on its own page without JavaScript."""
    person = get_person(person_id, can.can_edit_person)
    form = PersonInlineForm(obj=person)
    form.department_id.choices = [("", _("No department"))] + services.department_options()
    if request.method == "GET":
        form.version.data = person.version
    status = 200
    if form.validate_on_submit():
        try:
            services.update_person(person, expected_version=form.version.data,
                                   display_name=form.display_name.data,
                                   job_title=form.job_title.data or "",
                                   department_id=form.department_id.data)
            db.session.commit()
        except services.OrgError as error:
            _apply_error(form, error)
            status = 422
        except services.ConflictError as conflict:
            _conflict(form, conflict.current)
            status = 409
        else:
            if is_htmx():
                return render("org/_person_row.html", person=person, action_form=EmptyForm())
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.people"))
    elif form.is_submitted():
        status = 422
    return render("org/person_inline.html", "org/_person_row_form.html", form=form,
                  person=person, status=status)


@bp.post("/people/<int:person_id>/deactivate")
def deactivate_person(person_id):
    person = get_person(person_id, can.can_edit_person)
    if EmptyForm().validate_on_submit():
        if person.id == current_user.id:
            flash(_("You cannot deactivate yourself."), "error")
            return redirect(url_for("org.person", person_id=person.id))
        services.deactivate_person(person)
        db.session.commit()
        flash(_("%(name)s was deactivated and logged out everywhere.",
                name=person.display_name), "success")
    return redirect(url_for("org.person", person_id=person.id))


@bp.post("/people/<int:person_id>/activate")
def activate_person(person_id):
    person = get_person(person_id, can.can_edit_person)
    if EmptyForm().validate_on_submit():
        services.activate_person(person)
        db.session.commit()
        flash(_("%(name)s was reactivated.", name=person.display_name), "success")
    return redirect(url_for("org.person", person_id=person.id))


@bp.post("/people/<int:person_id>/reset-password")
def reset_password(person_id):
    from ..auth.services import reset_password as reset

    person = get_person(person_id, can.can_edit_person)
    if not EmptyForm().validate_on_submit():
        abort(400)
    temporary = reset(person)
    db.session.commit()
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


def _head_id(form):
    return _person_by_username(form.head_username)


@bp.route("/departments/new", methods=["GET", "POST"])
@can.require(can.can_administer_org)
def new_department():
    form = DepartmentForm()
    _fill_department_form(form)
    if form.validate_on_submit():
        try:
            department = services.create_department(
                code=form.code.data, name=form.name.data, parent_id=form.parent_id.data,
                head_id=_head_id(form))
            db.session.commit()
        except services.OrgError as error:
            _apply_error(form, error)
        else:
            flash(_("Department %(name)s was created.", name=department.name), "success")
            return redirect(url_for("org.department", department_id=department.id))
    status = 422 if form.is_submitted() else 200
    return render("org/department_form.html", form=form, department=None, status=status)


@bp.get("/departments/<int:department_id>")
def department(department_id):
    department = get_department(department_id)
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
    department = get_department(department_id, lambda u, d: can.can_administer_org(u))
    form = DepartmentForm(obj=department)
    _fill_department_form(form, department)
    if request.method == "GET":
        form.head_username.data = department.head.username if department.head else ""
        form.version.data = department.version
    status = 200
    if form.validate_on_submit():
        try:
            services.update_department(
                department, expected_version=form.version.data, code=form.code.data,
                name=form.name.data, parent_id=form.parent_id.data, head_id=_head_id(form))
            db.session.commit()
        except services.OrgError as error:
            _apply_error(form, error)
            status = 422
        except services.ConflictError as conflict:
            _conflict(form, conflict.current)
            status = 409
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.department", department_id=department.id))
    elif form.is_submitted():
        status = 422
    return render("org/department_form.html", form=form, department=department, status=status)


@bp.get("/departments/<int:department_id>/row")
def department_row(department_id):
    department = get_department(department_id)
    count = db.session.scalar(select(func.count(Person.id)).where(
        Person.department_id == department.id, Person.active.is_(True)))
    return render("org/_department_row.html", department=department,
                  depth=can.department_depth(department.id), count=count)


@bp.route("/departments/<int:department_id>/inline", methods=["GET", "POST"])
def department_inline(department_id):
    department = get_department(department_id, lambda u, d: can.can_administer_org(u))
    form = DepartmentInlineForm(obj=department)
    if request.method == "GET":
        form.head_username.data = department.head.username if department.head else ""
        form.version.data = department.version
    status = 200
    if form.validate_on_submit():
        try:
            services.update_department(department, expected_version=form.version.data,
                                       name=form.name.data, head_id=_head_id(form))
            db.session.commit()
        except services.OrgError as error:
            _apply_error(form, error)
            status = 422
        except services.ConflictError as conflict:
            _conflict(form, conflict.current)
            status = 409
        else:
            if is_htmx():
                return department_row(department.id)
            flash(_("Changes saved."), "success")
            return redirect(url_for("org.departments"))
    elif form.is_submitted():
        status = 422
    return render("org/department_inline.html", "org/_department_row_form.html", form=form,
                  department=department, status=status)


@bp.post("/departments/<int:department_id>/deactivate")
def deactivate_department(department_id):
    department = get_department(department_id, lambda u, d: can.can_administer_org(u))
    if EmptyForm().validate_on_submit():
        try:
            services.deactivate_department(department)
            db.session.commit()
            flash(_("Department %(name)s was deactivated.", name=department.name), "success")
        except services.OrgError as error:
            db.session.rollback()
            flash(str(error), "error")
    return redirect(url_for("org.department", department_id=department.id))


from . import import_views  # noqa: E402,F401  (import/export routes on this blueprint)
