"""Nothing typed is lost when a tab dies with an autosave in flight: who wrote each
autosaved draft's current version (the page's tab token, the save's rising number), so a
save from the same tab based on its own earlier autosave is applied, not refused.

Revision ID: p16tab000001
Revises: p21home00001
Create Date: 2026-12-07 22:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'p16tab000001'
down_revision = 'p21home00001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('draft_writer',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tab', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('since_version', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'record_id', name=op.f('pk_draft_writer'))
    )


def downgrade():
    op.drop_table('draft_writer')
