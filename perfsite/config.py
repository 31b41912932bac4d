"""Configuration read from the environment.

DATABASE_URL            SQLAlchemy URL; default a SQLite file under instance/.
SECRET_KEY              session signing key; generated into instance/secret_key on first run.
RATELIMIT_STORAGE_URI   Flask-Limiter storage; memory:// by default, redis://… in production.
SESSION_COOKIE_SECURE   "1" when the site is served over HTTPS.
TRUSTED_PROXIES         number of reverse proxies whose X-Forwarded-For/-Proto are believed (0).
SESSION_IDLE_MINUTES    a login ends after this many minutes unused (480).
SESSION_MAX_DAYS        a login ends this many days after it started, used or not (7).
HTMX_FROM_CDN           "1": htmx from the pinned CDN (with SRI), the local copy when it is slow.
PERFSITE_QUERY_STATS    "1": answers say their SQL statements and rows (X-SQL-*), for `make bench`.
MAIL_SERVER, MAIL_PORT, MAIL_FROM, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS ("1"), SITE_URL
                        e-mail (notifications and the daily digest); none without MAIL_SERVER.
MAIL_BACKEND            "smtp" (default), or "console" to print e-mails instead (development).
SITE_NAME               the site's name in e-mails and chat messages ("perfsite").
SITE_TIMEZONE           everyone's time zone until they choose their own (Asia/Shanghai).
NOTIFY_GIVE_UP_HOURS    a delivery that keeps failing is given up after this long (24).
NOTIFY_RETRY_BASE_SECONDS, NOTIFY_RETRY_MAX_SECONDS
                        the first wait after a failure (30), doubling up to this (1800).
NOTIFY_HTTP_TIMEOUT     seconds to wait for a chat service or mail server (10).
NOTIFY_DEADLINE_DAYS    days before a cycle's end when the group channels are told ("7,3,1").
NOTIFY_COMPLETION_WEEKDAY  the weekday (0 Monday) the group channels hear completion (0).
NOTIFY_MIN_GROUP        completion is told of groups of at least this many people (5).
OIDC_*, LDAP_*, LOCAL_LOGIN_USERS
                        company sign-in (single sign-on, the directory): signin_settings() below
                        and the README's "Company sign-in".
"""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _normalise_db_url(url: str) -> str:
    # "postgres://" and "postgresql://" both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: Path) -> dict:
    instance_path.mkdir(parents=True, exist_ok=True)
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'perfsite.db'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(db_url),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
        # How many reverse proxies in front of the site set X-Forwarded-For/-Proto (ProxyFix).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES") or 0),
        # A login session ends after this long unused, and this long after logging in.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES") or 480),
        "SESSION_MAX_DAYS": int(os.environ.get("SESSION_MAX_DAYS") or 7),
        # e-mailed reminders
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "perfsite@localhost"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS") == "1",
        "SITE_URL": os.environ.get("SITE_URL", ""),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp"),
        "SITE_NAME": os.environ.get("SITE_NAME", "perfsite"),
        # Everyone's time zone until they choose their own on their account page
        # (perfsite/timezones.py); an IANA name.
        "TIMEZONE": os.environ.get("SITE_TIMEZONE") or "Asia/Shanghai",
        # notifications where people work (perfsite/notify): the outbox's retries
        "NOTIFY_GIVE_UP_HOURS": float(os.environ.get("NOTIFY_GIVE_UP_HOURS") or 24),
        "NOTIFY_RETRY_BASE_SECONDS": float(os.environ.get("NOTIFY_RETRY_BASE_SECONDS") or 30),
        "NOTIFY_RETRY_MAX_SECONDS": float(os.environ.get("NOTIFY_RETRY_MAX_SECONDS") or 1800),
        "NOTIFY_HTTP_TIMEOUT": float(os.environ.get("NOTIFY_HTTP_TIMEOUT") or 10),
        "NOTIFY_DEADLINE_DAYS": os.environ.get("NOTIFY_DEADLINE_DAYS", "7,3,1"),
        "NOTIFY_COMPLETION_WEEKDAY": int(os.environ.get("NOTIFY_COMPLETION_WEEKDAY") or 0),
        "NOTIFY_MIN_GROUP": int(os.environ.get("NOTIFY_MIN_GROUP") or 5),
        # htmx from the pinned CDN instead of static/vendor (never waited for: base.html).
        "HTMX_FROM_CDN": os.environ.get("HTMX_FROM_CDN") == "1",
        # X-SQL-Statements / X-SQL-Rows on every answer, for the benchmark (query_stats.py).
        "QUERY_STATS": os.environ.get("PERFSITE_QUERY_STATS") == "1",
        **signin_settings(os.environ),
    }


def _words(value: str) -> list[str]:
    return [word for word in value.replace(",", " ").split() if word]


