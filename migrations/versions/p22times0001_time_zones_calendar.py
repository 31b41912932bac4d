"""Times and calendars (issue 22): person.time_zone (None reads the site's zone); an
interview's calendar SEQUENCE, its cancellation and the status "cancelled"

Revision ID: p22times0001
Revises: p23talent001
Create Date: 2026-12-07 19:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p22times0001'
down_revision = 'p23talent001'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('scheduled', 'held', 'completed', 'acknowledged', 'appealed', 'resolved')"
NEW_STATUSES = ("status IN ('scheduled', 'cancelled', 'held', 'completed', 'acknowledged', "
                "'appealed', 'resolved')")


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_interview_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_interview_status_known'), NEW_STATUSES)


def downgrade():
    op.execute("UPDATE interview SET status = 'scheduled' WHERE status = 'cancelled'")
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_interview_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_interview_status_known'), OLD_STATUSES)
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('calendar_sequence')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
