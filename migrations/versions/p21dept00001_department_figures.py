"""dashboards from kept figures (issue 21): department_figure, each department's summary
figures per cycle (people with a plan, plans approved, KPIs by latest status, overdue
check-ins with their expiry, reviews submitted, ratings), kept by the transaction that
moves them (dashboards.services.kept_figures). Created empty: a cycle without its row -1
is counted whole, and kept, by the first dashboard that reads it (or `flask
rebuild-figures`), so a populated database needs no backfill here.

Revision ID: p21dept00001
Revises: p16anon00001
Create Date: 2026-12-07 22:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'p21dept00001'
down_revision = 'p16anon00001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'department_figure',
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('plans_approved', sa.Integer(), nullable=False),
        sa.Column('kpis', sa.Integer(), nullable=False),
        sa.Column('kpis_checked_in', sa.Integer(), nullable=False),
        sa.Column('on_track', sa.Integer(), nullable=False),
        sa.Column('at_risk', sa.Integer(), nullable=False),
        sa.Column('off_track', sa.Integer(), nullable=False),
        sa.Column('overdue', sa.Integer(), nullable=False),
        sa.Column('people_overdue', sa.Integer(), nullable=False),
        sa.Column('late_people', sa.JSON(), nullable=False),
        sa.Column('self_done', sa.Integer(), nullable=False),
        sa.Column('manager_done', sa.Integer(), nullable=False),
        sa.Column('ratings', sa.JSON(), nullable=False),
        sa.Column('goals_at_risk', sa.JSON(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('expires_at', perfsite.models.types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column('counted_at', perfsite.models.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'],
                                name=op.f('fk_department_figure_cycle_id_cycle'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cycle_id', 'department_id',
                                name=op.f('pk_department_figure')))


def downgrade():
    op.drop_table('department_figure')
