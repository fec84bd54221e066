"""The `sessions` table.

A deleted session keeps its row with `deleted_at` set, so the API can answer 410 for it and
its `session_key` is never handed out again; its `friendly_url` and `access_code` are cleared
so they can be used by a new session.
"""

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from onstream.storage.metadata import metadata

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("start_utc", DateTime, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("password", String(255), nullable=True),
    Column("friendly_url", String(64), nullable=True),
    Column("session_key", String(32), nullable=False),
    Column("access_code", Integer, nullable=True),
    Column("custom_data", JSON, nullable=True),
    Column("sequence", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
    UniqueConstraint("owner_id", "friendly_url"),
    UniqueConstraint("session_key"),
    UniqueConstraint("access_code"),
    Index("ix_sessions_owner_id_id", "owner_id", "id"),
)
