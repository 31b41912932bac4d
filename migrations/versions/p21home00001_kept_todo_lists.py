"""Kept to-do lists (issue 21): todo_count keeps each person's open to-dos themselves (kind,
key, where, and the words' message id and parameters, worded in the reader's language when
read), not only their counts, so home, "my dashboard" and the to-dos page read one row.
Rows kept before hold no list: they are marked stale and kept afresh when next read.

Revision ID: p21home00001
Revises: p21dept00001
Create Date: 2026-12-07 22:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p21home00001'
down_revision = 'p21dept00001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('todo_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE todo_count SET stale = :yes").bindparams(yes=True))


def downgrade():
    with op.batch_alter_table('todo_count', schema=None) as batch_op:
        batch_op.drop_column('items')
