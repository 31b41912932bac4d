from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..web import is_safe_next, render
from . import services
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)


def _failed_login(response) -> bool:
    return response.status_code == 401


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS"], methods=["POST"],
               deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS_PER_USER"], methods=["POST"],
               key_func=_username_key, deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        person = services.authenticate(form.username.data, form.password.data)
        if person is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session at every login
            if locale:
                session["locale"] = locale
            services.start_session(person, request.user_agent.string)
            login_user(person)
            db.session.commit()
            if person.must_change_password:
                flash(_("Choose a new password before you go on."), "info")
                return redirect(url_for("auth.change_password"))
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.home"))
        db.session.commit()  # keep a rehash or nothing; never leave the session dirty
        form.password.errors.append(_("Wrong username or password."))
        status = 401
    elif form.is_submitted():
        status = 422
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_session(current_user.login_token)
    logout_user()
    db.session.commit()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except services.PasswordError as error:
            getattr(form, error.field).errors.extend(error.messages)
            status = 422
        else:
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions were logged out."),
                  "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render("auth/change_password.html", form=form, status=status)


@bp.before_app_request
def insist_on_new_password():
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in {"auth.change_password", "auth.logout", "static",
                                         "main.set_language"}):
        return redirect(url_for("auth.change_password"))
    return None
