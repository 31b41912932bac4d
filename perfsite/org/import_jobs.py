"""Committing an org-chart import in the background, with progress the page polls.

Pressing "commit" claims the import for one job and starts a thread that commits it in its
own app context and database session (importer.commit_import: one transaction, all or
nothing). The job writes its state to the OrgImport row as it goes: queued -> running
(checking the rows, then writing them, with rows done / total) -> done or failed (with an
error code the page explains). The preview page shows that state and, through htmx, polls
it every second until the job ends; without JavaScript it offers a link to look again.

Rules:
- One job per import: the claim is a conditional UPDATE (... WHERE committed_at IS NULL
  AND the state allows a new job), so a double click or two HR admins at once start one
  job; the other request is told a commit is under way.
- The state lives in the database, never in the process: with several gunicorn workers
  any worker can answer the page and its polls. The thread runs in the worker that took
  the click; the request returns at once, so gunicorn's request timeout does not apply.
  The thread is not a daemon: a graceful shutdown (SIGTERM, a reload) lets it finish.
- A worker that dies (SIGKILL, a crash, a restart past the graceful timeout) takes its job
  with it. Its transaction was never committed, so nothing of the import was written. The
  job stops reporting; once its last report is older than IMPORT_JOB_STALE_SECONDS (120 s
  by default) the page says it stopped, and the import can be committed again: the new job
  gets a new token, and an old job that was merely slow cannot commit after it (its final
  UPDATE names its own token and finds none).
- Progress is written on its own short transactions beside the job's. On SQLite, which
  lets one connection write at a time, the job's own transaction holds that lock while it
  writes: there the writing's progress goes to a small file beside the database instead
  (instance/import-progress/<id>.json, replaced whole at each report, removed when the job
  ends), which the page reads while the row says "writing"; the file's time is the job's
  heartbeat meanwhile. So the count moves while people are written on either database.
- Under TESTING the request waits for the job's thread before it answers (the same code,
  finished when the test looks) unless IMPORT_RUN_INLINE is False; `wait_for_jobs()` lets
  a test join running threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict, ServiceError
from ..extensions import db
from ..models import OrgImport, Person, utcnow
from ..models.org import (
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_STALE,
    job_is_queued,
    job_under_way,
    job_went_wrong,
)
from . import importer

QUEUED, RUNNING, DONE, FAILED = JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED  # stored states
STALE = JOB_STALE  # shown, never stored: a queued or running job that stopped reporting
STALE_SECONDS = 120

# What the page says for each error code a failed job leaves behind.
ERRORS = {
    "rows": _l("Nothing was written: some rows have problems now. Fix them in your file and "
               "upload it again."),
    "changed": _l("The org chart changed since you opened this preview, so nothing was "
                  "written. Check the rows below and commit again."),
    "conflict": _l("Someone changed the org chart while the import was being written, so "
                   "nothing was written. Check the rows below and commit again."),
    "refused": _l("The import was refused, so nothing was written."),
    "error": _l("The import failed and nothing was written. Try again; if it fails again, "
                "tell the site's administrator."),
    STALE: _l("The import stopped before it finished (the server may have restarted). "
              "Nothing was written: commit it again."),
}

_threads: set[threading.Thread] = set()  # only so that tests can wait for them


@dataclass
class JobStatus:
    """Where an import's commit stands, as the page shows it."""

    state: str | None  # None (never committed), queued, running, done, failed or stale
    phase: str | None
    done: int
    total: int
    error: str | None
    started_at: datetime | None

    @property
    def under_way(self) -> bool:
        return job_under_way(self.state)

    @property
    def starting(self) -> bool:
        return job_is_queued(self.state) or not self.phase

    @property
    def checking(self) -> bool:
        """Reading the rows against the org chart (else writing them)."""
        return self.phase == importer.CHECKING

    @property
    def message(self) -> str | None:
        if not job_went_wrong(self.state):
            return None
        # a stale job has no error code of its own: the state is its message's key
        return str(ERRORS.get(self.error or self.state or "", ERRORS["error"]))


def _stale_after() -> timedelta:
    return timedelta(seconds=current_app.config.get("IMPORT_JOB_STALE_SECONDS", STALE_SECONDS))


def _side_progress_path(import_id: int) -> Path:
    return Path(current_app.instance_path) / "import-progress" / f"{import_id}.json"


