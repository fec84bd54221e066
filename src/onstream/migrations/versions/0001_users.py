"""Accounts and the people they invite.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "owner_id",
            sa.Integer,
            sa.ForeignKey("users.id", name="fk_users_owner_id_users", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("login", sa.String(64), nullable=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("last_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("dst", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("phone_bridge", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("login", name="uq_users_login"),
    )

    epoch = op.create_table(
        "credential_epoch",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credential_epoch"),
    )
    op.bulk_insert(epoch, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("credential_epoch")
    op.drop_table("users")
