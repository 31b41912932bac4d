"""the head's dashboard flat (issue 21): an index on person (department_id, display_name,
id), so a page of a department's people in the team grid's order
(dashboards.services.figures.team_people) is read from the index, not sorted from every
person of the department.

Revision ID: p21head00001
Revises: p16tab000001
Create Date: 2026-12-07 23:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p21head00001'
down_revision = 'p16tab000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_person_department_id_display_name_id', 'person',
                    ['department_id', 'display_name', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_person_department_id_display_name_id', table_name='person')
