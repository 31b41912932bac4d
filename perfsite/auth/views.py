import math
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from .. import permissions as can
from .. import timezones
from ..extensions import db, limiter
from ..models import utcnow
from ..signin import oidc
from ..signin import services as signin
from ..web import attempt, is_safe_next, render, status_of
from . import bp, services
from .forms import AccountForm, ChangePasswordForm, LoginForm


@bp.after_app_request
def session_bookkeeping(response):
    """The login session's last use and expiry, written once the request has answered."""
    services.run_bookkeeping()
    return response


# Throttling (README, "Logins behind a proxy"). Only failures count. A limit per account and
# client address together slows down guessing without letting anyone lock a colleague out
# from another computer; a much higher limit per address alone stops one machine from
# trying many accounts. request.remote_addr is the client's address as far as
# TRUSTED_PROXIES lets ProxyFix believe X-Forwarded-For.

def _client_address() -> str:
    return request.remote_addr or "unknown"


def _account_and_address_key() -> str:
    username = (request.form.get("username") or "").strip().lower()[:60]
    return f"login:{username}@{_client_address()}"


def _address_key() -> str:
    return f"login-address:{_client_address()}"


def _person_and_address_key() -> str:
    return f"password-check:{getattr(current_user, 'id', '-')}@{_client_address()}"


def _failed_login(response) -> bool:
    return response.status_code == 401


def _wrong_current_password(response) -> bool:
    return g.get("wrong_current_password", False)


def _breached(kind: str):
    def remember(request_limit):
        g.auth_throttle = (kind, request_limit)
    return remember


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"], methods=["POST"],
               key_func=_address_key, deduct_when=_failed_login,
               on_breach=_breached("address"))
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS_PER_ACCOUNT_AND_ADDRESS"],
               methods=["POST"], key_func=_account_and_address_key, deduct_when=_failed_login,
               on_breach=_breached("account"))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    # Why the last session ended by itself (idle or too old), said once.
    expired = services.expired_message(session.pop(services.EXPIRED_KEY, None))
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            person = services.authenticate(form.username.data, form.password.data)
        except signin.DirectoryDown:
            # Never a fallback that skips the password: the page says what is wrong.
            db.session.rollback()
            form.form_errors.append(_("The sign-in service (the company directory) is not "
                                      "reachable. Try again in a few minutes; if it lasts, "
                                      "tell IT."))
            return render("auth/login.html", form=form, status=503, expired=expired)
        except signin.NotInOrgChart:
            db.session.rollback()
            form.form_errors.append(_("The directory knows you, but perfsite has no active "
                                      "person for you yet. HR's next directory sync adds "
                                      "you; ask HR if it does not."))
            return render("auth/login.html", form=form, status=403, expired=expired)
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
    return render("auth/login.html", form=form, status=status, expired=expired)


@bp.route("/logout", methods=["POST"])
def logout():
    # Signed in through the company's provider: sign out there too, when it says how.
    provider_logout = oidc.end_session_url(session.get("oidc_id_token"),
                                           url_for("auth.login", _external=True))
    services.end_session(current_user.login_token)
    logout_user()
    db.session.commit()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(provider_logout or url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS_PER_ACCOUNT_AND_ADDRESS"],
               methods=["POST"], key_func=_person_and_address_key,
               deduct_when=_wrong_current_password, on_breach=_breached("password"))
def change_password():
    if signin.uses_directory(current_user.username):
        # The directory checks this person's password: there is no perfsite one to change.
        return render("auth/change_password.html", form=None, directory_password=True)
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except services.PasswordError as error:
            getattr(form, error.field).errors.extend(error.messages)
            g.wrong_current_password = error.field == "current_password"
            status = 422
        else:
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions were logged out."),
                  "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render("auth/change_password.html", form=form, status=status)


@bp.errorhandler(RateLimitExceeded)
def throttled(error):
    """429 on the page itself, saying what is throttled and for how long."""
    kind, request_limit = g.get("auth_throttle", ("account", limiter.current_limit))
    minutes = 5
    if request_limit is not None:
        minutes = max(1, math.ceil((request_limit.reset_at - time.time()) / 60))
    wait = ngettext("Wait %(num)d minute, then try again.",
                    "Wait %(num)d minutes, then try again.", minutes)
    if request.endpoint == "auth.change_password":
        form = ChangePasswordForm()
        form.current_password.errors = [
            _("The current password was wrong too many times.") + " " + wait]
        return render("auth/change_password.html", form=form, status=429)
    form = LoginForm()
    if kind == "address":
        message = _("Too many failed logins from your network address.")
    else:
        message = _("Too many failed logins for this username from your computer; "
                    "other computers are not affected.")
    form.form_errors.append(message + " " + wait)
    return render("auth/login.html", form=form, status=429, expired=None)


@bp.before_app_request
def insist_on_new_password():
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in {"auth.change_password", "auth.logout", "static",
                                         "main.set_language"}):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The person's own account: the time zone they read times in (and where to change
    their password and what they are e-mailed)."""
    me = current_user._get_current_object()
    can.ensure(can.can_edit_account(me, me))
    form = AccountForm(data={"time_zone": me.time_zone or ""}).fill_choices(
        _("The site's: %(zone)s", zone=timezones.zone_place(timezones.site_zone())))
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: services.set_time_zone(
            me, me, form.time_zone.data))
        if status == 200:
            flash(_("Your time zone is saved: times are now shown in %(zone)s.",
                    zone=timezones.zone_place(timezones.zone_of(me))), "success")
            return redirect(url_for("auth.account"))
    return render("auth/account.html", form=form, status=status,
                  zone=timezones.zone_of(me), now=utcnow())
