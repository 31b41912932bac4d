"""speed at company scale: kpi.last_check_in_status and kpi.last_check_in_at (each KPI
keeps its latest check-in's status and time, written by the check-in service in the same
transaction) and target_trend_point (what each month's check-ins reported per target and
department), so no dashboard reads check-ins; both backfilled from the check-ins;
todo_count (each person's open to-dos counted by kind, what the badge reads); org_version
(the department tree is kept across requests under it)

Revision ID: p21speed0001
Revises: p16draft0001
Create Date: 2026-12-07 19:20:00.000000

"""
import secrets
from collections import defaultdict
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'p21speed0001'
down_revision = 'p16draft0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_check_in_status', sa.String(length=20),
                                      nullable=True))
        batch_op.add_column(sa.Column('last_check_in_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True))
    # The newest check-in by time, then by id (coaching.services.checkins.refresh_latest).
    kpi = sa.table('kpi', sa.column('id', sa.Integer), sa.column('last_check_in_status'),
                   sa.column('last_check_in_at'))
    check_in = sa.table('check_in', sa.column('id', sa.Integer), sa.column('kpi_id'),
                        sa.column('status'), sa.column('created_at'))

    def latest(column):
        return (sa.select(column).where(check_in.c.kpi_id == kpi.c.id)
                .order_by(check_in.c.created_at.desc(), check_in.c.id.desc()).limit(1)
                .scalar_subquery())

    op.execute(kpi.update().values(last_check_in_status=latest(check_in.c.status),
                                   last_check_in_at=latest(check_in.c.created_at)))

    op.create_table(
        'target_trend_point',
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('weighted_sum', WEIGHTED, nullable=False),
        sa.Column('weight_sum', WEIGHTED, nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_target_trend_point_department_id_department'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['strategy_target.id'],
                                name=op.f('fk_target_trend_point_target_id_strategy_target'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('target_id', 'department_id', 'month',
                                name=op.f('pk_target_trend_point')))
    _backfill_trend_points()

    # Counted when each person's badge is first read (or by `flask rebuild-todos`).
    op.create_table(
        'todo_count',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('expires_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('counted_at', perfsite.models.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_todo_count_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_todo_count')))

    # The org chart's version: processes keep the department tree across requests under it.
    org_version = op.create_table(
        'org_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_version')))
    op.bulk_insert(org_version, [{'id': 1, 'version': secrets.randbits(62)}])


WEIGHTED = sa.Numeric(20, 6)


def _progress(metric_type, baseline, target_value, actual) -> Decimal:
    """planning.services.progress.measure_progress, as it was when this was written."""
    if actual is None:
        return Decimal(0)
    actual, baseline, target_value = Decimal(actual), Decimal(baseline), Decimal(target_value)
    if metric_type == 'milestone':
        return Decimal(1) if actual >= 1 else Decimal(0)
    if target_value == baseline:
        return Decimal(1) if actual >= target_value else Decimal(0)
    share = (actual - baseline) / (target_value - baseline)
    return min(Decimal(1), max(Decimal(0), share)).quantize(Decimal('0.0001'),
                                                             rounding=ROUND_HALF_UP)


def _backfill_trend_points():
    """dashboards.services.trends.refresh, as it was when this was written."""
    check_in = sa.table('check_in', sa.column('kpi_id'), sa.column('actual_value'),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    kpi = sa.table('kpi', sa.column('id'), sa.column('plan_id'), sa.column('goal_id'),
                   sa.column('weight'), sa.column('metric_type'), sa.column('baseline'),
                   sa.column('target_value'), sa.column('proposal_status'))
    plan = sa.table('personal_plan', sa.column('id'), sa.column('cycle_id'))
    goal = sa.table('department_goal', sa.column('id'), sa.column('cycle_id'),
                    sa.column('target_id'), sa.column('department_id'))
    rows = op.get_bind().execute(
        sa.select(goal.c.target_id, goal.c.department_id, check_in.c.created_at,
                  check_in.c.actual_value, kpi.c.weight, kpi.c.metric_type, kpi.c.baseline,
                  kpi.c.target_value)
        .select_from(check_in)
        .join(kpi, kpi.c.id == check_in.c.kpi_id)
        .join(plan, plan.c.id == kpi.c.plan_id)
        .join(goal, goal.c.id == kpi.c.goal_id)
        .where(sa.or_(kpi.c.proposal_status.is_(None), kpi.c.proposal_status != 'declined'),
               goal.c.target_id.is_not(None), plan.c.cycle_id == goal.c.cycle_id))
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for target_id, department_id, moment, value, weight, metric, baseline, target in rows:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        entry = sums[(target_id, department_id, date(moment.year, moment.month, 1))]
        entry[0] += Decimal(weight) * _progress(metric, baseline, target, value)
        entry[1] += Decimal(weight)
    points = sa.table('target_trend_point', sa.column('target_id', sa.Integer),
                      sa.column('department_id', sa.Integer), sa.column('month', sa.Date),
                      sa.column('weighted_sum', WEIGHTED), sa.column('weight_sum', WEIGHTED))
    values = [{'target_id': t, 'department_id': d, 'month': m, 'weighted_sum': ws,
               'weight_sum': w} for (t, d, m), (ws, w) in sums.items()]
    if values:
        op.bulk_insert(points, values)


def downgrade():
    op.drop_table('org_version')
    op.drop_table('todo_count')
    op.drop_table('target_trend_point')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.drop_column('last_check_in_at')
        batch_op.drop_column('last_check_in_status')
