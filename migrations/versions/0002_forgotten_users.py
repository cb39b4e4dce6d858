"""forgotten users: tombstones that drop late writes of a forgotten user

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 09:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('forgotten_users',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )


def downgrade() -> None:
    op.drop_table('forgotten_users')
