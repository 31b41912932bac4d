"""Home page, language switch and the load balancer's health check."""

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import aliased

from .. import permissions as can
from ..coaching.services import kept_todos
from ..extensions import db
from ..forms import EmptyForm
from ..models import Department, Person, utcnow
from ..ops.admin import company_is_empty
from ..planning.services.plans import home_summary
from ..web import is_safe_next, render
from . import bp


@bp.get("/")
def home():
    """What the person has to do, every open cycle they take part in, and their plans.
    An HR admin of a company with nobody else in it yet starts with the org chart import."""
    if can.can_administer_org(current_user) and company_is_empty():
        return redirect(url_for("org.import_start"))
    return render("main/home.html", todos=kept_todos.todos_and_keep(current_user, utcnow()),
                  planning=home_summary(current_user), profile=_profile(current_user))


def _profile_statement():
    manager = aliased(Person)
    return (select(Department.name.label("department"), manager.display_name.label("manager"))
            .select_from(Person)
            .outerjoin(Department, Department.id == Person.department_id)
            .outerjoin(manager, manager.id == Person.manager_id)
            .where(Person.id == bindparam("person_id")))


_PROFILE = _profile_statement()  # built once: each request only binds the person


def _profile(person):
    """The names of the person's department and manager, in one statement (the template
    loads nothing itself)."""
    return db.session.execute(_PROFILE, {"person_id": person.id}).one()


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "take me out of rotation"
        current_app.logger.exception("health check failed")
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")


@bp.post("/language")
def set_language():
    """Remember the chosen language: on the person when logged in, else in the session."""
    locale = request.form.get("locale", "")
    if EmptyForm().validate_on_submit() and locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers, bookmarks and feed readers look for it, without a
    login (pages also link static/img/icon.svg)."""
    return current_app.send_static_file("favicon.ico")
