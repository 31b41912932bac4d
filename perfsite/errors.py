"""The one error hierarchy, and error pages in the site's layout (JSON for clients that ask).

Services raise these; they never return HTTP status codes. The one request wrapper
(`web.attempt`) turns them into answers, and so does the error handler below when a view
lets one escape:

    ServiceError            a rule said no                        (the base; 422)
      Invalid               bad input or a broken rule; `field`   422
      NotAllowed            this person may not do this           403
      NotFound              no such thing                         404
      Conflict              the record is not as the actor saw it 409 (`current`: the newer record)
        PhaseError          the cycle's phase does not allow it   409
        StateError          the record's state does not allow it  409

The org import's own outcomes (perfsite/org/importer.py) live here too: ImportFileError (an
Invalid on the "file" field), and ImportRejected and PlanChanged, which carry the import's
plan back to the page that shows it.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db


class ServiceError(Exception):
    """A rule said no. `message` is for people; `field` names the form field to blame."""

    status = 422

    def __init__(self, message="", field: str | None = None):
        super().__init__(str(message))
        self.message_text = message
        self.field = field

    @property
    def message(self) -> str:
        return str(self.message_text)


class Invalid(ServiceError):
    """Bad input, or a rule of the domain broken (weights off, a reason missing).
    `errors` may name several fields at once ({field: message})."""

    status = 422

    def __init__(self, message="", field: str | None = None, errors: dict | None = None):
        errors = dict(errors or {})
        super().__init__(message, field or next(iter(errors), None))
        self.errors = errors
        if self.field and message and self.field not in self.errors:
            self.errors[self.field] = message


class NotAllowed(ServiceError):
    """The actor may not do this, whatever the phase or state."""

    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The record changed since the actor loaded it; `current` is the newer record."""

    status = 409

    def __init__(self, message="", field: str | None = None, current=None):
        super().__init__(message or _l(
            "Someone else saved changes while you were editing. Their version is shown; "
            "your entries are kept in the form. Save again to apply yours over theirs."), field)
        self.current = current


class PhaseError(Conflict):
    """The cycle's phase does not allow the action."""

    def __init__(self, cycle, action: str):
        super().__init__(_l("Not possible while the cycle is in the “%(phase)s” phase.",
                            phase=cycle.current_phase.label))
        self.cycle = cycle
        self.action = action


class StateError(Conflict):
    """The record is in a state that does not allow the action (submitted, decided…)."""


class ImportFileError(Invalid):
    """The file as a whole cannot be read (format, size, header); nothing was stored."""

    def __init__(self, message):
        super().__init__(message, "file")


class ImportRejected(Exception):
    """At least one row has a problem, so nothing was written; `plan` says which."""

    def __init__(self, plan):
        super().__init__("the import has rows with problems")
        self.plan = plan


class PlanChanged(Exception):
    """The org chart changed between preview and commit; `plan` is the new preview."""

    def __init__(self, plan):
        super().__init__("the org chart changed since the preview")
        self.plan = plan


MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you were submitting "
                               "a form, reload the page and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Changed meanwhile"), _l("Someone else changed this record while you were "
                                      "editing it.")),
    413: (_l("Too large"), _l("The uploaded file is too large.")),
    422: (_l("Not saved"), _l("The request broke a rule; nothing was saved.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes "
                                      "and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Try again, and tell HR "
                                         "or IT if it keeps happening.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=str(title), message=str(detail or message)), code
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message), code


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if (app.config.get("SESSION_COOKIE_SECURE") and not request.is_secure
                and app.config["SESSION_COOKIE_NAME"] not in request.cookies):
            # Browsers keep a Secure cookie to themselves over plain HTTP: no session comes
            # back, so no form can be checked. Say which setting does it (README, Production).
            return render_error(400, str(_l(
                "This page was opened over plain HTTP, but the site sets "
                "SESSION_COOKIE_SECURE=1, so browsers send its cookies over HTTPS only and "
                "the form could not be checked. Open the site at its https:// address. "
                "(For the people who run the site: behind a TLS proxy, set TRUSTED_PROXIES; "
                "to try the site without HTTPS, leave SESSION_COOKIE_SECURE unset.)")))
        return render_error(400, str(_l("The form had expired or was not sent from this "
                                        "site. Reload the page and try again.")))

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        # A view that let a service's refusal escape: nothing of the request is kept.
        db.session.rollback()
        detail = error.message if error.status != 403 else None
        return render_error(error.status, detail or None)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        return render_error(error.code or 500)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        # Flask logs the original exception and, when PROPAGATE_EXCEPTIONS is on (as it is
        # under TESTING), re-raises it instead of coming here.
        db.session.rollback()
        return render_error(500)
