"""Request plumbing shared by every blueprint: login loading, htmx helpers, headers."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from .extensions import login_manager


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
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


NAV_SECTIONS = {
    "org.people": "people", "org.person": "people", "org.new_person": "people",
    "org.edit_person": "people", "org.person_inline": "people",
    "org.departments": "departments", "org.department": "departments",
    "org.new_department": "departments", "org.edit_department": "departments",
    "org.department_inline": "departments",
    "coaching.todo_list": "todos",  # during the cycle (issue 4)
}


def nav_section() -> str:
    """Which navigation entry the current page belongs to (for aria-current)."""
    endpoint = request.endpoint or ""
    if endpoint in NAV_SECTIONS:
        return NAV_SECTIONS[endpoint]
    if endpoint.startswith("org.import") or endpoint == "org.export_people":
        return "import"
    return {"main": "home", "cycles": "cycles", "audit": "audit",
            "planning": "planning", "coaching": "coaching"}.get(request.blueprint or "", "")


def _htmx_page_path() -> str:
    """The page the htmx request came from, to come back to after logging in."""
    current = request.headers.get("HX-Current-URL", "")
    parts = urlsplit(current)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if is_safe_next(path) else "/"
