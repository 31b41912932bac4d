"""audit_event.source: where a change came from when no person made it ("cli": a command
run on the server, such as `flask create-admin`)

Revision ID: p18first0001
Revises: p20notify001
Create Date: 2026-12-07 15:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p18first0001'
down_revision = 'p20notify001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('source')
