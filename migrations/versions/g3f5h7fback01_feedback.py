"""360-degree feedback (issue 10): the cycle's 360 settings, feedback requests (nominations,
upward and manager feedback, declines) with their answers, and the answers' ratings

Revision ID: g3f5h7fback01
Revises: f2c4d6scale01
Create Date: 2026-11-23 02:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types

# revision identifiers, used by Alembic.
revision = 'g3f5h7fback01'
down_revision = 'f2c4d6scale01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('min_raters', sa.Integer(), nullable=False),
    sa.Column('max_raters', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=True),
    sa.Column('subject_sees_report', sa.Boolean(), nullable=False),
    sa.Column('peers_weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('reports_weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_raters >= 1 AND max_raters >= min_raters AND max_raters <= 20', name=op.f('ck_feedback_settings_raters_in_range')),
    sa.CheckConstraint('peers_weight BETWEEN 0 AND 100 AND reports_weight BETWEEN 0 AND 100', name=op.f('ck_feedback_settings_weights_in_range')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_feedback_settings_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_settings')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_feedback_settings_cycle_id'))
    )
    op.create_table('feedback_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('rater_group', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('replaced', sa.Boolean(), nullable=False),
    sa.Column('keep_doing', sa.Text(), nullable=False),
    sa.Column('improve', sa.Text(), nullable=False),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("rater_group IN ('manager', 'peer', 'report')", name=op.f('ck_feedback_request_group_known')),
    sa.CheckConstraint("status IN ('nominated', 'requested', 'declined', 'removed', 'submitted')", name=op.f('ck_feedback_request_status_known')),
    sa.CheckConstraint('subject_id <> rater_id', name=op.f('ck_feedback_request_not_own_rater')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_feedback_request_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['person.id'], name=op.f('fk_feedback_request_nominated_by_id_person')),
    sa.ForeignKeyConstraint(['rater_id'], ['person.id'], name=op.f('fk_feedback_request_rater_id_person')),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_feedback_request_subject_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_request')),
    sa.UniqueConstraint('cycle_id', 'subject_id', 'rater_id', name='uq_feedback_request_cycle_id_subject_id_rater_id')
    )
    with op.batch_alter_table('feedback_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_request_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_request_subject_id'), ['subject_id'], unique=False)

    op.create_table('feedback_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 10', name=op.f('ck_feedback_rating_rating_in_range')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_feedback_rating_competency_id_competency')),
    sa.ForeignKeyConstraint(['request_id'], ['feedback_request.id'], name=op.f('fk_feedback_rating_request_id_feedback_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_rating')),
    sa.UniqueConstraint('request_id', 'competency_id', name='uq_feedback_rating_request_id_competency_id')
    )
    with op.batch_alter_table('feedback_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_rating_competency_id'), ['competency_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_rating_competency_id'))

    op.drop_table('feedback_rating')
    with op.batch_alter_table('feedback_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_request_subject_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_request_rater_id'))

    op.drop_table('feedback_request')
    op.drop_table('feedback_settings')