def signin_settings(environ) -> dict:
    """Company sign-in (README, "Company sign-in"): OpenID Connect single sign-on, and the
    LDAP / Active Directory password check and directory sync. Each is on when its first
    setting (OIDC_ISSUER, LDAP_URL) is given."""
    get = environ.get
    return {
        # OpenID Connect: the provider's issuer URL (its discovery document lives below it)
        "OIDC_ISSUER": get("OIDC_ISSUER", "").rstrip("/"),
        "OIDC_CLIENT_ID": get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": get("OIDC_SCOPES", "openid email profile"),
        # The ID token claim that names the person, and the person field it equals.
        "OIDC_CLAIM": get("OIDC_CLAIM", "email"),
        "OIDC_MATCH": get("OIDC_MATCH", "email"),  # email, username or employee_number
        # "Sign in with <this>" on the login page.
        "OIDC_PROVIDER_NAME": get("OIDC_PROVIDER_NAME", ""),
        # "1": someone the provider signs in who matches nobody is created, without roles.
        "OIDC_JIT": get("OIDC_JIT") == "1",
        "OIDC_TIMEOUT": float(get("OIDC_TIMEOUT") or 10),
        # LDAP / Active Directory: ldap://… (with LDAP_STARTTLS=1) or ldaps://…, several
        # separated by spaces, tried in turn.
        "LDAP_URLS": _words(get("LDAP_URL", "")),
        "LDAP_STARTTLS": get("LDAP_STARTTLS") == "1",
        "LDAP_CA_FILE": get("LDAP_CA_FILE", ""),
        # direct: bind as LDAP_USER_DN with {username} filled in ("uid={username},ou=People,
        # dc=example,dc=com", or an AD UPN "{username}@corp.example.com"); search: bind as
        # LDAP_BIND_DN, find the person with LDAP_USER_FILTER, then bind as them.
        "LDAP_BIND_MODE": get("LDAP_BIND_MODE", "search"),
        "LDAP_USER_DN": get("LDAP_USER_DN", ""),
        "LDAP_BIND_DN": get("LDAP_BIND_DN", ""),
        "LDAP_BIND_PASSWORD": get("LDAP_BIND_PASSWORD", ""),
        "LDAP_BASE_DN": get("LDAP_BASE_DN", ""),
        "LDAP_USER_FILTER": get("LDAP_USER_FILTER",
                                "(&(objectClass=inetOrgPerson)(uid={username}))"),
        # Entries matching this are disabled accounts (AD: userAccountControl bit 2).
        "LDAP_DISABLED_FILTER": get("LDAP_DISABLED_FILTER", ""),
        "LDAP_ATTR_USERNAME": get("LDAP_ATTR_USERNAME", "uid"),
        "LDAP_ATTR_NAME": get("LDAP_ATTR_NAME", "cn"),
        "LDAP_ATTR_EMAIL": get("LDAP_ATTR_EMAIL", "mail"),
        "LDAP_ATTR_EMPLOYEE_NUMBER": get("LDAP_ATTR_EMPLOYEE_NUMBER", "employeeNumber"),
        "LDAP_ATTR_TITLE": get("LDAP_ATTR_TITLE", "title"),
        # Empty: the department is the OU the entry sits in.
        "LDAP_ATTR_DEPARTMENT": get("LDAP_ATTR_DEPARTMENT", ""),
        "LDAP_ATTR_MANAGER": get("LDAP_ATTR_MANAGER", "manager"),
        # Members of these groups hold the role while they are members.
        "LDAP_GROUP_HR_ADMIN": get("LDAP_GROUP_HR_ADMIN", ""),
        "LDAP_GROUP_EXECUTIVE": get("LDAP_GROUP_EXECUTIVE", ""),
        "LDAP_TIMEOUT": float(get("LDAP_TIMEOUT") or 5),
        # With the directory on, only these usernames may still use a local password (the
        # break-glass HR administrator).
        "LOCAL_LOGIN_USERS": [u.lower() for u in _words(get("LOCAL_LOGIN_USERS", ""))],
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": {"en": "English", "zh_CN": "简体中文"},
    "RATELIMIT_HEADERS_ENABLED": True,
    # Failed logins allowed before 429 (README, "Logins behind a proxy"): per account and
    # client address together, so nobody can lock a colleague out from elsewhere, and per
    # address alone at a much higher threshold. The current-password check of the
    # change-password page counts per person and address like the first.
    "LOGIN_FAILURE_LIMITS_PER_ACCOUNT_AND_ADDRESS": "5 per 5 minutes",
    "LOGIN_FAILURE_LIMITS_PER_ADDRESS": "100 per 5 minutes",
    # argon2 cost; tests lower it so that the suite stays fast.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "PAGE_SIZE": 50,
    # Uploads (org chart files) larger than this are refused before they are read: the
    # import's 20 MB (org/importer.py MAX_BYTES) and the form around it.
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    # htmx, pinned, with its Subresource Integrity hash: served from static/vendor, or with
    # HTMX_FROM_CDN=1 from the CDN, turning to the local copy after HTMX_CDN_TIMEOUT_MS
    # (templates/base.html, static/js/htmx-cdn.js).
    "HTMX_VERSION": "2.0.11",
    "HTMX_CDN_URL": "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
    "HTMX_SRI": "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
    "HTMX_CDN_TIMEOUT_MS": 1500,
}
