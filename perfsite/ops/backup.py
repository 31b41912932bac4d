"""`flask backup PATH` and `flask restore PATH`: one archive with everything a restore needs.

The archive (a .tar.gz, readable by its owner only: it holds the secret key and everyone's
data) has:
  manifest.json       the format, perfsite's version, when, the database's kind, its schema
                      revision, a SHA-256 of every other file, where the secret key comes from
  database.sqlite     SQLite: a copy made with SQLite's online backup API (the site may run)
  database.pgdump     PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
  secret_key          the instance folder's generated key, when SECRET_KEY is not set (with
                      SECRET_KEY from the environment the manifest says so instead)

Rules of a restore:
- Everything is checked before anything changes: the archive reads whole, every file has
  its hash, the database copy is sound (SQLite's integrity check; pg_restore converts the
  whole dump), it is of the same kind of database as DATABASE_URL, and its schema revision
  is one this version of the code knows. A damaged archive is refused with the reason.
- The target database must be empty (no rows in any table; tables made by `db upgrade`
  are fine) unless `force`: then everything in it is replaced.
- On PostgreSQL the old tables are dropped and the dump restored in one transaction, so a
  failure leaves the database as it was; SQLite's backup API replaces the file's contents
  in one step.
- A backup older than the code is migrated forward (`db upgrade`) once restored.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text

from ..extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PGDUMP_FILE = "database.pgdump"
SECRET_FILE = "secret_key"
KNOWN_FILES = {MANIFEST, SQLITE_FILE, PGDUMP_FILE, SECRET_FILE}


class BackupError(Exception):
    """Why a backup or restore cannot go on, for the person at the command line. Nothing
    was changed."""


@dataclass
class Restored:
    revision: str  # the archive's schema revision
    head: str  # the code's, which the database is at now
    migrated: bool
    secret_key: str  # what happened to the secret key, in words


def version() -> str:
    try:
        return metadata.version("perfsite")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- schema revisions ------------------------------------------------------------------------

def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_head() -> str:
    return _scripts().get_current_head()


def database_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _known_revision(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown or partial ids
        return False


# --- PostgreSQL client tools -----------------------------------------------------------------

def find_pg_tool(name: str) -> str:
    """pg_dump, pg_restore or psql: from PG_BIN_DIR, the PATH, or Debian's versioned
    folders (the newest); a clear error when there is none."""
    folder = os.environ.get("PG_BIN_DIR")
    if folder and Path(folder, name).is_file():
        return str(Path(folder, name))
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(
        f"{name} was not found: install the PostgreSQL client tools (on Debian: apt-get "
        "install postgresql-client) in the server's version or newer, or set PG_BIN_DIR "
        "to the folder that has them.")


def _libpq(url) -> tuple[str, dict]:
    """The conninfo for the client tools, and the environment (the password never goes on
    a command line, where `ps` shows it)."""
    parts = {"dbname": url.database, "host": url.host, "port": url.port, "user": url.username}
    parts.update({key: value for key, value in url.query.items() if isinstance(value, str)})

    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quote(value)}" for key, value in parts.items()
                        if value not in (None, ""))
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return conninfo, environment


def _run(command: list[str], environment: dict, what: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=environment, capture_output=True, **kwargs)
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip() if isinstance(
            done.stderr, bytes) else (done.stderr or "").strip()
        raise BackupError(f"{what} failed: {error or f'exit status {done.returncode}'}")
    return done


# --- backup ------------------------------------------------------------------------------------

def default_name(now: datetime | None = None) -> str:
    return f"perfsite-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}.tar.gz"


def backup(target: Path) -> tuple[Path, dict]:
    """Write the archive to `target` (a file, or a folder to put a dated file in); returns
    its path and manifest. The site may go on running meanwhile."""
    folder = str(target).endswith(os.sep) or Path(target).is_dir()
    target = Path(target)
    if folder:
        target = target / default_name()
    target.parent.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    dialect = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="perfsite-backup-") as scratch:
        scratch = Path(scratch)
        if dialect == "sqlite":
            database = scratch / SQLITE_FILE
            _sqlite_copy(_sqlite_path(url), database)
            revision = _sqlite_revision(database)
        elif dialect == "postgresql":
            database = scratch / PGDUMP_FILE
            revision = database_revision()
            conninfo, environment = _libpq(url)
            _run([find_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={database}", conninfo], environment, "pg_dump")
        else:
            raise BackupError(f"Backups of {dialect} databases are not supported.")
        files = [database]
        if os.environ.get("SECRET_KEY"):
            secret = "environment"
        else:
            secret = "included"
            key_file = Path(current_app.instance_path) / "secret_key"
            shutil.copyfile(key_file, scratch / SECRET_FILE)
            files.append(scratch / SECRET_FILE)
        manifest = {
            "format": FORMAT,
            "perfsite_version": version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": dialect,
            "schema_revision": revision,
            "secret_key": secret,
            "files": {path.name: _sha256(path) for path in files},
        }
        partial = target.with_name(f".{target.name}.partial")
        try:
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                      "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
                archive.addfile(info, io.BytesIO(data))
                for path in files:
                    archive.add(path, arcname=path.name)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target, manifest


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while the site goes on writing."""
    if not source.exists():
        raise BackupError(f"The SQLite database {source} does not exist.")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _sqlite_revision(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
    connection.close()
    return row[0] if row else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore -----------------------------------------------------------------------------------

def read_archive(path: Path, into: Path) -> dict:
    """Unpack and check the archive; its manifest. BackupError when anything is amiss."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    damaged = f"{path} is not a perfsite backup, or it is damaged"
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            members = archive.getmembers()
            names = [member.name for member in members]
            if MANIFEST not in names:
                raise BackupError(f"{damaged}: it has no {MANIFEST}.")
            for member in members:
                if member.name not in KNOWN_FILES or not member.isfile():
                    raise BackupError(f"{damaged}: it holds {member.name!r}, which a perfsite "
                                      "backup never does.")
            archive.extractall(into, filter="data")
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(f"{damaged} ({error}).") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        files = dict(manifest["files"])
        kind, revision = manifest["database"], manifest["schema_revision"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{damaged}: its {MANIFEST} cannot be read.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is a backup in format {manifest.get('format')!r}, which "
                          f"this version of perfsite ({version()}) cannot read.")
    for name, expected in files.items():
        if name not in KNOWN_FILES or not (into / name).is_file():
            raise BackupError(f"{damaged}: {name} is missing.")
        if _sha256(into / name) != expected:
            raise BackupError(f"{damaged}: {name} does not match its checksum.")
    ours = db.engine.dialect.name
    if kind != ours:
        raise BackupError(f"{path} is a backup of a {kind} database, and DATABASE_URL points "
                          f"at {ours}: restore it into a {kind} database.")
    if (SQLITE_FILE if kind == "sqlite" else PGDUMP_FILE) not in files:
        raise BackupError(f"{damaged}: it has no database.")
    if not revision or not _known_revision(revision):
        raise BackupError(
            f"{path} was made by a perfsite whose database schema ({revision}) this version "
            f"({version()}) does not know, probably a newer one: install that version or a "
            "later one to restore it.")
    if kind == "sqlite":
        _check_sqlite(into / SQLITE_FILE, damaged)
    return manifest


def _check_sqlite(path: Path, damaged: str) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()
        connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{damaged}: its database cannot be read ({error}).") from None
    if not result or result[0] != "ok":
        raise BackupError(f"{damaged}: its database fails SQLite's integrity check.")


# Tables whose rows the migrations themselves write: `db upgrade` on a new server leaves
# them filled, and a restore replaces them like the rest.
MIGRATIONS_OWN = {"alembic_version", "org_version"}


def rows_in_database() -> dict[str, bool]:
    """Which tables of the database have rows (the migrations' own tables aside)."""
    engine = db.engine
    tables = [t for t in inspect(engine).get_table_names() if t not in MIGRATIONS_OWN]
    with engine.connect() as connection:
        return {table: connection.execute(text(
            f'SELECT 1 FROM "{table}" LIMIT 1')).first() is not None for table in tables}


def restore(path: Path, *, force: bool = False, log: Callable[[str], None] = print) -> Restored:
    """Restore the archive at `path` into the database of DATABASE_URL, then migrate it to
    this code's schema. Stop the site first."""
    with tempfile.TemporaryDirectory(prefix="perfsite-restore-") as scratch:
        scratch = Path(scratch)
        manifest = read_archive(path, scratch)
        filled = sorted(table for table, has_rows in rows_in_database().items() if has_rows)
        if filled and not force:
            raise BackupError(
                f"The database is not empty ({len(filled)} tables have rows, "
                f"{', '.join(filled[:5])}{'…' if len(filled) > 5 else ''}): nothing was "
                "restored. Restore into an empty database, or pass --force to replace "
                "everything in this one.")
        db.session.remove()
        db.engine.dispose()  # no connection of ours holds a lock on what is replaced
        if manifest["database"] == "sqlite":
            _sqlite_restore(scratch / SQLITE_FILE, _sqlite_path(db.engine.url))
        else:
            _pg_restore(scratch / PGDUMP_FILE, db.engine.url)
        db.session.remove()
        db.engine.dispose()
        secret = _restore_secret_key(manifest, scratch)
    revision, head = manifest["schema_revision"], code_head()
    migrated = False
    if database_revision() != head:
        from flask_migrate import upgrade

        log(f"The backup's schema is {revision}; migrating to {head}.")
        upgrade()
        db.engine.dispose()
        migrated = True
    return Restored(revision=revision, head=head, migrated=migrated, secret_key=secret)


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)  # replaces the whole database, schema and rows, in one step
    src.close()
    dst.close()


# Everything in the schema, so that the dump's own tables go in without a clash. It runs
# in the same transaction as the dump's SQL: a failure leaves the database as it was.
_PG_EMPTY = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT viewname FROM pg_views WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP VIEW IF EXISTS %I CASCADE', item.viewname);
  END LOOP;
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT sequence_name FROM information_schema.sequences
              WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', item.sequence_name);
  END LOOP;
  FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'c')
                AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid) LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
  END LOOP;
END $$;
"""


def _pg_restore(dump: Path, url) -> None:
    conninfo, environment = _libpq(url)
    script = dump.with_suffix(".sql")
    # Converting the whole dump to SQL reads every block of it: a damaged dump stops here,
    # before the database is touched.
    _run([find_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--no-comments",
          f"--file={script}", str(dump)], environment, "Reading the dump (pg_restore)")
    empty = dump.with_name("empty.sql")
    empty.write_text(_PG_EMPTY)
    _run([find_pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
          "--set=ON_ERROR_STOP=1", f"--file={empty}", f"--file={script}", conninfo],
         environment, "Restoring the dump (psql)")


def _restore_secret_key(manifest: dict, scratch: Path) -> str:
    if manifest.get("secret_key") != "included":
        return ("The backup's server took SECRET_KEY from its environment: set the same "
                "value here, or everyone logs in again.")
    if os.environ.get("SECRET_KEY"):
        return ("The backup carries its server's generated secret key, but SECRET_KEY is set "
                "here, so that one is used: everyone logs in again.")
    key_file = Path(current_app.instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write((scratch / SECRET_FILE).read_bytes())
    return (f"The secret key was restored into {key_file}; restart the site so that it "
            "reads it.")
