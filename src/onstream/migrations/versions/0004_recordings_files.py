"""Recordings, the media library, files in sessions, and the server's own secrets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("password", sa.String(255), nullable=True),
        sa.Column("duration_ms", sa.BigInteger, nullable=False),
        sa.Column(
            "allow_anonymous_playback",
            sa.Boolean,
            nullable=False,
            server_default=sa.text("false"),
        ),
        sa.Column("media_key", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(255), nullable=True),
        sa.Column("media_size", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_recordings_owner_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_recordings_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("media_key", name="uq_recordings_media_key"),
    )
    op.create_index("ix_recordings_owner_id_id", "recordings", ["owner_id", "id"])
    op.create_index("ix_recordings_session_id_id", "recordings", ["session_id", "id"])
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("file_link", sa.String(2048), nullable=True),
        sa.Column("is_url", sa.Boolean, nullable=False),
        sa.Column("dir_id", sa.BigInteger, nullable=True),
        sa.Column("file_description", sa.String(255), nullable=True),
        sa.Column("media_key", sa.String(64), nullable=True),
        sa.Column("media_name", sa.String(255), nullable=True),
        sa.Column("media_size", sa.BigInteger, nullable=True),
        sa.Column("media_type", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_files_owner_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("media_key", name="uq_files_media_key"),
    )
    op.create_index("ix_files_owner_id_id", "files", ["owner_id", "id"])
    op.create_table(
        "files_in_sessions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Integer, nullable=False),
        sa.Column("is_auto_opening", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_files_in_sessions"),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name="fk_files_in_sessions_file_id_files", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_files_in_sessions_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "file_id", "session_id", name="uq_files_in_sessions_file_id_session_id"
        ),
    )
    secrets_table = op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_server_secrets"),
    )
    # Generated here, once, inside the migration's transaction: every process that serves
    # this database reads the same key (see onstream.storage.secrets).
    op.bulk_insert(
        secrets_table, [{"name": "playback_cookie_key", "value": secrets.token_urlsafe(48)}]
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_table("files_in_sessions")
    op.drop_table("files")
    op.drop_table("recordings")
