"""Fixtures: an app on a migrated database, clients that log in as any role, factories.

The database comes from the migrations (never create_all). It is SQLite unless
TEST_DATABASE_URL is set, in which case the same suite runs on that database (CI points it
at PostgreSQL). Each test starts from empty tables. CSRF protection stays on.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from contextlib import contextmanager
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, event, make_url, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

os.environ.setdefault("PERFSITE_INSTANCE", tempfile.mkdtemp(prefix="perfsite-test-instance-"))
os.environ.setdefault("SECRET_KEY", "tests-only-secret")

from perfsite import create_app  # noqa: E402
from perfsite.extensions import db  # noqa: E402

from .factories import Company, make_company  # noqa: E402
from .notify_support import receiver, smtp_server  # noqa: E402, F401  (notification fixtures)

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


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` (concurrent writers, which SQLite serialises) run in the
    PostgreSQL pass; the SQLite pass leaves them out, saying so, and CI runs both passes."""
    if _database_kind().startswith("postgresql"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
        config._perfsite_postgresql_only = len(left_out)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    count = getattr(config, "_perfsite_postgresql_only", 0)
    if count:
        terminalreporter.write_line(
            f"{count} tests need PostgreSQL (set TEST_DATABASE_URL; CI does): left out here.")


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
        # PRAGMA foreign_keys works only outside a transaction: on the raw connection,
        # which the app runs in autocommit mode and BEGINs explicitly (perfsite/__init__).
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("BEGIN")
            for table in tables:
                raw.execute(f"DELETE FROM {table}")
            raw.execute("COMMIT")
            raw.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()


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


_demo_rows: dict[str, list[dict]] | None = None


def seed_demo(app) -> None:
    """The demo company (perfsite.demo.seed_demo_company) on the empty test database.

    Seeding takes seconds; a worker seeds once, keeps every table's rows, and afterwards
    writes those rows straight back (foreign-key checks off while it does, as when emptying),
    which takes a fraction of a second and gives the same database, ids included."""
    global _demo_rows
    from perfsite.demo import seed_demo_company

    with app.app_context():
        tables = db.metadata.sorted_tables
        if _demo_rows is None:
            seed_demo_company()
            db.session.commit()
            with db.engine.connect() as conn:
                _demo_rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                              for t in tables}
            return
        db.session.remove()
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            with db.engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                _restore_rows(conn, tables)
                for table in tables:
                    if "id" in table.c and table.c.id.autoincrement is not False \
                            and table.c.id.primary_key:
                        conn.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
            return
        # PRAGMA foreign_keys works only outside a transaction: on the DBAPI connection,
        # before this Connection begins one.
        with db.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            dbapi.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    _restore_rows(conn, tables)
            finally:
                dbapi.execute("PRAGMA foreign_keys=ON")


def _restore_rows(conn, tables) -> None:
    for table in tables:
        rows = _demo_rows[table.name]
        if rows:
            # A database migrated just now holds the rows its migrations wrote (org_version's
            # one row): the snapshot's replace them (on an emptied one this deletes nothing).
            conn.execute(table.delete())
            conn.execute(table.insert(), rows)


@pytest.fixture
def demo(app) -> dict[str, int]:
    """The demo company, seeded (quickly: see seed_demo); gives its cycles' ids by name."""
    from perfsite.models import Cycle

    seed_demo(app)
    with app.app_context():
        return {c.name: c.id for c in db.session.scalars(select(Cycle))}


def demo_login(app, username: str) -> Browserless:
    """A client logged in as a demo login (password perfsite-demo)."""
    client = Browserless(app.test_client())
    assert client.login(username).status_code == 302
    return client


@pytest.fixture
def fresh_app(database_url):
    """A new app instance, for tests that add routes or change configuration."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    _empty_all_tables(app)


@pytest.fixture
def scratch_database(database_url, tmp_path):
    """scratch_database(name) -> the URL of a new, empty database of this run's kind (a
    SQLite file, or a PostgreSQL database beside the worker's, dropped afterwards)."""
    made = []

    def _make(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'{name}.db'}"
        base = make_url(database_url)
        url = base.set(database=f"{base.database}_scratch_{name}")
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        made.append(url)
        return url.render_as_string(hide_password=False)

    yield _make
    if made:
        base = make_url(database_url)
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            for url in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))


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

    def post_form(self, path: str, data: dict | None = None, token_from: str = "/",
                  token: str | None = None, **kwargs):
        """A crafted POST with a valid CSRF token taken from a page of this session (or
        `token`, taken so once for many posts), and, like any crafted create form, a fresh
        one-time form token."""
        payload = {"csrf_token": token or self.token(token_from),
                   **_with_form_tokens(data or {})}
        return self.client.post(path, data=payload, **kwargs)

    def htmx(self, method: str, path: str, data: dict | None = None, token_from: str = "/",
             token: str | None = None):
        headers = {"HX-Request": "true"}
        if method.upper() == "GET":
            return self.client.get(path, headers=headers, query_string=data)
        headers["X-CSRFToken"] = token or self.token(token_from)
        return self.client.open(path, method=method.upper(), data=_with_form_tokens(data or {}),
                                headers=headers)

    def form(self, page: str, match: str) -> PageForm:
        """The form of `page` whose id, or action, contains `match`, as the browser would
        send it (hidden fields, CSRF and one-time tokens, defaults, checked boxes)."""
        response = self.client.get(page)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        html = response.get_data(as_text=True)
        forms = FormParser.parse(html)
        found = [f for f in forms if match in (f.id or "") or match in (f.action or "")]
        assert found, f"no form matching {match!r} on {page}: {[f.action for f in forms]}"
        found[0].client = self
        found[0].page = page
        return found[0]


