"""Fixtures: an app on a migrated database, clients that log in as any role, factories.

The database comes from the migrations (never create_all). It is SQLite unless
TEST_DATABASE_URL is set, in which case the same suite runs on that database (CI points it
at PostgreSQL). Each test starts from empty tables. CSRF protection stays on.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

os.environ.setdefault("PERFSITE_INSTANCE", tempfile.mkdtemp(prefix="perfsite-test-instance-"))
os.environ.setdefault("SECRET_KEY", "tests-only-secret")

from perfsite import create_app  # noqa: E402
from perfsite.extensions import db  # noqa: E402

from .factories import Company, make_company  # noqa: E402

CI = os.environ.get("CI") == "true"
TEST_CONFIG = {
    "TESTING": True,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": None,
}


@event.listens_for(Engine, "connect")
def _fast_test_sqlite(dbapi_connection, connection_record):
    # Tests do not need SQLite to fsync every commit.
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def pytest_report_header(config):
    return f"database: {_database_kind()}"


def _database_kind() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return url.split("://")[0] if url else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated, empty database for the whole session."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
            "postgresql://") else url
        url = _worker_database(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'perfsite-test.db'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database beside the one given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _empty_all_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            _empty_postgresql(tables)
            return
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("PRAGMA foreign_keys=ON"))


def _empty_postgresql(tables) -> None:
    # DELETE with foreign-key triggers off is ~10x faster than TRUNCATE on small tables;
    # it needs a superuser, so fall back to TRUNCATE for an ordinary role.
    try:
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    except DBAPIError:
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _shared_app(database_url):
    # One app for the session: Jinja compiles each template once, not once per test.
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})


@pytest.fixture
def app(_shared_app):
    """The app on an empty database, with fresh rate limits."""
    from perfsite.extensions import limiter

    with _shared_app.app_context():
        limiter.reset()
    yield _shared_app
    _empty_all_tables(_shared_app)


@pytest.fixture
def fresh_app(database_url):
    """A new app instance, for tests that add routes or change configuration."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    _empty_all_tables(app)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def org_chart(app_ctx) -> Company:
    """For service tests: the small company, attached to the test's own session."""
    made = make_company()
    db.session.commit()
    return made


@pytest.fixture
def company(app) -> Company:
    """For HTTP tests: the small company (EXEC over HR, ENG and SALES; one person per role).

    The objects are detached with their columns loaded, so tests read ids and names while
    every request runs in its own app context, as in production.
    """
    with app.app_context():
        made = make_company()
        db.session.commit()
        for name in made.__dataclass_fields__:
            db.session.refresh(getattr(made, name))
        db.session.expunge_all()
    return made


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browserless:
    """A test client that logs in through the real form and posts with a CSRF token."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.client.get(path, follow_redirects=True).get_data(as_text=True))

    def login(self, username: str, password: str = "perfsite-demo"):
        response = self.client.post("/login", data={
            "username": username, "password": password, "csrf_token": self.token("/login"),
        })
        return response

    def post_form(self, path: str, data: dict | None = None, token_from: str = "/", **kwargs):
        """POST with a valid CSRF token taken from a page of this session."""
        payload = {"csrf_token": self.token(token_from), **(data or {})}
        return self.client.post(path, data=payload, **kwargs)

    def htmx(self, method: str, path: str, data: dict | None = None, token_from: str = "/"):
        headers = {"HX-Request": "true"}
        if method.upper() == "GET":
            return self.client.get(path, headers=headers, query_string=data)
        headers["X-CSRFToken"] = self.token(token_from)
        return self.client.open(path, method=method.upper(), data=data or {}, headers=headers)


@pytest.fixture
def client(app):
    return Browserless(app.test_client())


@pytest.fixture
def login_as(app, company):
    """login_as("head") returns a client logged in as that person of the company."""

    def _login(username: str) -> Browserless:
        c = Browserless(app.test_client())
        response = c.login(username)
        assert response.status_code == 302, f"login as {username} failed"
        return c

    return _login


@pytest.fixture
def count_queries(app):
    """with count_queries() as q: …; q.count is how many SQL statements ran."""

    @contextmanager
    def _count():
        counter = SimpleNamespace(count=0, statements=[])

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count


def pytest_sessionfinish(session, exitstatus):
    """With CI=true nothing may be skipped: a skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if CI and skipped:
        reporter.write_line(f"CI=true: {len(skipped)} tests were skipped; failing the run.",
                            red=True)
        session.exitstatus = 1
