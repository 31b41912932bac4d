"""`flask deliver`: the process that empties the outbox.

- Run as its own long-lived process (systemd, or beside gunicorn on its host): it
  delivers what is due, then looks again every `interval` seconds; SIGTERM or SIGINT lets
  the message in hand finish, then it stops.
- `--once` delivers what is due now and stops (cron).
- On PostgreSQL any number may run at once (outbox.claim: SKIP LOCKED, claim tokens). On
  SQLite one runs: it holds an exclusive lock on a file beside the database, and a second
  one refuses to start.
"""

from __future__ import annotations

import fcntl
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import current_app

from ..extensions import db
from ..models import utcnow
from . import outbox


class AnotherWorker(Exception):
    """Another `flask deliver` has this SQLite database."""


def _sqlite_path() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@contextmanager
def single_worker_on_sqlite():
    """On SQLite: hold `<database>.deliver.lock`, or raise AnotherWorker."""
    path = _sqlite_path()
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".deliver.lock")
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnotherWorker(
                "Another `flask deliver` is running on this SQLite database; SQLite takes "
                "one worker (PostgreSQL takes several).") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(*, once: bool = False, interval: float = 5.0, log=print,
        clock: Callable[[], datetime] = utcnow, stop: threading.Event | None = None) -> int:
    """Deliver until stopped (or, with `once`, what is due now); how many were sent."""
    stop = stop or threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
    token = outbox.worker_name()
    sent = 0
    with single_worker_on_sqlite():
        log(f"delivering as {token} ({'once' if once else f'every {interval:g} s'})")
        while True:
            try:
                done = outbox.deliver_all_due(clock, token)
            except Exception:  # the database went away: say so, try again later
                db.session.rollback()
                if once:
                    raise
                current_app.logger.exception("delivering the outbox")
                done = {}
            if done:
                log(", ".join(f"{count} {status}" for status, count in sorted(done.items())))
            sent += done.get("sent", 0)
            if once or stop.is_set() or stop.wait(interval):
                break
    db.session.remove()
    return sent