def _write_side_progress(import_id: int, token: str, done: int, total: int) -> None:
    """The writing's progress where SQLite's write lock does not reach (module rules)."""
    path = _side_progress_path(import_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{token}.tmp")
        partial.write_text(json.dumps({"token": token, "done": done, "total": total,
                                       "at": utcnow().isoformat()}), encoding="utf-8")
        os.replace(partial, path)  # readers see the old report or the new, whole
    except OSError:
        current_app.logger.warning("org import %s: progress not recorded", import_id,
                                   exc_info=True)


def _read_side_progress(org_import: OrgImport) -> dict | None:
    try:
        found = json.loads(_side_progress_path(org_import.id).read_text(encoding="utf-8"))
        found["at"] = datetime.fromisoformat(found["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if found.get("token") == org_import.commit_token else None


def _remove_side_progress(import_id: int) -> None:
    with contextlib.suppress(OSError):
        _side_progress_path(import_id).unlink()


def status(org_import: OrgImport) -> JobStatus:
    state = org_import.commit_state
    done, total = org_import.commit_done or 0, org_import.commit_total or 0
    heartbeat = org_import.commit_heartbeat_at
    if (org_import.committed_at is None and org_import.job_is_running
            and org_import.commit_phase == importer.WRITING):
        side = _read_side_progress(org_import)
        if side is not None:
            done, total = int(side["done"]), int(side["total"])
            heartbeat = max(heartbeat, side["at"]) if heartbeat else side["at"]
    if org_import.committed_at is not None:
        state = DONE
    elif job_under_way(state) and (
            heartbeat is None or heartbeat < utcnow() - _stale_after()):
        state = STALE
    return JobStatus(state=state, phase=org_import.commit_phase, done=done, total=total,
                     error=org_import.commit_error, started_at=org_import.commit_started_at)


def start_commit(org_import: OrgImport, *, actor: Person, fingerprint: str) -> bool:
    """Claim the import for one commit job by `actor` and start it; commits the claim.

    False when the import was committed or a job is under way (nothing is started). The job
    compares what it would write with `fingerprint`, the preview the actor confirmed.
    """
    token = secrets.token_hex(16)
    now = utcnow()
    # Plain values: once the claim is committed this request touches the database no more
    # until the job is under way (on SQLite a request that writes holds the only write lock).
    import_id, actor_id, total = org_import.id, actor.id, len(org_import.rows)
    claimed = db.session.execute(
        update(OrgImport)
        .where(OrgImport.id == import_id, OrgImport.job_claimable(now - _stale_after()))
        .values(commit_state=QUEUED, commit_token=token, commit_phase=None, commit_done=0,
                commit_total=total, commit_error=None, commit_started_at=now,
                commit_heartbeat_at=now, committed_by_id=actor_id)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_in_thread,
                              args=(app, import_id, token, actor_id, fingerprint),
                              name=f"org-import-{import_id}", daemon=False)
    _threads.add(thread)
    thread.start()
    if app.config.get("IMPORT_RUN_INLINE", app.testing):
        # The same thread, waited for: outside this request's context, as in production.
        thread.join()
    return True


def _run_in_thread(*arguments) -> None:
    try:
        run_commit(*arguments)
    finally:
        _threads.discard(threading.current_thread())


def wait_for_jobs(timeout: float = 60) -> None:
    """Join the commit threads this process started (for tests)."""
    for thread in list(_threads):
        thread.join(timeout)


class _Reporter:
    """Writes the job's progress on short transactions of its own, beside the job's."""

    def __init__(self, import_id: int, token: str):
        self.import_id = import_id
        self.token = token
        self.phase: str | None = None
        self.sqlite = db.engine.dialect.name == "sqlite"

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == self.phase and phase == importer.WRITING and self.sqlite:
            # SQLite: the job's own transaction holds the only write lock now.
            _write_side_progress(self.import_id, self.token, done, total)
            return
        self.phase = phase
        try:
            self.write(commit_state=RUNNING, commit_phase=phase, commit_done=done,
                       commit_total=total)
        except SQLAlchemyError:
            # Progress is for people watching; the commit goes on without it.
            current_app.logger.warning("org import %s: progress not recorded",
                                       self.import_id, exc_info=True)

    def fail(self, code: str) -> None:
        self.write(commit_state=FAILED, commit_phase=None, commit_error=code)

    def write(self, **values) -> None:
        table = OrgImport.__table__
        with db.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == self.import_id, table.c.commit_token == self.token,
                       table.c.committed_at.is_(None))
                .values(commit_heartbeat_at=utcnow(), **values))


def run_commit(app: Flask, import_id: int, token: str, actor_id: int, fingerprint: str
               ) -> None:
    """The job: commit the import as the actor, in an app context and session of its own.

    It reads what it needs, ends that read (on SQLite an open transaction, even one that
    only read, keeps every other connection from committing, this job's progress reports
    included), checks the rows in memory while it reports progress, then writes everything
    in one transaction. What changed between the read and the write is caught by the write
    (importer.apply_plan), as in a preview followed by a commit.
    """
    with app.app_context():
        report = _Reporter(import_id, token)
        try:
            report.write(commit_state=RUNNING)
            org_import = db.session.get(OrgImport, import_id)
            actor = db.session.get(Person, actor_id)
            if org_import is None or actor is None:
                raise LookupError("the import or its committer is gone")
            stored, org = org_import.rows, importer.read_org()
            db.session.expunge(actor)  # keeps what it loaded through the rollback
            db.session.rollback()  # nothing was written: this only ends the read

            plan = importer.plan_import(stored, actor=actor, progress=report, org=org)
            report(importer.WRITING, 0, sum(r.action in (importer.CREATE, importer.UPDATE)
                                            for r in plan.rows))
            if report.sqlite:
                # Keep the transaction's pages in memory until it commits: spilling them
                # to the file midway would lock every reader out until the end.
                db.session.execute(text("PRAGMA cache_spill = OFF"))
            importer.commit_plan(db.session.get(OrgImport, import_id), plan,
                                 actor=db.session.get(Person, actor_id),
                                 expected_fingerprint=fingerprint, progress=report,
                                 job_token=token)
            db.session.commit()
        except Exception as error:  # noqa: BLE001  every failure ends the job as "failed"
            db.session.rollback()
            code = _error_code(error)
            if code == "error":
                app.logger.exception("org import %s: the commit job failed", import_id)
            try:
                report.fail(code)
            except Exception:  # noqa: BLE001  the database is gone: the page says "stale"
                app.logger.exception("org import %s: could not record the failure", import_id)
        finally:
            db.session.remove()
            if report.sqlite:
                _remove_side_progress(import_id)


def _error_code(error: Exception) -> str:
    if isinstance(error, importer.ImportRejected):
        return "rows"
    if isinstance(error, importer.PlanChanged):
        return "changed"
    if isinstance(error, Conflict | IntegrityError | StaleDataError):
        return "conflict"
    if isinstance(error, ServiceError):
        return "refused"
    return "error"
