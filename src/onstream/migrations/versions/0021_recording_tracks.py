"""A recording's tracks, each its own remuxed file on the meeting's timeline
(`recording_tracks`): the recording plays from them before its composed file exists.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_tracks",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.Integer, nullable=False),
        sa.Column("participant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("offset_ms", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.BigInteger, nullable=False),
        sa.Column("media_key", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("media_size", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_tracks"),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_recording_tracks_recording_id_recordings",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("media_key", name="uq_recording_tracks_media_key"),
    )
    op.create_index("ix_recording_tracks_recording_id", "recording_tracks", ["recording_id"])


def downgrade() -> None:
    op.drop_index("ix_recording_tracks_recording_id", table_name="recording_tracks")
    op.drop_table("recording_tracks")
