"""A session's waiting room (`sessions.waiting_room`): guests of the public link knock and
wait until a moderator admits them; `admissions.waiting` marks such a knock.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOT NULL with a constant default: a plain ALTER TABLE on SQLite too.
    op.add_column(
        "sessions",
        sa.Column("waiting_room", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "admissions",
        sa.Column("waiting", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite's batch mode reflects `users` through the foreign keys and warns that it cannot
    # reflect its expression index (case-blind logins); the index is untouched.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("admissions") as batch:
            batch.drop_column("waiting")
        with op.batch_alter_table("sessions") as batch:
            batch.drop_column("waiting_room")
    _live_index_last()


def _live_index_last() -> None:
    """SQLite's batch mode rebuilds `sessions`; the partial index of live sessions must be
    the last one on (owner_id, id) for the planner to page with it (see 0006)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_sessions_live_owner_id_id", table_name="sessions")
    op.create_index(
        "ix_sessions_live_owner_id_id",
        "sessions",
        ["owner_id", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
