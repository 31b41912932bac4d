"""KPI titles are unique in a plan whatever their letter case

Revision ID: d5e8f1kpi001
Revises: c3d9e7once001
Create Date: 2026-11-23 00:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5e8f1kpi001'
down_revision = 'c3d9e7once001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.drop_constraint('uq_kpi_plan_id_title', type_='unique')
    op.create_index('uq_kpi_plan_id_lower_title', 'kpi', ['plan_id', sa.text('lower(title)')],
                    unique=True)


def downgrade():
    op.drop_index('uq_kpi_plan_id_lower_title', table_name='kpi')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_kpi_plan_id_title', ['plan_id', 'title'])
