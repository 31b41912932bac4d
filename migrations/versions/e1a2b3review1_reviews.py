"""reviews: review settings and competencies per cycle, self and manager reviews with their
KPI scores and competency ratings, results and calibration moves

Revision ID: e1a2b3review1
Revises: d5e8f1kpi001
Create Date: 2026-11-23 00:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'e1a2b3review1'
down_revision = 'd5e8f1kpi001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('competency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_competency_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competency')),
    sa.UniqueConstraint('cycle_id', 'name', name='uq_competency_cycle_id_name')
    )
    op.create_table('review_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('scale_labels', sa.JSON(), nullable=False),
    sa.Column('goals_weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('competencies_weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('self_weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('locked_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('goals_weight BETWEEN 0 AND 100 AND competencies_weight BETWEEN 0 AND 100 AND self_weight BETWEEN 0 AND 100', name=op.f('ck_review_settings_weights_in_range')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_review_settings_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_settings')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_review_settings_cycle_id'))
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('achievements', sa.Text(), nullable=False),
    sa.Column('obstacles', sa.Text(), nullable=False),
    sa.Column('learning', sa.Text(), nullable=False),
    sa.Column('overall', sa.Text(), nullable=False),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('self', 'manager')", name=op.f('ck_review_kind_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_review_status_known')),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_review_author_id_person')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_review_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_review_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('cycle_id', 'person_id', 'kind', name='uq_review_cycle_id_person_id_kind')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_person_id'), ['person_id'], unique=False)

    op.create_table('review_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('goal_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('competency_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('self_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('final_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('band', sa.String(length=10), nullable=True),
    sa.Column('calibrated_band', sa.String(length=10), nullable=True),
    sa.Column('computed_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('calibrated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_review_result_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_review_result_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_result')),
    sa.UniqueConstraint('cycle_id', 'person_id', name='uq_review_result_cycle_id_person_id')
    )
    with op.batch_alter_table('review_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_result_person_id'), ['person_id'], unique=False)

    op.create_table('calibration_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('from_band', sa.String(length=10), nullable=False),
    sa.Column('to_band', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved_by_id', sa.Integer(), nullable=False),
    sa.Column('moved_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moved_by_id'], ['person.id'], name=op.f('fk_calibration_move_moved_by_id_person')),
    sa.ForeignKeyConstraint(['result_id'], ['review_result.id'], name=op.f('fk_calibration_move_result_id_review_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_move'))
    )
    with op.batch_alter_table('calibration_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_move_moved_by_id'), ['moved_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_move_result_id'), ['result_id'], unique=False)

    op.create_table('review_competency_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 10', name=op.f('ck_review_competency_rating_rating_in_range')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_review_competency_rating_competency_id_competency')),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_competency_rating_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_competency_rating')),
    sa.UniqueConstraint('review_id', 'competency_id', name='uq_review_competency_rating_review_id_competency_id')
    )
    with op.batch_alter_table('review_competency_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_competency_rating_competency_id'), ['competency_id'], unique=False)

    op.create_table('review_kpi_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 1 AND 10', name=op.f('ck_review_kpi_score_score_in_range')),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi.id'], name=op.f('fk_review_kpi_score_kpi_id_kpi'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_kpi_score_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_kpi_score')),
    sa.UniqueConstraint('review_id', 'kpi_id', name='uq_review_kpi_score_review_id_kpi_id')
    )
    with op.batch_alter_table('review_kpi_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_kpi_score_kpi_id'), ['kpi_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_kpi_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_kpi_score_kpi_id'))

    op.drop_table('review_kpi_score')
    with op.batch_alter_table('review_competency_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_competency_rating_competency_id'))

    op.drop_table('review_competency_rating')
    with op.batch_alter_table('calibration_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_move_result_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_move_moved_by_id'))

    op.drop_table('calibration_move')
    with op.batch_alter_table('review_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_result_person_id'))

    op.drop_table('review_result')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_person_id'))
        batch_op.drop_index(batch_op.f('ix_review_author_id'))

    op.drop_table('review')
    op.drop_table('review_settings')
    op.drop_table('competency')
