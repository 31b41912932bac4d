"""The schema comes from migrations only; the models must agree with them."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from perfsite.extensions import db


# SQLite's reflection cannot read an index on an expression (lower(title)); PostgreSQL's
# can, and the same test there compares it.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")
def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"autogenerate would change: {differences}"
