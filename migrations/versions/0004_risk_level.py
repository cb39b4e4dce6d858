"""risk level of a user's message (core.safety.levels: 0 none … 6 imminent)

The crisis review queue sorts by it, highest first. Old rows stay NULL: the queue reads a
NULL crisis row as ideation (a crisis of unknown kind).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_level', sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('risk_level')