def _with_form_tokens(data: dict) -> dict:
    """Add a one-time form token (for the plain form and each prefixed one in `data`)
    where the crafted data has none."""
    data = dict(data)
    prefixes = {""} | {key.rsplit("-", 1)[0] + "-" for key in data if "-" in key}
    for prefix in prefixes:
        data.setdefault(f"{prefix}form_token", secrets.token_urlsafe(16))
    return data


class PageForm:
    """A form read from a page: `fields` as the browser would send them; `submit()` posts
    them (changed by `data`), plainly or as htmx does."""

    def __init__(self, action, method, form_id, fields, buttons):
        self.action, self.method, self.id = action, method, form_id
        self.fields, self.buttons = fields, buttons
        self.choices: set[str] = set()  # names of selects, radios, checkboxes, hidden inputs
        self.client = None
        self.page = None

    def submit(self, data: dict | None = None, *, button: str | None = None,
               htmx: bool = False, client: Browserless | None = None, **kwargs):
        values = {**self.fields, **(data or {})}
        if button is not None:
            name, value = button.split("=", 1) if "=" in button else (button, "")
            values[name] = value
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": values.get("csrf_token", "")}
        sender = (client or self.client).client
        return sender.open(self.action or self.page, method=self.method, data=values,
                           headers=headers, **kwargs)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self.current = None
        self.select = None
        self.textarea = None

    @classmethod
    def parse(cls, html: str) -> list[PageForm]:
        parser = cls()
        parser.feed(html)
        return parser.forms

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = PageForm(a.get("action"), (a.get("method") or "get").upper(),
                                    a.get("id"), {}, [])
            self.forms.append(self.current)
            return
        if self.current is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                self.current.choices.add(name)
                if "checked" in a:
                    if kind == "checkbox" and name in self.current.fields:
                        existing = self.current.fields[name]
                        self.current.fields[name] = (existing if isinstance(existing, list)
                                                     else [existing]) + [a.get("value", "on")]
                    else:
                        self.current.fields[name] = a.get("value", "on")
            elif kind in ("submit", "button"):
                self.current.buttons.append((name, a.get("value", "")))
            else:
                if kind == "hidden":
                    self.current.choices.add(name)
                self.current.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self.select = name
            self.current.choices.add(name)
            self.current.fields.setdefault(name, "")
            self._first_option = True
        elif tag == "option" and self.select:
            if "selected" in a or self._first_option:
                self.current.fields[self.select] = a.get("value", "")
            self._first_option = False
        elif tag == "textarea" and name:
            self.textarea = name
            self.current.fields[name] = ""

    def handle_data(self, data):
        if self.textarea:
            self.current.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            if self.textarea and self.current is not None:
                # The leading newline of a <textarea> is markup, not content.
                value = self.current.fields[self.textarea]
                self.current.fields[self.textarea] = value.removeprefix("\r\n").removeprefix(
                    "\n")
            self.textarea = None


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
    """with count_queries() as q: …; q.count is how many SQL statements ran, q.rows how
    many rows they returned (as perfsite/query_stats.py counts them)."""

    @contextmanager
    def _count():
        counter = SimpleNamespace(count=0, statements=[], rows=0)

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)
            if conn.dialect.name == "sqlite":  # SQLite's rowcount says -1 for a SELECT
                def count_row(_cursor, row):
                    counter.rows += 1
                    return row
                cursor.row_factory = count_row

        def after(conn, cursor, statement, parameters, context, executemany):
            if conn.dialect.name != "sqlite" and cursor.description is not None:
                counter.rows += max(cursor.rowcount, 0)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)

    return _count


def pytest_sessionfinish(session, exitstatus):
    """With CI=true nothing may be skipped: a skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if CI and skipped:
        reporter.write_line(f"CI=true: {len(skipped)} tests were skipped; failing the run.",
                            red=True)
        session.exitstatus = 1
