"""Command-line tasks: `flask --app wsgi seed-demo`."""

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

    # e-mailed reminders (issue 4) ---------------------------------------------------------
    @app.cli.command("send-reminders")
    def send_reminders() -> None:
        """E-mail each person a digest of to-dos not sent before (for cron)."""
        from .coaching.services.reminders import send_reminders as send
        from .models import utcnow

        sent = send(utcnow(), log=click.echo)
        db.session.commit()
        click.echo(f"{sent} reminder e-mails sent.")
