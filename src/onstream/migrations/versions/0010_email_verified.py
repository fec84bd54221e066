"""Verified addresses for accounts, and the links that confirm a new one (CONTRACT §6a).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Every existing account's address was set by the operator (`onstream user add`) or changed
through the API before addresses were confirmed; the migration counts them as verified, so
registered invitees keep seeing their invitations in their own zone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.text("false")),
    )
    op.execute("UPDATE users SET email_verified = true WHERE owner_id IS NULL")
    op.create_index("ix_users_email_key", "users", ["email_key"])
    op.create_index("ix_invitations_user_id", "invitations", ["user_id"])
    op.create_table(
        "email_confirmations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_email_confirmations"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["users.id"],
            name="fk_email_confirmations_account_id_users",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_email_confirmations_token_hash"),
    )
    op.create_index("ix_email_confirmations_account_id", "email_confirmations", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_email_confirmations_account_id", "email_confirmations")
    op.drop_table("email_confirmations")
    op.drop_index("ix_invitations_user_id", "invitations")
    op.drop_index("ix_users_email_key", "users")
    # plain ALTER TABLE ... DROP COLUMN: SQLite has it since 3.35, and no index names it
    op.execute("ALTER TABLE users DROP COLUMN email_verified")
