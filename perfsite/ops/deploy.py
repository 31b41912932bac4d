"""`flask check-deploy`: what is wrong for production, in plain words.

Each check reads the app's configuration (and, for the CDN, tries it from this server) and
says what goes wrong with it in production and what to set instead. The README's
"Production" section is the setup these checks hold to: PostgreSQL, Redis for the login
throttle with several workers, a secret key from the environment, TLS at a reverse proxy in
front with secure cookies and TRUSTED_PROXIES, htmx from static/vendor.
"""

from __future__ import annotations

import base64
import hashlib
import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text

from ..extensions import db

CDN_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Finding:
    """One thing wrong for production: the setting, what goes wrong, what to do."""

    setting: str
    problem: str
    fix: str


@dataclass(frozen=True)
class Setup:
    """What the checks cannot read from the configuration: how the site is served."""

    workers: int
    url: str = ""  # the address people open, e.g. https://perf.example.com
    behind_proxy: bool | None = None  # None: a https:// address or secure cookies say so

    @property
    def https(self) -> bool:
        return self.url.lower().startswith("https://")

    @property
    def plain_http(self) -> bool:
        return self.url.lower().startswith("http://")


def check(app, setup: Setup, environ: Mapping[str, str] | None = None,
          cdn_timeout: float = CDN_TIMEOUT_SECONDS) -> list[Finding]:
    """Everything wrong for production with this app served as `setup` says."""
    environ = os.environ if environ is None else environ
    config = app.config
    found: list[Finding] = []
    found += _secret_key(environ, app.instance_path)
    found += _database(app, setup)
    found += _rate_limits(config, setup)
    found += _https(config, setup)
    found += _signin(config)
    if config.get("DEBUG"):
        found.append(Finding(
            "FLASK_DEBUG", "The debugger is on: an error page lets anyone run code on the "
            "server.", "Unset FLASK_DEBUG (and never use `flask run --debug` in production)."))
    if config.get("HTMX_FROM_CDN"):
        found += _cdn(config, cdn_timeout)
    return found


def _secret_key(environ, instance_path) -> list[Finding]:
    key = environ.get("SECRET_KEY", "")
    if not key:
        return [Finding(
            "SECRET_KEY", "SECRET_KEY is not set, so the site signs logins with a key it "
            f"generated into {instance_path}/secret_key: each machine makes its own (a login "
            "on one is refused by another), and losing that folder logs everybody out.",
            "Set SECRET_KEY to a long random value, the same on every machine, kept out of "
            "git: python3 -c 'import secrets; print(secrets.token_hex(32))'.")]
    if len(key) < 32:
        return [Finding(
            "SECRET_KEY", f"SECRET_KEY is {len(key)} characters long: short enough to guess, "
            "and with it anyone can forge a login.",
            "Use at least 32 random characters: python3 -c 'import secrets; "
            "print(secrets.token_hex(32))'.")]
    return []


def _database(app, setup: Setup) -> list[Finding]:
    found = []
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite") and setup.workers > 1:
        found.append(Finding(
            "DATABASE_URL", f"The database is a SQLite file and the site runs {setup.workers} "
            "workers: SQLite lets one process write at a time, so the workers queue behind "
            "each other and one long import holds up every save.",
            "Use PostgreSQL (DATABASE_URL=postgresql://user@host/perfsite), or run a single "
            "worker."))
    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as error:  # any failure: the site cannot start its work either
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            found.append(Finding(
                "DATABASE_URL", f"The database does not answer: {reason}",
                "Check DATABASE_URL, that the server runs and that this user may connect."))
            return found
        finally:
            db.session.remove()
        from .backup import code_head, database_revision

        current, head = database_revision(), code_head()
        if current != head:
            found.append(Finding(
                "database schema", f"The database's schema is at {current or 'nothing (empty)'}"
                f" and this version of the site needs {head}.",
                "Run `perfsite db upgrade` (or `flask --app perfsite db upgrade`) before "
                "starting the site."))
    return found


def _rate_limits(config, setup: Setup) -> list[Finding]:
    if config["RATELIMIT_STORAGE_URI"].startswith("memory") and setup.workers > 1:
        return [Finding(
            "RATELIMIT_STORAGE_URI", f"Failed logins are counted in each worker's own memory "
            f"and the site runs {setup.workers} workers: someone guessing passwords gets "
            f"{setup.workers} times the tries, and a restart forgets them all.",
            "Point RATELIMIT_STORAGE_URI at Redis (redis://cache.internal:6379/0), shared by "
            "every worker.")]
    return []


