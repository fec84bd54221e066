"""Recurring sessions: `series`, and each occurrence's series and planned start.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_series_owner_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_series_owner_id_id", "series", ["owner_id", "id"])
    with _quiet(), op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("series_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("occurrence", sa.DateTime, nullable=True))
        batch.create_foreign_key(
            "fk_sessions_series_id_series", "series", ["series_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_sessions_series_id", ["series_id"])
    _live_index_last()


def downgrade() -> None:
    with _quiet(), op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_series_id")
        batch.drop_constraint("fk_sessions_series_id_series", type_="foreignkey")
        batch.drop_column("occurrence")
        batch.drop_column("series_id")
    _live_index_last()
    op.drop_index("ix_series_owner_id_id", "series")
    op.drop_table("series")


def _live_index_last() -> None:
    """SQLite's batch mode rebuilds `sessions`; the partial index of live sessions must be
    the last one on (owner_id, id) for the planner to page with it (see 0006)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_sessions_live_owner_id_id", table_name="sessions")
    op.create_index(
        "ix_sessions_live_owner_id_id",
        "sessions",
        ["owner_id", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """SQLite's batch mode reflects `users` through the foreign key and warns that it cannot
    reflect its expression index (case-blind logins); the index is untouched."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield
