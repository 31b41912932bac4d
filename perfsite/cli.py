"""Command-line tasks: `flask --app perfsite seed-demo` (or `perfsite seed-demo` where the
wheel is installed), `seed-scale` (a large company for measuring), `send-reminders` (the
daily job), `deliver` (the outbox's worker); and for running the site on a server
(perfsite/ops): `create-admin`, `check-deploy`, `backup`, `restore`, `serve-demo`. The
commands only ask and tell; the work is in the services."""

import sys
from pathlib import Path

import click
from sqlalchemy import select

from .errors import ServiceError
from .extensions import db


def _fail(error: ServiceError) -> click.ClickException:
    """A service's refusal, said on the command line (one line per field)."""
    db.session.rollback()
    errors = getattr(error, "errors", None) or {}
    lines = [f"{field}: {message}" for field, message in errors.items()] or [error.message]
    return click.ClickException("\n".join(str(line) for line in lines))


def register(app) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when anybody exists already.")
    @click.option("--lang", type=click.Choice(["en", "zh_CN"]), default="en",
                  show_default=True, help="The language the demo company is written in.")
    def seed_demo(if_empty: bool, lang: str) -> None:
        """Create the demo company (idempotent); every demo login uses perfsite-demo."""
        from .demo import seed_demo_company
        from .models import Person

        if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
            click.echo("The database has people already; the demo company was not added.")
            return
        added = seed_demo_company(lang)
        db.session.commit()
        click.echo("Demo company ready: "
                   + ", ".join(f"{n} {what} added" for what, n in added.items()))

    @app.cli.command("rebuild-todos")
    def rebuild_todos() -> None:
        """Count everyone's to-dos afresh and keep the counts the badge reads (the full
        computation: after a restore, or to check the kept counts)."""
        from .coaching.services import kept_todos
        from .models import utcnow

        people = kept_todos.rebuild(utcnow())
        db.session.commit()
        click.echo(f"To-dos counted for {people} people.")

    @app.cli.command("rebuild-figures")
    def rebuild_figures() -> None:
        """Count every cycle's department figures afresh and keep what the dashboards read
        (the full count: after a restore, or to check the kept rows)."""
        from .dashboards.services import kept_figures
        from .models import utcnow

        cycles = kept_figures.rebuild(utcnow())
        db.session.commit()
        click.echo(f"Department figures counted for {cycles} cycles.")

    @app.cli.command("seed-scale")
    @click.option("--people", default=10_000, show_default=True, help="How many people.")
    @click.option("--audit-events", type=int, default=None,
                  help="How many audit events (default: 25 per person).")
    def seed_scale(people: int, audit_events: int | None) -> None:
        """Write a large company into an EMPTY database, for measuring (perfsite/scale.py)."""
        import time

        from .scale import NotEmpty
        from .scale import seed_scale as seed

        started = time.perf_counter()
        try:
            written = seed(people, audit_events)
        except NotEmpty:
            db.session.rollback()
            raise click.ClickException(
                "The database has people in it already; seed-scale writes only into an "
                "empty database (create a new one, `flask db upgrade`, then run it).") from None
        db.session.commit()
        click.echo(f"Large company written in {time.perf_counter() - started:.1f} s: "
                   + ", ".join(f"{n} {table}" for table, n in written.items()))

    # running the site on a server (perfsite/ops) -----------------------------------
    @app.cli.command("create-admin")
    @click.option("--name", prompt="Full name", help="The person's full name.")
    @click.option("--username", prompt="Username", help="What they log in with.")
    @click.option("--email", prompt="E-mail", help="Their work e-mail address.")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from standard input (one line) instead of asking.")
    def create_admin(name: str, username: str, email: str, password_stdin: bool) -> None:
        """Create an HR administrator: the first one, on an empty database (or the way
        back in when no HR admin can log in). The password must pass the password policy."""
        from .ops import admin

        try:
            admin.check_details(name, username, email)
        except ServiceError as error:
            raise _fail(error) from None
        tries = 1 if password_stdin or not sys.stdin.isatty() else 3
        for attempt in range(1, tries + 1):
            if password_stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            try:
                person = admin.create_admin(display_name=name, username=username,
                                            email=email, password=password)
                break
            except ServiceError as error:
                failure = _fail(error)
                if attempt == tries:
                    raise failure from None
                click.echo(failure.message, err=True)
        db.session.commit()
        click.echo(f"HR admin {person.display_name} ({person.username}) created. Log in as "
                   "them; HR's first page is the org chart import.")

    @app.cli.command("serve-demo")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    @click.option("--lang", type=click.Choice(["en", "zh_CN"]), envvar="DEMO_LANG",
                  default="en", show_default=True,
                  help="The language of the demo company when it is added (DEMO_LANG).")
    def serve_demo(host: str, port: int, lang: str) -> None:
        """Migrate when behind, add the demo company when empty, and serve with the
        development server (`make run`): one start of the app for all three."""
        from werkzeug.serving import run_simple

        from .ops.startup import prepare_demo

        prepare_demo(log=click.echo, lang=lang)
        click.echo(f"perfsite on http://{host}:{port}/ (demo logins: README)")
        run_simple(host, port, app, threaded=True)

    @app.cli.command("check-deploy")
    @click.option("--workers", type=int, default=None,
                  help="How many worker processes serve the site (default: WEB_CONCURRENCY, "
                  "else 4 as in the README's recipe).")
    @click.option("--url", default=None,
                  help="The address people open, e.g. https://perf.example.com "
                  "(default: SITE_URL).")
    @click.option("--behind-proxy/--no-proxy", default=None,
                  help="Whether a reverse proxy is in front (default: yes when the address "
                  "is https:// or cookies are secure).")
    def check_deploy(workers: int | None, url: str | None, behind_proxy: bool | None) -> None:
        """Say what is wrong for production with this configuration, in plain words."""
        import os

        from .ops.deploy import Setup, check

        workers = workers or int(os.environ.get("WEB_CONCURRENCY") or 4)
        setup = Setup(workers=workers, url=url or app.config.get("SITE_URL") or "",
                      behind_proxy=behind_proxy)
        found = check(app, setup)
        where = f" at {setup.url}" if setup.url else ""
        click.echo(f"Checked for production: {workers} workers{where}.")
        if not found:
            click.echo("Nothing wrong found.")
            return
        for number, finding in enumerate(found, 1):
            click.echo(f"\n{number}. {finding.setting}: {finding.problem}\n   Fix: {finding.fix}")
        raise click.ClickException(f"{len(found)} "
                                   f"{'thing is' if len(found) == 1 else 'things are'} "
                                   "wrong for production (above).")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=True))
    def backup(path: str) -> None:
        """Write one archive with everything a restore needs (PATH: a file, or a folder
        for a dated perfsite-YYYYMMDD-HHMMSS.tar.gz). The site may keep running."""
        from .ops.backup import BackupError
        from .ops.backup import backup as write

        try:
            written, manifest = write(path)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        key = ("included" if manifest["secret_key"] == "included"
               else "from SECRET_KEY (not in the archive)")
        click.echo(f"Backup written to {written} ({written.stat().st_size:,} bytes): "
                   f"{manifest['database']} database at schema {manifest['schema_revision']}, "
                   f"perfsite {manifest['perfsite_version']}, secret key {key}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Replace everything in a database that is not empty.")
    def restore(path: Path, force: bool) -> None:
        """Restore a backup into the (empty) database, then migrate it to this version.
        Stop the site first."""
        from .ops.backup import BackupError
        from .ops.backup import restore as run

        try:
            restored = run(path, force=force, log=click.echo)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Restored {path}: the database is at schema {restored.head}"
                   f"{' (migrated from ' + restored.revision + ')' if restored.migrated else ''}.")
        click.echo(restored.secret_key)

    # e-mailed reminders ---------------------------------------------------------
    @app.cli.command("send-reminders")
    def send_reminders() -> None:
        """The daily job (cron): each person's digest of to-dos not sent before and of the
        notifications they get daily, and the chat channels' deadline and completion
        notices; written to the outbox, then delivered."""
        from .models import utcnow
        from .notify.daily import send_reminders as send

        sent = send(utcnow(), log=click.echo)
        db.session.commit()
        click.echo(f"{sent} reminder e-mails sent.")

    # notifications where people work: the outbox's worker ------------------------------
    @app.cli.command("deliver")
    @click.option("--once", is_flag=True,
                  help="Deliver what is due now and stop (for cron); else run until stopped.")
    @click.option("--interval", default=5.0, show_default=True,
                  help="Seconds between looks at the outbox when it is empty.")
    def deliver(once: bool, interval: float) -> None:
        """Send the outbox: chat messages and e-mails, retried with backoff (README,
        "Notifications"). Several may run on PostgreSQL; one on SQLite."""
        from .notify import worker

        try:
            worker.run(once=once, interval=interval, log=click.echo)
        except worker.AnotherWorker as busy:
            raise click.ClickException(str(busy)) from None


    # company sign-in: the directory sync ---------------------------------------------------
    @app.cli.command("sync-directory")
    @click.option("--dry-run", is_flag=True,
                  help="Print what the sync would change (the import preview); write nothing.")
    def sync_directory(dry_run: bool) -> None:
        """Bring the org chart in step with the LDAP / AD directory (README, "Directory
        sync"): people, departments, managers, group roles; leavers deactivated. All or
        nothing, audited as "directory sync"; for cron."""
        from .signin import directory
        from .signin.services import run_sync

        if not directory.is_configured():
            raise click.ClickException("No directory is configured (LDAP_URL is not set).")
        report = run_sync(dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        for name in report.new_departments:
            click.echo(f"new department: {name}")
        if report.plan is not None:
            for row in report.plan.rows:
                if row.action in ("create", "update"):
                    changes = "; ".join(f"{column}: {before!r} -> {after!r}"
                                        for column, (before, after) in row.changes.items())
                    click.echo(f"{row.action}: {row.username}" + (f" ({changes})"
                                                                  if changes else ""))
        for problem in report.problems:
            click.echo(f"problem: {problem['who']}: {problem['problem']}".replace(": : ", ": "))
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        click.echo(f"{report.people_seen} people in the directory; {counts or 'nothing read'}; "
                   f"{'dry run, nothing written' if dry_run else report.outcome}.")
        if report.outcome in ("rejected", "unreachable"):
            raise click.ClickException(
                "Nothing was changed: " + ("the directory could not be reached."
                                           if report.outcome == "unreachable"
                                           else "fix the problems above in the directory."))
