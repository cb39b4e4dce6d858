"""human handoff: handoffs, sealed contact addresses, operator turns, per-operator sessions

``handoffs``: one row per user key with the handoff state and the operator holding it.
``contact_addresses``: the user's platform address, AES-GCM sealed, kept only while needed.
``messages.operator``: who wrote an operator turn. ``admin_auth.operator``: one session
generation per operator (row 1, ADMIN_TOKEN's, becomes "admin").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_operator_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_conversation_id'), ['conversation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_state'), ['state'], unique=False)
    op.create_table('contact_addresses',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    with op.batch_alter_table('contact_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_addresses_conversation_id'),
                              ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_addresses_last_seen_at'), ['last_seen_at'],
                              unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator', sa.String(length=64), nullable=True))
    with op.batch_alter_table('admin_auth', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_admin_auth_operator', ['operator'])
    op.execute("UPDATE admin_auth SET operator = 'admin' WHERE id = 1")


def downgrade() -> None:
    with op.batch_alter_table('admin_auth', schema=None) as batch_op:
        batch_op.drop_constraint('uq_admin_auth_operator', type_='unique')
        batch_op.drop_column('operator')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('operator')
    with op.batch_alter_table('contact_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_addresses_last_seen_at'))
        batch_op.drop_index(batch_op.f('ix_contact_addresses_conversation_id'))
    op.drop_table('contact_addresses')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_state'))
        batch_op.drop_index(batch_op.f('ix_handoffs_conversation_id'))
    op.drop_table('handoffs')
