"""Who is in which room since when (`room_presence`), and when Janus was last asked.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_presence",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer, nullable=False),
        sa.Column("admission_id", sa.Integer, nullable=False),
        sa.Column("joined_at", sa.DateTime, nullable=False),
        sa.Column("left_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_room_presence"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_room_presence_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["admissions.id"],
            name="fk_room_presence_admission_id_admissions",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_room_presence_session_id_left_at", "room_presence", ["session_id", "left_at"]
    )
    op.create_index("ix_room_presence_admission_id", "room_presence", ["admission_id"])
    # A nullable column without a default: a plain ALTER TABLE on SQLite too.
    op.add_column("rooms", sa.Column("presence_listed_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with _quiet(), op.batch_alter_table("rooms") as batch:
        batch.drop_column("presence_listed_at")
    op.drop_index("ix_room_presence_admission_id", "room_presence")
    op.drop_index("ix_room_presence_session_id_left_at", "room_presence")
    op.drop_table("room_presence")


@contextmanager
def _quiet() -> Iterator[None]:
    """SQLite's batch mode reflects `users` through the foreign keys and warns that it cannot
    reflect its expression index (case-blind logins); the index is untouched."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield
