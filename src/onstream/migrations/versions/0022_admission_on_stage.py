"""Whether a moderator brought an observer on stage (`admissions.on_stage`): an observer on
stage may publish like a participant until a moderator sends them back.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "admissions",
        sa.Column("on_stage", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite's batch mode reflects `users` through the foreign keys and warns that it cannot
    # reflect its expression index (case-blind logins); the index is untouched.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        with op.batch_alter_table("admissions") as batch:
            batch.drop_column("on_stage")
