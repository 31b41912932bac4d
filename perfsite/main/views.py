"""Home page, language switch and the load balancer's health check."""

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from ..cycles.services import current_cycle
from ..extensions import db
from ..forms import EmptyForm
from ..web import is_safe_next, render

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render("main/home.html", cycle=current_cycle())


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
