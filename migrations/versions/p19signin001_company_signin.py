"""company sign-in (issue 19): person.directory_dn, roles granted by directory groups, the
directory syncs run

Revision ID: p19signin001
Revises: p21speed0001
Create Date: 2026-12-07 19:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'p19signin001'
down_revision = 'p21speed0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory_dn', sa.String(length=500), nullable=True))

    op.create_table('directory_role',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('group_dn', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_directory_role_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', 'role', name=op.f('pk_directory_role'))
    )
    op.create_table('directory_sync',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('people_seen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['started_by_id'], ['person.id'], name=op.f('fk_directory_sync_started_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_sync'))
    )
    with op.batch_alter_table('directory_sync', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_sync_started_at'), ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('directory_sync', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_sync_started_at'))
    op.drop_table('directory_sync')
    op.drop_table('directory_role')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('directory_dn')
