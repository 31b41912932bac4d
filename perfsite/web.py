"""Request plumbing shared by every blueprint: loading records with their access check, the
one "call the service, commit once, map its errors" wrapper, htmx answers, headers.

- `load(Model, id, check)`: the record, 404 when it does not exist, 403 when `check`
  (a permissions predicate) says this person may never do this to it.
- `attempt(form, call)`: runs a service, commits once, and turns the error hierarchy of
  perfsite/errors.py into answers: 403 and 404 abort; a Conflict (409) and an Invalid (422)
  put their message on the form, beside the field it names.
- `render(page, fragment)`: the whole page, or for htmx only the fragment the page itself
  includes.
- Every htmx answer shows its own flash messages out of band (nothing is left queued for
  the next page), and every successful htmx change tells the page `todos-changed`, on which
  the to-do badge reloads itself.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import (
    Request,
    Response,
    abort,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from . import permissions as can
from .errors import Conflict, Invalid, NotAllowed, NotFound
from .extensions import db, login_manager
from .models import Cycle
from .rules import MAX_ID, strip_controls


class CleanRequest(Request):
    """A request whose query string and form values come without control characters (NUL
    and the other C0 codes but tab, newline and carriage return): no field of this site
    wants them, and PostgreSQL refuses NUL in text even in a search."""

    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _without_controls(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_controls(self.__dict__["form"])


def _without_controls(values: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(strip_controls(key), strip_controls(value))
                               for key, value in values.items(multi=True)])


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(template_name: str, fragment: str | None = None, status: int = 200,
           **context) -> Response:
    """Render the whole page, or only `fragment` for an htmx request.

    The page template includes the same fragment, so both paths show the same markup.
    """
    chosen = fragment if fragment and is_htmx() else template_name
    response = make_response(render_template(chosen, **context), status)
    response.vary.add("HX-Request")
    return response


# Loading and saving -------------------------------------------------------------------------

def load(model, ident, check=None, *, options=(), for_update: bool = False):
    """The `model` row with this id, or 404; with `check` (a predicate of
    perfsite.permissions), 403 when the current user may never do this to it."""
    found = db.session.get(model, ident, options=list(options),
                           with_for_update=True if for_update else None)
    if found is None:
        abort(404)
    if check is not None:
        can.ensure(check(current_user, found))
    return found


def load_cycle(cycle_id, check=None):
    """A cycle for an area's pages: 404, or 403 when `check` (by default
    permissions.can_use_cycle: a draft cycle is HR's and the executives' only) says no."""
    return load(Cycle, cycle_id, check or can.can_use_cycle)


def attempt(form, call, current=None):
    """Run the service `call` and commit once: (200, result), or (409 or 422, None) with
    the reason on the form. NotAllowed answers 403 and NotFound 404."""
    try:
        result = call()
        db.session.commit()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except NotFound:
        db.session.rollback()
        abort(404)
    except Conflict as conflict:
        _refresh(form, conflict.current or current)
        form.form_errors.append(conflict.message)
        return 409, None
    except StaleDataError:
        # Saved by someone else between our read and our write.
        _refresh(form, current)
        form.form_errors.append(Conflict().message)
        return 409, None
    except Invalid as error:
        db.session.rollback()
        _blame(form, error)
        return 422, None
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append(_("This was saved already (a double click?). Reload the page "
                                  "to see it."))
        return 409, None
    except DataError:
        # The database refused a value the rules should have caught: say so, keep nothing.
        db.session.rollback()
        form.form_errors.append(_("A value is out of range. Check the numbers and dates."))
        return 422, None
    return 200, result


# Service field names shown by a differently named form field.
FIELD_ALIASES = {"target_id": "alignment", "supports_goal_id": "alignment",
                 "contributors": "contributor_ids", "manager_id": "manager_username",
                 "head_id": "head_username"}


def _blame(form, error: Invalid) -> None:
    """Put each message beside the field it names, or above the form."""
    errors = error.errors or ({None: error.message} if error.message else {})
    for name, message in errors.items():
        field = getattr(form, name or "", None)
        if field is None:
            field = getattr(form, FIELD_ALIASES.get(name or "", ""), None)
        if field is not None and hasattr(field, "errors") and name not in ("version", "meta"):
            field.errors = [*field.errors, str(message)]
        else:
            form.form_errors.append(str(message))


def _refresh(form, current) -> None:
    db.session.rollback()
    if current is not None:
        try:
            db.session.refresh(current)
        except Exception:  # deleted meanwhile: nothing newer to show
            return
        if hasattr(form, "version"):
            form.version.data = current.version


def status_of(form) -> int:
    """The status of a form page before saving: 422 when a post did not validate."""
    return 422 if form.is_submitted() else 200


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    host_url = urlsplit(request.host_url)
    test_url = urlsplit(urljoin(request.host_url, target))
    return test_url.scheme in ("http", "https") and host_url.netloc == test_url.netloc


def redirect_back(default: str) -> Response:
    target = request.form.get("next") or request.args.get("next")
    return redirect(target if is_safe_next(target) else default)


class IdConverter(IntegerConverter):
    """`<int:id>` routes accept only ids the database can hold: a larger number is a 404,
    not an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str):
        from .auth.services import person_for_session_token

        return person_for_session_token(token)

    @login_manager.unauthorized_handler
    def unauthorized():
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():
            # A login page inside a table cell helps nobody: send the browser there.
            response = make_response("", 401)
            response.headers["HX-Redirect"] = url_for(
                "auth.login", next=_htmx_page_path()
            )
            return response
        return redirect(target)

    @app.context_processor
    def navigation():
        return {"nav_section": nav_section}

    @app.after_request
    def htmx_answers(response):
        """Every htmx answer shows its own messages, and changes refresh the to-do badge."""
        if not is_htmx() or response.status_code in (301, 302, 303, 401):
            return response
        if response.mimetype == "text/html" and not response.direct_passthrough:
            messages = get_flashed_messages(with_categories=True)
            if messages:
                # In a <template>: beside a <tr> the parser would otherwise drop the <div>
                # (htmx unwraps templates for out-of-band swaps).
                response.set_data(response.get_data(as_text=True) + "<template>"
                                  + render_template("_flashes.html", messages=messages,
                                                    oob=True) + "</template>")
        if request.method not in ("GET", "HEAD") and 200 <= response.status_code < 300:
            trigger = response.headers.get("HX-Trigger")
            response.headers["HX-Trigger"] = (f"{trigger}, todos-changed" if trigger
                                              else "todos-changed")
        return response

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Scripts only from this site, and the pinned htmx file when HTMX_FROM_CDN (it also
        # carries an SRI hash); no inline script, style or eval anywhere (base.html).
        scripts = "'self'"
        if app.config["HTMX_FROM_CDN"]:
            scripts += f" {app.config['HTMX_CDN_URL']}"
        # Logging out (a form) may go on to the single sign-on provider's end-session page.
        forms_to = "'self'"
        if app.config.get("OIDC_ISSUER"):
            issuer = urlsplit(app.config["OIDC_ISSUER"])
            forms_to += f" {issuer.scheme}://{issuer.netloc}"
        response.headers.setdefault("Content-Security-Policy", "; ".join((
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            f"form-action {forms_to}",
            "object-src 'none'",
        )))
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.template_filter("html_datetime")
    def html_datetime(moment) -> str:
        """A moment as <time datetime> takes it: UTC to the second, "2026-05-01T09:30:00Z"
        (HTML allows at most three decimals of a second; a date stays a date)."""
        from datetime import UTC, datetime

        if not isinstance(moment, datetime):
            return moment.isoformat()
        if moment.tzinfo is not None:  # naive datetimes are stored in UTC already
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NAV_SECTIONS = {
    "org.people": "people", "org.person": "people", "org.new_person": "people",
    "org.edit_person": "people", "org.person_inline": "people",
    "org.departments": "departments", "org.department": "departments",
    "org.new_department": "departments", "org.edit_department": "departments",
    "org.department_inline": "departments",
    "coaching.todo_list": "todos",  # during the cycle
}


def nav_section() -> str:
    """Which navigation entry the current page belongs to (for aria-current)."""
    endpoint = request.endpoint or ""
    if endpoint in NAV_SECTIONS:
        return NAV_SECTIONS[endpoint]
    if endpoint.startswith("org.import") or endpoint == "org.export_people":
        return "import"
    return {"main": "home", "cycles": "cycles", "audit": "audit",
            "planning": "planning", "coaching": "coaching",
            "reviews": "reviews"}.get(request.blueprint or "", "")


def _htmx_page_path() -> str:
    """The page the htmx request came from, to come back to after logging in."""
    current = request.headers.get("HX-Current-URL", "")
    parts = urlsplit(current)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if is_safe_next(path) else "/"
