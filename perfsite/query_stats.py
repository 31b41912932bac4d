"""How many SQL statements a request runs and how many rows they return, for measuring.

Off unless the environment says PERFSITE_QUERY_STATS=1 (config QUERY_STATS): then every
answer carries `X-SQL-Statements` and `X-SQL-Rows` (the benchmark reads them). Tests use
`counting()` directly (tests/conftest.py, the count_queries fixture).

Rows are those the database hands back: `cursor.rowcount` of a statement that returns rows
on PostgreSQL (psycopg reads the whole result), and on SQLite, which says -1 there, a row
factory on the cursor that counts each row as it is fetched.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Stats:
    count: int = 0  # statements
    rows: int = 0
    statements: list[str] = field(default_factory=list)


_active: ContextVar[tuple[Stats, ...]] = ContextVar("perfsite_query_stats", default=())
_installed = False


def _before(conn, cursor, statement, parameters, context, executemany):
    active = _active.get()
    if not active:
        return
    for stats in active:
        stats.count += 1
        stats.statements.append(statement)
    if conn.dialect.name == "sqlite":
        def count_row(_cursor, row, active=active):
            for stats in active:
                stats.rows += 1
            return row
        cursor.row_factory = count_row


def _after(conn, cursor, statement, parameters, context, executemany):
    active = _active.get()
    if active and conn.dialect.name != "sqlite" and cursor.description is not None:
        for stats in active:
            stats.rows += max(cursor.rowcount, 0)


def install() -> None:
    """Listen on every engine (once per process)."""
    global _installed
    if not _installed:
        event.listen(Engine, "before_cursor_execute", _before)
        event.listen(Engine, "after_cursor_execute", _after)
        _installed = True


@contextmanager
def counting():
    """`with counting() as stats:` counts the statements and rows run inside."""
    install()
    stats = Stats()
    token = _active.set((*_active.get(), stats))
    try:
        yield stats
    finally:
        _active.reset(token)


def register(app) -> None:
    """With QUERY_STATS on, every answer says what it cost in X-SQL-* headers."""
    if not app.config.get("QUERY_STATS"):
        return
    install()

    # First of the before_request functions, so the login lookup is counted too.
    def start():
        stats = Stats()
        g._query_stats = (stats, _active.set((*_active.get(), stats)))

    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def report(response):
        started = g.pop("_query_stats", None)
        if started is not None:
            stats, token = started
            _active.reset(token)
            response.headers["X-SQL-Statements"] = str(stats.count)
            response.headers["X-SQL-Rows"] = str(stats.rows)
        return response

    @app.teardown_request
    def stop(_error=None):
        started = g.pop("_query_stats", None)  # left when the request failed
        if started is not None:
            _active.reset(started[1])
