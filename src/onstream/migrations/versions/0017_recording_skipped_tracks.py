"""The tracks a recording job left out (`recording_jobs.skipped`): empty or unreadable ones.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER TABLE on SQLite too.
    op.add_column("recording_jobs", sa.Column("skipped", sa.Text, nullable=True))


def downgrade() -> None:
    # SQLite's batch mode reflects `users` through the foreign keys and warns that it cannot
    # reflect its expression index (case-blind logins); the index is untouched.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("recording_jobs") as batch:
            batch.drop_column("skipped")
