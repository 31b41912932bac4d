"""Absolute links to the site's pages, for messages read outside it (e-mail, chat).

They start with SITE_URL (e.g. https://perf.example.com, or with a path prefix); without
it, a request's own address is used, and outside a request (a CLI job) there is no link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def site_name() -> str:
    return current_app.config.get("SITE_NAME") or "perfsite"


def site_url() -> str:
    configured = (current_app.config.get("SITE_URL") or "").rstrip("/")
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else ""


def site_link(endpoint: str, **values) -> str | None:
    """The page's absolute address, or None when the site's address is unknown."""
    base = site_url()
    if not base:
        return None
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
