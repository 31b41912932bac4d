"""Command-line tasks: `flask --app wsgi seed-demo`, `seed-scale` (a large company for
measuring), `send-reminders` (the daily job), `deliver` (the outbox's worker)."""

import click
from sqlalchemy import select

from .extensions import db


def register(app) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when anybody exists already.")
    def seed_demo(if_empty: bool) -> None:
        """Create the demo company (idempotent); every demo login uses perfsite-demo."""
        from .demo import seed_demo_company
        from .models import Person

        if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
            click.echo("The database has people already; the demo company was not added.")
            return
        added = seed_demo_company()
        db.session.commit()
        click.echo("Demo company ready: "
                   + ", ".join(f"{n} {what} added" for what, n in added.items()))

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


def main() -> None:
    """The `perfsite` console command (pyproject.toml): flask's command line with this
    site's app, so that `perfsite db upgrade` is `flask --app perfsite db upgrade`."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(create_app=create_app, help="perfsite: the site's commands "
               "(`perfsite --help` lists them; the same as `flask --app perfsite …`).").main(
        prog_name="perfsite")
