"""When a moderator removed an admission's person (`admissions.removed_at`): the lobby of
that person's link refuses them until a moderator lets them back in.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER TABLE on SQLite too.
    op.add_column("admissions", sa.Column("removed_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    # SQLite's batch mode reflects `users` through the foreign keys and warns that it cannot
    # reflect its expression index (case-blind logins); the index is untouched.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("admissions") as batch:
            batch.drop_column("removed_at")
