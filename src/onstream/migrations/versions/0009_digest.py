"""HTTP Digest for API tokens: the tokens' Digest hashes, the used nonce counts, a nonce key.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Tokens created before this migration have no Digest hashes (the token itself is not kept,
so they cannot be computed): they keep working with Basic only.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("digest_sha256", sa.String(64), nullable=True))
    op.add_column("api_tokens", sa.Column("digest_md5", sa.String(32), nullable=True))
    op.create_table(
        "digest_nonce_counts",
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("nc", sa.String(8), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("nonce", "nc", name="pk_digest_nonce_counts"),
    )
    op.create_index("ix_digest_nonce_counts_expires_at", "digest_nonce_counts", ["expires_at"])
    secrets_table = sa.table("server_secrets", sa.column("name"), sa.column("value"))
    op.bulk_insert(
        secrets_table, [{"name": "digest_nonce_key", "value": secrets.token_urlsafe(48)}]
    )


def downgrade() -> None:
    op.execute("DELETE FROM server_secrets WHERE name = 'digest_nonce_key'")
    op.drop_index("ix_digest_nonce_counts_expires_at", "digest_nonce_counts")
    op.drop_table("digest_nonce_counts")
    # plain ALTER TABLE ... DROP COLUMN: SQLite has it since 3.35, and no index names them
    op.execute("ALTER TABLE api_tokens DROP COLUMN digest_md5")
    op.execute("ALTER TABLE api_tokens DROP COLUMN digest_sha256")
