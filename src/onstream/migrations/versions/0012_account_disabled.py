"""Accounts an operator disabled: `users.disabled_at`.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02

A disabled account keeps its data but can neither use the API nor let anybody into its
meetings, until `onstream user enable` clears the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE on both databases: a batch copy of `users` on SQLite would lose the
    # expression index on lower(login), which SQLAlchemy cannot reflect
    op.add_column("users", sa.Column("disabled_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    # SQLite has ALTER TABLE ... DROP COLUMN since 3.35, and no index names the column
    op.execute("ALTER TABLE users DROP COLUMN disabled_at")
