"""the head's dashboard flat (issue 21): an index on person (department_id, display_name,
id), so a page of a department's people in the team grid's order
(dashboards.services.figures.team_people) is read from the index, not sorted from every
person of the department; and the open obstacles and resource requests kept per department
(department_figure.open_obstacles / open_requests: counts by status, overdue, the oldest
few), and the 360 requests on each department's people by status
(department_figure.feedback). The kept rows are marked stale, so the next read counts them
with the new figures.

Revision ID: p21head00001
Revises: p16tab000001
Create Date: 2026-12-07 23:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p21head00001'
down_revision = 'p16tab000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_person_department_id_display_name_id', 'person',
                    ['department_id', 'display_name', 'id'], unique=False)
    with op.batch_alter_table('department_figure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_obstacles', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('open_requests', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('feedback', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    op.execute("UPDATE department_figure SET stale = true")


def downgrade():
    with op.batch_alter_table('department_figure', schema=None) as batch_op:
        batch_op.drop_column('feedback')
        batch_op.drop_column('open_requests')
        batch_op.drop_column('open_obstacles')
    op.drop_index('ix_person_department_id_display_name_id', table_name='person')
