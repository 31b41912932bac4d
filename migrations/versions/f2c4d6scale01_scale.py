"""scale: stored KPI sums per department goal (progress reads one row per goal), indexes
for what the pages filter, join and sort on at 10,000 people

Revision ID: f2c4d6scale01
Revises: e1a2b3review1
Create Date: 2026-11-23 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2c4d6scale01'
down_revision = 'e1a2b3review1'
branch_labels = None
depends_on = None

WEIGHTED = sa.Numeric(20, 6)


def _backfill():
    """Each goal's counting KPIs, summed: the formula of
    perfsite/planning/services/progress.py (progress_sql), as it was when this was written."""
    goal = sa.table('department_goal', sa.column('id'), sa.column('kpi_count'),
                    sa.column('kpi_weight_sum'), sa.column('kpi_progress_sum'))
    kpi = sa.table('kpi', sa.column('id'), sa.column('goal_id'), sa.column('weight'),
                   sa.column('proposal_status'), sa.column('metric_type'),
                   sa.column('baseline'), sa.column('target_value'), sa.column('actual_value'))
    span = sa.func.nullif(kpi.c.target_value - kpi.c.baseline, 0)
    share = (kpi.c.actual_value - kpi.c.baseline) / span
    progress = sa.case(
        (kpi.c.actual_value.is_(None), 0),
        (kpi.c.metric_type == 'milestone', sa.case((kpi.c.actual_value >= 1, 1), else_=0)),
        (kpi.c.target_value == kpi.c.baseline,
         sa.case((kpi.c.actual_value >= kpi.c.target_value, 1), else_=0)),
        (share <= 0, 0),
        (share >= 1, 1),
        else_=sa.func.round(share, 4))
    counting = sa.and_(kpi.c.goal_id == goal.c.id,
                       sa.or_(kpi.c.proposal_status.is_(None),
                              kpi.c.proposal_status != 'declined'))
    op.execute(goal.update().values(
        kpi_count=sa.select(sa.func.count(kpi.c.id)).where(counting).scalar_subquery(),
        kpi_weight_sum=sa.select(sa.func.coalesce(sa.func.sum(kpi.c.weight), 0))
        .where(counting).scalar_subquery(),
        kpi_progress_sum=sa.select(sa.func.coalesce(sa.func.sum(kpi.c.weight * progress), 0))
        .where(counting).scalar_subquery()))


def upgrade():
    with op.batch_alter_table('department_goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('kpi_weight_sum', WEIGHTED, server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('kpi_progress_sum', WEIGHTED, server_default='0',
                                      nullable=False))
    _backfill()
    op.create_index('ix_obstacle_created_at_id', 'obstacle', ['created_at', 'id'])
    op.create_index('ix_resource_request_created_at_id', 'resource_request', ['created_at', 'id'])


def downgrade():
    op.drop_index('ix_resource_request_created_at_id', table_name='resource_request')
    op.drop_index('ix_obstacle_created_at_id', table_name='obstacle')
    with op.batch_alter_table('department_goal', schema=None) as batch_op:
        batch_op.drop_column('kpi_progress_sum')
        batch_op.drop_column('kpi_weight_sum')
        batch_op.drop_column('kpi_count')
