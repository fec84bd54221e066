"""Sessions, and one person per e-mail address within an account.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_key", sa.String(254), nullable=True))
    op.execute("UPDATE users SET email_key = lower(email)")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_key", existing_type=sa.String(254), nullable=False)
        batch.create_unique_constraint("uq_users_owner_id_email_key", ["owner_id", "email_key"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("start_utc", sa.DateTime, nullable=False),
        sa.Column("duration", sa.Integer, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("password", sa.String(255), nullable=True),
        sa.Column("friendly_url", sa.String(64), nullable=True),
        sa.Column("session_key", sa.String(32), nullable=False),
        sa.Column("access_code", sa.Integer, nullable=True),
        sa.Column("custom_data", sa.JSON, nullable=True),
        sa.Column("sequence", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_sessions_owner_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("owner_id", "friendly_url", name="uq_sessions_owner_id_friendly_url"),
        sa.UniqueConstraint("session_key", name="uq_sessions_session_key"),
        sa.UniqueConstraint("access_code", name="uq_sessions_access_code"),
    )
    op.create_index("ix_sessions_owner_id_id", "sessions", ["owner_id", "id"])


def downgrade() -> None:
    op.drop_table("sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_owner_id_email_key", type_="unique")
        batch.drop_column("email_key")
