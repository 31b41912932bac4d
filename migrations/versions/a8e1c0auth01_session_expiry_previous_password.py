"""auth hardening: login_session.last_seen_at (idle expiry), person.previous_password_hash

Revision ID: a8e1c0auth01
Revises: 2250369c61f0
Create Date: 2026-11-24 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'a8e1c0auth01'
down_revision = '2250369c61f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True))
    # Existing sessions were last seen, at the latest, when they started.
    op.execute("UPDATE login_session SET last_seen_at = created_at")
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=perfsite.models.types.UTCDateTime(timezone=True), nullable=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_password_hash', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('previous_password_hash')

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
