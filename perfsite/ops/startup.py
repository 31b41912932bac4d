"""`flask serve-demo` (what `make run` runs): one start of the app that migrates only when
the database is behind, seeds the demo company only when nobody is in it, then serves.

A second `make run` on an unchanged checkout so skips everything but the start itself
(the catalogue is compiled by make only when its .po file is newer).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ..extensions import db
from ..models import Person
from .backup import code_head, database_revision


def prepare_demo(log: Callable[[str], None], lang: str = "en") -> None:
    head, current = code_head(), database_revision()
    if current != head:
        from flask_migrate import upgrade

        log(f"Migrating the database from {current or 'nothing'} to {head}.")
        upgrade()
    if db.session.scalar(select(Person.id).limit(1)) is None:
        from ..demo import seed_demo_company

        log(f"Adding the demo company in {lang} (every demo login's password is "
            "perfsite-demo).")
        seed_demo_company(lang)
        db.session.commit()
    db.session.remove()
