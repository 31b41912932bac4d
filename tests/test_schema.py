"""The schema comes from migrations only; the models must agree with them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from perfsite.extensions import db


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"autogenerate would change: {differences}"
