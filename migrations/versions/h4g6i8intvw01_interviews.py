"""feedback interviews, improvement plans, appeals, outcomes, closing (issue 12)

Revision ID: h4g6i8intvw01
Revises: g3f5h7fback01
Create Date: 2026-11-23 02:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'h4g6i8intvw01'
down_revision = 'g3f5h7fback01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=10), nullable=False),
    sa.Column('bonus_multiplier', sa.Numeric(precision=4, scale=2), nullable=False),
    sa.Column('promotion', sa.Boolean(), nullable=False),
    sa.Column('training', sa.Boolean(), nullable=False),
    sa.Column('improvement_plan', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('bonus_multiplier >= 0 AND bonus_multiplier <= 5', name=op.f('ck_outcome_rule_multiplier_in_range')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_outcome_rule_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_rule')),
    sa.UniqueConstraint('cycle_id', 'band', name='uq_outcome_rule_cycle_id_band')
    )
    op.create_table('interview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('meeting_link', sa.String(length=500), nullable=False),
    sa.Column('proposed_starts_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('proposal_note', sa.Text(), nullable=False),
    sa.Column('held_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('agreement', sa.String(length=10), nullable=True),
    sa.Column('person_comment', sa.Text(), nullable=False),
    sa.Column('appeal_decision', sa.String(length=10), nullable=True),
    sa.Column('appeal_band', sa.String(length=10), nullable=True),
    sa.Column('appeal_reason', sa.Text(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("agreement IS NULL OR agreement IN ('agree', 'disagree')", name=op.f('ck_interview_agreement_known')),
    sa.CheckConstraint("appeal_decision IS NULL OR appeal_decision IN ('upheld', 'changed')", name=op.f('ck_interview_appeal_decision_known')),
    sa.CheckConstraint("status IN ('scheduled', 'held', 'completed', 'acknowledged', 'appealed', 'resolved')", name=op.f('ck_interview_status_known')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_interview_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['head_id'], ['person.id'], name=op.f('fk_interview_head_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_interview_person_id_person')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['person.id'], name=op.f('fk_interview_resolved_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview')),
    sa.UniqueConstraint('cycle_id', 'person_id', name='uq_interview_cycle_id_person_id')
    )
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_head_id'), ['head_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interview_person_id'), ['person_id'], unique=False)

    op.create_table('outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=10), nullable=True),
    sa.Column('bonus_multiplier', sa.Numeric(precision=4, scale=2), nullable=False),
    sa.Column('promotion', sa.Boolean(), nullable=False),
    sa.Column('training', sa.Boolean(), nullable=False),
    sa.Column('improvement_plan', sa.Boolean(), nullable=False),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('overridden_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('bonus_multiplier >= 0 AND bonus_multiplier <= 5', name=op.f('ck_outcome_multiplier_in_range')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['person.id'], name=op.f('fk_outcome_approved_by_id_person')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_outcome_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_outcome_department_id_department')),
    sa.ForeignKeyConstraint(['overridden_by_id'], ['person.id'], name=op.f('fk_outcome_overridden_by_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_outcome_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome')),
    sa.UniqueConstraint('cycle_id', 'person_id', name='uq_outcome_cycle_id_person_id')
    )
    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_person_id'), ['person_id'], unique=False)

    op.create_table('goal_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('proposed_cycle_id', sa.Integer(), nullable=True),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], name=op.f('fk_goal_draft_interview_id_interview')),
    sa.ForeignKeyConstraint(['proposed_cycle_id'], ['cycle.id'], name=op.f('fk_goal_draft_proposed_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_draft'))
    )
    with op.batch_alter_table('goal_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_draft_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_draft_proposed_cycle_id'), ['proposed_cycle_id'], unique=False)

    op.create_table('improvement_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=500), nullable=False),
    sa.Column('support', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'dropped')", name=op.f('ck_improvement_item_status_known')),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], name=op.f('fk_improvement_item_interview_id_interview')),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], name=op.f('fk_improvement_item_owner_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_item'))
    )
    with op.batch_alter_table('improvement_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_item_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_item_owner_id'), ['owner_id'], unique=False)

    op.create_table('interview_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("section IN ('prep', 'strengths', 'improve', 'outcomes', 'person')", name=op.f('ck_interview_note_section_known')),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], name=op.f('fk_interview_note_interview_id_interview')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_interview_note_updated_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_note')),
    sa.UniqueConstraint('interview_id', 'section', name='uq_interview_note_interview_id_section')
    )
    op.create_table('improvement_item_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'dropped')", name=op.f('ck_improvement_item_update_status_known')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_improvement_item_update_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['item_id'], ['improvement_item.id'], name=op.f('fk_improvement_item_update_item_id_improvement_item')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_improvement_item_update_updated_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_item_update'))
    )
    with op.batch_alter_table('improvement_item_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_item_update_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_item_update_item_id'), ['item_id'], unique=False)

    op.create_table('interview_note_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('based_on_version', sa.Integer(), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=False),
    sa.Column('saved_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['interview_note.id'], name=op.f('fk_interview_note_revision_note_id_interview_note')),
    sa.ForeignKeyConstraint(['saved_by_id'], ['person.id'], name=op.f('fk_interview_note_revision_saved_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_note_revision'))
    )
    with op.batch_alter_table('interview_note_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_note_revision_note_id'), ['note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interview_note_revision_saved_by_id'), ['saved_by_id'], unique=False)



def downgrade():
    with op.batch_alter_table('interview_note_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_note_revision_saved_by_id'))
        batch_op.drop_index(batch_op.f('ix_interview_note_revision_note_id'))

    op.drop_table('interview_note_revision')
    with op.batch_alter_table('improvement_item_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_item_update_item_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_item_update_cycle_id'))

    op.drop_table('improvement_item_update')
    op.drop_table('interview_note')
    with op.batch_alter_table('improvement_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_item_owner_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_item_interview_id'))

    op.drop_table('improvement_item')
    with op.batch_alter_table('goal_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_draft_proposed_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_goal_draft_interview_id'))

    op.drop_table('goal_draft')
    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_person_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_department_id'))

    op.drop_table('outcome')
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_person_id'))
        batch_op.drop_index(batch_op.f('ix_interview_head_id'))

    op.drop_table('interview')
    op.drop_table('outcome_rule')
