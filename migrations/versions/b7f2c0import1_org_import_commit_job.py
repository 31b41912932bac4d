"""org import commit job: who committed, the job's state and progress, the result

Revision ID: b7f2c0import1
Revises: a8e1c0auth01
Create Date: 2026-11-24 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'b7f2c0import1'
down_revision = 'a8e1c0auth01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('org_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commit_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('commit_phase', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('commit_done', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commit_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commit_error', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('commit_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('commit_started_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('commit_heartbeat_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('commit_result', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_org_import_committed_by_id_person'), 'person', ['committed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('org_import', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_org_import_committed_by_id_person'), type_='foreignkey')
        batch_op.drop_column('commit_result')
        batch_op.drop_column('commit_heartbeat_at')
        batch_op.drop_column('commit_started_at')
        batch_op.drop_column('commit_token')
        batch_op.drop_column('commit_error')
        batch_op.drop_column('commit_total')
        batch_op.drop_column('commit_done')
        batch_op.drop_column('commit_phase')
        batch_op.drop_column('commit_state')
        batch_op.drop_column('committed_by_id')
