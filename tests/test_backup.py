"""Backup and restore: the demo company survives a round trip, table by table and row by
row, on the database of this run (SQLite, or PostgreSQL when TEST_DATABASE_URL is set, with
the real pg_dump and psql); a backup from the previous release (schema h4g6i8intvw01) is
migrated forward; a restore refuses a database with rows in it and a damaged archive, and
changes nothing when it does."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, inspect, text

from perfsite import create_app
from perfsite.extensions import db
from perfsite.ops import backup as ops
from perfsite.ops.backup import BackupError

from .conftest import TEST_CONFIG, Browserless, seed_demo

PREVIOUS_RELEASE = "h4g6i8intvw01"  # the migration head before issue 18


def app_on(url: str):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def fingerprint(app, columns: dict[str, list[str]] | None = None) -> dict[str, tuple]:
    """Every table's row count and a SHA-256 of its rows, in a fixed order (only `columns`
    of each table when given)."""
    result = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in sorted(columns or inspect(conn).get_table_names()):
                chosen = ", ".join(f'"{name}"' for name in columns[table]) if columns else "*"
                rows = sorted(repr(tuple(row)) for row in conn.execute(
                    text(f'SELECT {chosen} FROM "{table}"')))
                result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        db.engine.dispose()
    return result


def drop_everything(app) -> None:
    with app.app_context():
        engine = db.engine
        db.session.remove()
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        else:
            engine.dispose()
            Path(engine.url.database).unlink()
    assert fingerprint(app) == {}


def test_the_demo_survives_a_backup_and_restore_row_for_row(scratch_database, tmp_path):
    """And a restore refuses a database with rows in it, and a damaged archive."""
    app = app_on(scratch_database("demo"))
    with app.app_context():
        upgrade()
    seed_demo(app)
    before = fingerprint(app)
    assert before["person"][0] == 40 and before["audit_event"][0] > 0
    with app.app_context():
        archive, manifest = ops.backup(tmp_path)
    assert archive.parent == tmp_path and archive.name.startswith("perfsite-")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert manifest["schema_revision"] == _head(app)
    assert manifest["database"] == (
        "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql")

    drop_everything(app)
    with app.app_context():
        restored = ops.restore(archive, log=lambda line: None)
    assert (restored.revision, restored.migrated) == (_head(app), False)
    assert fingerprint(app) == before

    # The site works on it: the demo's HR admin logs in.
    assert Browserless(app.test_client()).login("hr").status_code == 302

    # A database with rows in it is refused, and nothing changes; --force replaces it.
    logged_in = fingerprint(app)
    assert logged_in != before
    with app.app_context(), pytest.raises(BackupError, match="is not empty"):
        ops.restore(archive)
    assert fingerprint(app) == logged_in
    with app.app_context():
        ops.restore(archive, force=True)
    assert fingerprint(app) == before

    # A damaged or foreign archive is refused, even with force, and nothing changes.
    for name, reason in damaged_archives(archive, tmp_path, app).items():
        with app.app_context(), pytest.raises(BackupError, match=reason):
            ops.restore(tmp_path / name, force=True)
        assert fingerprint(app) == before, name


def _head(app) -> str:
    with app.app_context():
        return ops.code_head()


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with its manifest changed by `change(manifest, files)`."""
    with tarfile.open(archive) as source:
        files = {m.name: source.extractfile(m).read() for m in source.getmembers()}
    manifest = json.loads(files.pop("manifest.json"))
    change(manifest, files)
    with tarfile.open(target, "w:gz") as out:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def damaged_archives(archive: Path, folder: Path, app) -> dict[str, str]:
    """Archives a restore must refuse, made from a good one: {file name: why}."""
    data = archive.read_bytes()
    (folder / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (folder / "flipped.tar.gz").write_bytes(bytes(flipped))
    (folder / "not-a-backup.tar.gz").write_bytes(b"hello")
    other_kind = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith(
        "sqlite") else "sqlite"

    def newer(manifest, files):
        manifest["schema_revision"] = "z99future0001"

    def foreign(manifest, files):
        manifest["database"] = other_kind

    return {
        "truncated.tar.gz": "damaged",
        "flipped.tar.gz": "damaged",
        "not-a-backup.tar.gz": "damaged",
        _rewrite(archive, folder / "newer.tar.gz", newer).name: "probably a newer one",
        _rewrite(archive, folder / "foreign.tar.gz", foreign).name:
            f"is a backup of a {other_kind} database",
        "missing.tar.gz": "does not exist",
    }


# SQLite's reflection skips the expression index on KPI titles; reading the columns is enough.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_a_backup_of_the_previous_release_is_migrated_forward(scratch_database, tmp_path, demo):
    from . import conftest

    old = app_on(scratch_database("previous"))
    with old.app_context():
        upgrade(revision=PREVIOUS_RELEASE)
        columns = _write_rows_as_they_were(conftest._demo_rows)
        archive, manifest = ops.backup(tmp_path / "previous.tar.gz")
    assert manifest["schema_revision"] == PREVIOUS_RELEASE
    before = fingerprint(old, columns)
    assert before["person"][0] == 40

    new = app_on(scratch_database("current"))
    with new.app_context():
        restored = ops.restore(archive, log=lambda line: None)
        assert ops.database_revision() == ops.code_head()
    assert (restored.revision, restored.migrated) == (PREVIOUS_RELEASE, True)
    assert fingerprint(new, columns) == before
    with new.app_context():  # and the current models read it
        from perfsite.models import AuditEvent, Person

        assert db.session.query(Person).count() == 40
        assert all(e.actor_label for e in db.session.query(AuditEvent).limit(20))


def _write_rows_as_they_were(rows: dict[str, list[dict]]) -> dict[str, list[str]]:
    """The demo's rows, written into the schema of the previous release: each table and
    column it had. Returns those columns, table by table."""
    engine = db.engine
    metadata = MetaData()
    metadata.reflect(engine)
    columns = {}
    with engine.connect() as conn:
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            conn.exec_driver_sql("SET session_replication_role = replica")
        else:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        for table in metadata.tables.values():  # any order: foreign keys are off
            if table.name == "alembic_version" or not rows.get(table.name):
                continue
            names = [c.name for c in table.columns]
            columns[table.name] = names
            conn.execute(table.insert(), [{n: row[n] for n in names if n in row}
                                          for row in rows[table.name]])
        conn.commit()
        if postgresql:
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
    engine.dispose()
    return columns


def test_the_commands_keep_the_generated_secret_key(scratch_database, tmp_path, monkeypatch):
    """`flask backup` into a folder, `flask restore` into a new server's empty tables."""
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("PERFSITE_INSTANCE", str(tmp_path / "old-server"))
    old = app_on(scratch_database("keyed"))
    with old.app_context():
        upgrade()
    key = (tmp_path / "old-server" / "secret_key").read_text()
    made = old.test_cli_runner().invoke(args=[
        "create-admin", "--name", "Ada Lovelace", "--username", "ada", "--email",
        "ada@example.com", "--password-stdin"], input="Orchid-Lantern-42\n")
    assert made.exit_code == 0, made.output
    result = old.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups") + "/"])
    assert result.exit_code == 0, result.output
    assert "secret key included" in result.output
    archive = next((tmp_path / "backups").glob("perfsite-*.tar.gz"))
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["secret_key"] == "included" and manifest["perfsite_version"]

    monkeypatch.setenv("PERFSITE_INSTANCE", str(tmp_path / "new-server"))
    new = app_on(scratch_database("rekeyed"))
    with new.app_context():
        upgrade()  # a new server's empty tables, as `db upgrade` leaves them
    result = new.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new-server" / "secret_key").read_text() == key
    assert "restart the site" in result.output
    again = new.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code == 1 and "is not empty" in again.output


def test_without_the_postgresql_client_the_error_says_what_to_install(monkeypatch):
    monkeypatch.delenv("PG_BIN_DIR", raising=False)
    monkeypatch.setattr(ops.shutil, "which", lambda name: None)
    monkeypatch.setattr(ops.glob, "glob", lambda pattern: [])
    with pytest.raises(BackupError, match="pg_dump was not found: install the PostgreSQL "
                                          "client tools"):
        ops.find_pg_tool("pg_dump")
