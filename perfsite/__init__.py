"""perfsite: performance management for a company intranet.

`create_app(config=None)` builds the Flask app; `config` (a dict) overrides what is read
from the environment, which tests use to point at their own database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from . import permissions
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the checkout, when the site runs from one
# templates/, static/ and migrations/: at the checkout's top level, or, installed from the
# wheel, inside the package (setup.py puts them in perfsite/bundled).
FILES = PACKAGE / "bundled" if (PACKAGE / "bundled").is_dir() else ROOT
# The SQLite file and the generated secret key: instance/ in a checkout; installed, where
# Flask puts an installed app's instance folder (<venv>/var/perfsite-instance).
DEFAULT_INSTANCE = (ROOT / "instance" if FILES == ROOT
                    else Path(sys.prefix) / "var" / "perfsite-instance")

# Endpoints reachable without logging in; every other endpoint requires a login.
PUBLIC_ENDPOINTS = {"auth.login", "main.healthz", "main.set_language", "main.favicon",
                    "static", "signin.sso_start", "signin.sso_callback"}


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path(os.environ.get("PERFSITE_INSTANCE") or DEFAULT_INSTANCE)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(FILES / "templates"),
        static_folder=str(FILES / "static"),
    )
    from .web import CleanRequest, IdConverter

    # Before any blueprint adds its routes: `<int:…>` ids are bounded (see IdConverter).
    app.url_map.converters["int"] = IdConverter
    app.request_class = CleanRequest
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(instance_path))
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # One writer at a time: wait for the lock (a long import commit) rather than fail.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("TRUSTED_PROXIES"):
        # The client's address comes from X-Forwarded-For only as far as this many proxies
        # (README, "Logins behind a proxy"); the login throttle counts per address.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(FILES / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    from . import i18n, timezones

    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=timezones.select_timezone)
    timezones.register(app)  # the `local_time` filter: every time in the reader's zone

    i18n.install(app)  # the same `_()` in templates, cheaper (perfsite/i18n.py)

    from . import areas, models  # noqa: F401  (models: every table in the metadata)

    areas.register(app)  # every area's blueprint (perfsite/areas.py)
    # what each area plugs into the others: score sources, phase hooks, to-do collectors,
    # notification hooks, in one list (perfsite/areas.py, perfsite/plugins.py)
    areas.plug_in(app)
    from .signin import oidc

    oidc.init_app(app)  # single sign-on, when OIDC_ISSUER is set

    from . import cli, errors, web
    from .ops import admin as first_run

    errors.register(app)
    web.register(app)
    cli.register(app)
    first_run.register(app)  # what the empty site says (login page, import page)

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

    from . import query_stats

    query_stats.register(app)  # only with PERFSITE_QUERY_STATS=1 (for `make bench`)
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
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        # SQLite enforces foreign keys only when asked, per connection.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # pysqlite's own transaction handling breaks savepoints (a RELEASE can commit):
        # take it over and BEGIN explicitly (SQLAlchemy's documented recipe, below).
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    # SQLite has one writer at a time: a request that may write takes the write lock up
    # front, so that two at once queue instead of one failing with "database is locked"
    # (and of a double-clicked form, the second in line finds the first's result).
    writes = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
