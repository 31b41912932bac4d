"""form submissions: one-time tokens that make every create form save once

Revision ID: c3d9e7once001
Revises: b7f2c0import1
Create Date: 2026-11-22 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)

# revision identifiers, used by Alembic.
revision = 'c3d9e7once001'
down_revision = 'b7f2c0import1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('result_type', sa.String(length=40), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=True),
        sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_form_submission_person_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission')),
        sa.UniqueConstraint('token', name=op.f('uq_form_submission_token')),
    )
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submission_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_person_id'), ['person_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submission_person_id'))
        batch_op.drop_index(batch_op.f('ix_form_submission_created_at'))
    op.drop_table('form_submission')