def _signin(config) -> list[Finding]:
    """Company sign-in (README, "Company sign-in"): passwords never cross the network in
    clear, and someone can still get in when the directory is down."""
    found = []
    plain = [url for url in config.get("LDAP_URLS") or [] if url.lower().startswith("ldap://")]
    if plain and not config.get("LDAP_STARTTLS"):
        found.append(Finding(
            "LDAP_URL", f"{', '.join(plain)} is plain LDAP without StartTLS: every password "
            "typed into the login form crosses the network readable.",
            "Use ldaps://, or set LDAP_STARTTLS=1 (and LDAP_CA_FILE to the directory's CA)."))
    if config.get("LDAP_URLS") and not config.get("LOCAL_LOGIN_USERS"):
        found.append(Finding(
            "LOCAL_LOGIN_USERS", "With the directory on and no local account, nobody can sign "
            "in while the directory is down, not even to look at the sign-in settings.",
            "Name one break-glass HR administrator: LOCAL_LOGIN_USERS=<username>."))
    issuer = config.get("OIDC_ISSUER") or ""
    if issuer.lower().startswith("http://"):
        found.append(Finding(
            "OIDC_ISSUER", f"{issuer} is plain HTTP: tokens and the provider's keys could be "
            "read or replaced on the way.", "Use the provider's https:// issuer URL."))
    return found


def _https(config, setup: Setup) -> list[Finding]:
    found = []
    secure = config.get("SESSION_COOKIE_SECURE")
    if secure and setup.plain_http:
        found.append(Finding(
            "SESSION_COOKIE_SECURE", f"Cookies are marked secure but the site's address is "
            f"{setup.url}: browsers send secure cookies over HTTPS only, so every login fails "
            "(the form's check finds no session).",
            "Serve the site over HTTPS (a TLS proxy in front, README \"Production\") and give "
            "its https:// address; only to try it without TLS, leave SESSION_COOKIE_SECURE "
            "unset."))
    elif not secure:
        found.append(Finding(
            "SESSION_COOKIE_SECURE", "Login cookies may travel over plain HTTP, where anyone "
            "on the network can copy one and be logged in as that person.",
            "Serve the site over HTTPS (a TLS proxy in front) and set "
            "SESSION_COOKIE_SECURE=1."))
    behind_proxy = setup.behind_proxy
    if behind_proxy is None:
        behind_proxy = setup.https or bool(secure)
    if behind_proxy and not config.get("TRUSTED_PROXIES"):
        found.append(Finding(
            "TRUSTED_PROXIES", "The site is behind a proxy but TRUSTED_PROXIES is 0, so it "
            "believes no X-Forwarded-For or X-Forwarded-Proto: every user has the proxy's "
            "address (100 failed logins by anyone lock the whole company out for 5 minutes) "
            "and the site does not know the page was opened over HTTPS.",
            "Set TRUSTED_PROXIES to the number of proxies in front (1 for one nginx), which "
            "sends X-Forwarded-For and X-Forwarded-Proto (README, \"Logins behind a proxy\")."))
    return found


def sri_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _cdn(config, timeout: float) -> list[Finding]:
    url = config["HTMX_CDN_URL"]
    fix = ("Leave HTMX_FROM_CDN unset: pages then use the copy in static/vendor, which needs "
           "no internet.")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except Exception as error:  # unreachable, refused, timed out, TLS: all mean "cannot"
        reason = getattr(error, "reason", None) or error
        return [Finding(
            "HTMX_FROM_CDN", f"HTMX_FROM_CDN=1 but this server cannot reach {url} ({reason}). "
            "Browsers on the same network probably cannot either: each browser tab then "
            f"waits {config['HTMX_CDN_TIMEOUT_MS'] / 1000:g} s for htmx before it takes the "
            "local copy.", fix)]
    if sri_of(body) != config["HTMX_SRI"]:
        return [Finding(
            "HTMX_FROM_CDN", f"{url} answers a different file from the pinned htmx "
            f"{config['HTMX_VERSION']} (its hash is not HTMX_SRI): browsers refuse it and "
            "take the local copy, after a detour.", fix)]
    return []
