"""Deep pages of GET sessions without a scan: live-session counts per block of ids, and an
index of live sessions only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sessions_live_owner_id_id",
        "sessions",
        ["owner_id", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "session_blocks",
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("block", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("shard", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("live", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "block", "shard", name="pk_session_blocks"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_session_blocks_owner_id_users", ondelete="CASCADE"
        ),
    )
    # id / 1024 (integer division on both databases) is the block of BLOCK_BITS = 10.
    op.execute(
        "INSERT INTO session_blocks (owner_id, block, shard, live) "
        "SELECT owner_id, id / 1024, 0, count(*) FROM sessions "
        "WHERE deleted_at IS NULL GROUP BY owner_id, id / 1024"
    )


def downgrade() -> None:
    op.drop_table("session_blocks")
    op.drop_index("ix_sessions_live_owner_id_id", table_name="sessions")
