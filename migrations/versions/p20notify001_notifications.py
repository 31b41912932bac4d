"""notifications where people work: chat channels, the outbox, e-mail preferences (issue 20)

Revision ID: p20notify001
Revises: h4g6i8intvw01
Create Date: 2026-12-07 15:17:29.718237

"""
import sqlalchemy as sa
from alembic import op

import perfsite.models.types  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'p20notify001'
down_revision = 'h4g6i8intvw01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notify_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('url_sealed', sa.Text(), nullable=False),
    sa.Column('url_hint', sa.String(length=120), nullable=False),
    sa.Column('secret_sealed', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_notify_channel_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_channel'))
    )
    with op.batch_alter_table('notify_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_channel_department_id'), ['department_id'], unique=False)

    op.create_table('notification_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_preference_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preference')),
    sa.UniqueConstraint('person_id', 'kind', name='uq_notification_preference_person_id_kind')
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transport', sa.String(length=20), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('give_up_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claim_expires_at', perfsite.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bundled_into_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bundled_into_id'], ['outbox_message.id'], name=op.f('fk_outbox_message_bundled_into_id_outbox_message')),
    sa.ForeignKeyConstraint(['channel_id'], ['notify_channel.id'], name=op.f('fk_outbox_message_channel_id_notify_channel')),
    sa.ForeignKeyConstraint(['recipient_id'], ['person.id'], name=op.f('fk_outbox_message_recipient_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_outbox_message_recipient_id_status', ['recipient_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next_attempt_at')
        batch_op.drop_index('ix_outbox_message_recipient_id_status')
        batch_op.drop_index(batch_op.f('ix_outbox_message_channel_id'))

    op.drop_table('outbox_message')
    op.drop_table('notification_preference')
    with op.batch_alter_table('notify_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_channel_department_id'))

    op.drop_table('notify_channel')
