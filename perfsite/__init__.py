"""perfsite: performance management for a company intranet.

`create_app(config=None)` builds the Flask app; `config` (a dict) overrides what is read
from the environment, which tests use to point at their own database.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config as config_module
from . import permissions
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# Endpoints reachable without logging in; every other endpoint requires a login.
PUBLIC_ENDPOINTS = {"auth.login", "main.healthz", "main.set_language", "static"}


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path(os.environ.get("PERFSITE_INSTANCE", ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(instance_path))
    if config:
        app.config.update(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from . import models  # noqa: F401  (register every table with the metadata)
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .coaching.views import bp as coaching_bp  # during the cycle (issue 4)
    from .cycles.views import bp as cycles_bp
    from .main.views import bp as main_bp
    from .org.views import bp as org_bp
    from .planning.views import bp as planning_bp

    for bp in (main_bp, auth_bp, org_bp, cycles_bp, audit_bp, planning_bp, coaching_bp):
        app.register_blueprint(bp)

    from . import cli, errors, web

    errors.register(app)
    web.register(app)
    cli.register(app)

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.context_processor
    def inject_permissions():
        return {"can": permissions, "languages": app.config["LANGUAGES"],
                "get_locale": get_locale}

    return app


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and service tests
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    best = request.accept_languages.best_match(["en", "zh_CN", "zh", "zh_Hans"])
    return "zh_CN" if best and best.startswith("zh") else "en"


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    # SQLite enforces foreign keys only when asked, per connection.
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
