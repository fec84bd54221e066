"""Which Janus server each observer of a room watches from (`room_viewers`): a room's
audience spreads over several servers once one holds `ONSTREAM_ROOM_VIEWERS_PER_JANUS`.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_viewers",
        sa.Column(
            "admission_id",
            sa.Integer,
            sa.ForeignKey("admissions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("placed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_room_viewers_server", "room_viewers", ["server"])
    op.create_index("ix_room_viewers_session_id", "room_viewers", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_room_viewers_session_id", table_name="room_viewers")
    op.drop_index("ix_room_viewers_server", table_name="room_viewers")
    op.drop_table("room_viewers")
