"""interview notes: the head's reply beside the person's own comments (issue 16, item 9):
the note section "reply" joins the known sections

Revision ID: p16draft0001
Revises: p18first0001
Create Date: 2026-12-07 19:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'p16draft0001'
down_revision = 'p18first0001'
branch_labels = None
depends_on = None

BEFORE = "section IN ('prep', 'strengths', 'improve', 'outcomes', 'person')"
AFTER = "section IN ('prep', 'strengths', 'improve', 'outcomes', 'person', 'reply')"


def _known_sections(condition):
    with op.batch_alter_table('interview_note', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_interview_note_section_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_interview_note_section_known'), condition)


def upgrade():
    _known_sections(AFTER)


def downgrade():
    op.execute("DELETE FROM interview_note_revision WHERE note_id IN "
               "(SELECT id FROM interview_note WHERE section = 'reply')")
    op.execute("DELETE FROM interview_note WHERE section = 'reply'")
    _known_sections(BEFORE)
