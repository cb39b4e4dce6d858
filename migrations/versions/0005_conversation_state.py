"""conversation state: the open conversation of each user, shared by every process

Topic (category and family, with the classifier's confidence), the question Buddy last
asked and its kind, safety level and until when, and ids of the replies already given, so
a restart or a second process continues the same conversation. No user text is stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dialogue_states',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('turns', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=128), nullable=True),
    sa.Column('topic_family', sa.String(length=128), nullable=True),
    sa.Column('topic_confidence', sa.Float(), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('question_kind', sa.String(length=16), nullable=True),
    sa.Column('safety_level', sa.SmallInteger(), nullable=False),
    sa.Column('safety_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('safety_turns', sa.Integer(), nullable=False),
    sa.Column('crisis_replies', sa.Integer(), nullable=False),
    sa.Column('given', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    with op.batch_alter_table('dialogue_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_states_last_at'), ['last_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dialogue_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_states_last_at'))
    op.drop_table('dialogue_states')
