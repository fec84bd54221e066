"""Meeting rooms: rooms, admissions, Janus tokens, recording jobs, and `auto_record`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("auto_record", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("host_key", sa.String(32), nullable=True))
    _give_every_session_a_host_key()
    with op.batch_alter_table("sessions") as batch:
        batch.alter_column("host_key", existing_type=sa.String(32), nullable=False)
    _live_index_last()
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("server", sa.String(512), nullable=False),
        sa.Column("janus_room", sa.BigInteger, nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("recording", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recorded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.UniqueConstraint("session_id"),
    )
    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("participant", sa.BigInteger, nullable=False),
        sa.Column("role", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("invitation_token", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("secret"),
        sa.UniqueConstraint("session_id", "participant"),
    )
    op.create_table(
        "room_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column(
            "admission_id",
            sa.Integer,
            sa.ForeignKey("admissions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "recording_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_dir", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("source_dir"),
    )


def _live_index_last() -> None:
    """SQLite's batch mode rebuilt `sessions` and created its indexes in another order; with
    two indexes on (owner_id, id) SQLite's planner takes the later one, and the pages of live
    sessions must use the partial index of live sessions (migration 0005), so it is made
    again last."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_sessions_live_owner_id_id", table_name="sessions")
    op.create_index(
        "ix_sessions_live_owner_id_id",
        "sessions",
        ["owner_id", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
    )


def _give_every_session_a_host_key() -> None:
    """Existing sessions get their random host key, as new ones do at creation."""
    bind = op.get_bind()
    sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("host_key"))
    ids = [row[0] for row in bind.execute(sa.select(sessions.c.id))]
    for session_id in ids:
        bind.execute(
            sa.update(sessions)
            .where(sessions.c.id == session_id)
            .values(host_key=secrets.token_urlsafe(16))
        )


def downgrade() -> None:
    op.drop_table("recording_jobs")
    op.drop_table("room_tokens")
    op.drop_table("admissions")
    op.drop_table("rooms")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("host_key")
        batch.drop_column("auto_record")
