"""Single sign-on (the login page's "Sign in with …" and the provider's callback), HR's
sign-in settings page with "test connection", and HR's "sync now"."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import permissions as can
from ..auth import services as auth
from ..extensions import db
from ..forms import EmptyForm
from ..web import render
from . import bp, checks, directory, oidc, services


@bp.app_context_processor
def sign_in_with():
    """The login page's "Sign in with …" button, when single sign-on is on."""
    return {"sso_name": oidc.provider_name() if oidc.is_configured() else None}


def _not_now():
    """Signed in already: home. Single sign-on off: the login page (its password form)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if not oidc.is_configured():
        return redirect(url_for("auth.login"))
    return None


@bp.get("/login/sso")
def sso_start():
    if (elsewhere := _not_now()) is not None:
        return elsewhere
    try:
        return oidc.client().authorize_redirect(url_for("signin.sso_callback", _external=True))
    except oidc.start_errors():
        current_app.logger.warning("OIDC provider not reachable", exc_info=True)
        return _refused(_("The sign-in service (%(name)s) is not reachable. Try again in a few "
                          "minutes; if it lasts, tell IT.", name=oidc.provider_name()), 503)


def _refused(message: str, status: int):
    db.session.rollback()
    return render("signin/refused.html", message=message, status=status)


@bp.get("/login/sso/callback")
def sso_callback():
    if (elsewhere := _not_now()) is not None:
        return elsewhere
    try:
        token = oidc.client().authorize_access_token()
    except oidc.unreachable_errors():
        current_app.logger.warning("OIDC token endpoint not reachable", exc_info=True)
        return _refused(_("The sign-in service (%(name)s) is not reachable. Try again in a few "
                          "minutes; if it lasts, tell IT.", name=oidc.provider_name()), 503)
    except oidc.refused_errors() as error:
        # A state that is not this browser's, a code used before, an ID token whose
        # signature, issuer, audience, expiry or nonce is wrong.
        current_app.logger.warning("OIDC sign-in refused: %r", error)
        return _refused(_("The sign-in could not be completed (it may have been started in "
                          "another tab, or taken too long). Start again."), 400)
    claims = token.get("userinfo")
    if not claims:
        return _refused(_("The sign-in could not be completed (it may have been started in "
                          "another tab, or taken too long). Start again."), 400)
    try:
        person = services.person_for_claims(dict(claims))
    except services.NoMatch:
        db.session.commit()  # the refusal's audit event
        return render("signin/refused.html", status=403, message=_(
            "%(name)s signed you in, but you are not an active person in perfsite. Ask HR "
            "to add you (or to reactivate you).", name=oidc.provider_name()))
    locale = session.get("locale")
    session.clear()  # a fresh session at every login
    if locale:
        session["locale"] = locale
    auth.start_session(person, request.user_agent.string)
    login_user(person)
    session["oidc_id_token"] = token.get("id_token")
    db.session.commit()
    return redirect(url_for("main.home"))


# HR: the sign-in settings page ------------------------------------------------------------

def _settings_page(results=None, status: int = 200):
    cfg = current_app.config
    return render("signin/settings.html", status=status, results=results,
                  action_form=EmptyForm(), cfg=cfg, oidc_on=oidc.is_configured(),
                  ldap_on=directory.is_configured(),
                  groups=[(role.label, dn) for role, dn in directory.group_roles().items()],
                  last_sync=services.last_sync(), sync_outcomes=services.SYNC_OUTCOMES)


@bp.get("/org/sign-in")
def settings():
    can.ensure(can.can_view_signin_settings(current_user))
    return _settings_page()


@bp.post("/org/sign-in/test")
def test_connection():
    can.ensure(can.can_view_signin_settings(current_user))
    form = EmptyForm()
    if not form.validate_on_submit():
        return _settings_page(status=422)
    return _settings_page(results=checks.run_checks())


@bp.post("/org/directory-sync")
def sync_now():
    can.ensure(can.can_sync_directory(current_user))
    form = EmptyForm()
    if not form.validate_on_submit() or not directory.is_configured():
        flash(_("No directory is configured."), "error")
        return redirect(url_for("signin.settings"))
    report = services.run_sync(started_by=current_user._get_current_object())
    db.session.commit()
    if report.outcome in ("applied", "unchanged"):
        flash(_("Directory sync done: %(created)d added, %(updated)d updated, %(deactivated)d "
                "deactivated.", created=report.counts.get("create", 0),
                updated=report.counts.get("update", 0),
                deactivated=report.counts.get("deactivated", 0)), "success")
    elif report.outcome == "unreachable":
        flash(_("The directory could not be reached; nothing was changed."), "error")
    else:
        flash(_("The directory's data has problems; nothing was changed. They are listed "
                "below."), "error")
    return redirect(url_for("signin.settings"))
