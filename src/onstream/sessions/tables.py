"""The `sessions` table, and `session_blocks`, which lets a list start deep without a scan.

A deleted session keeps its row with `deleted_at` set, so the API can answer 410 for it and
its `session_key` is never handed out again; its `friendly_url` and `access_code` are cleared
so they can be used by a new session.

GET sessions pages with `offset`, and an SQL OFFSET walks every entry it skips: the last
page of a million sessions walked a million index entries. `session_blocks` counts an
account's live sessions per block of 1,024 consecutive ids (block = id >> 10), kept in step
by every insert and delete in the same transaction; a deep page first adds up those counts
(a thousand small rows for a million sessions) to find the block where the page starts, then
skips fewer than 1,024 entries inside it. See sessions.repository.page.
"""

import secrets

from sqlalchemy import (
    JSON,
    Boolean,
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
    Column("auto_record", Boolean, nullable=False, server_default=text("false")),
    # The owner's host link; Python-side default, so every insert (bulk loads too) gets one.
    Column("host_key", String(32), nullable=False, default=lambda: secrets.token_urlsafe(16)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
    # An occurrence of a recurring series (sessions.series), and its start as the series
    # placed it: an occurrence moved on its own (an exception) no longer starts there.
    Column("series_id", Integer, ForeignKey("series.id", ondelete="CASCADE"), nullable=True),
    Column("occurrence", DateTime, nullable=True),
    # Guests of the public link knock and wait for a moderator (`admissions.waiting`).
    Column("waiting_room", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("owner_id", "friendly_url"),
    UniqueConstraint("session_key"),
    UniqueConstraint("access_code"),
    Index("ix_sessions_owner_id_id", "owner_id", "id"),
    Index("ix_sessions_series_id", "series_id"),
    # The live sessions only: a list skips and reads entries without visiting the table.
    Index(
        "ix_sessions_live_owner_id_id",
        "owner_id",
        "id",
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(500), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_series_owner_id_id", "owner_id", "id"),
)
"""A recurring session: its RRULE; each occurrence is an ordinary `sessions` row."""

BLOCK_BITS = 10
"""A block holds the sessions with ids from block << BLOCK_BITS up to the next block."""

session_blocks = Table(
    "session_blocks",
    metadata,
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("block", Integer, primary_key=True, autoincrement=False),
    # A block's count may be split over several rows (shards) that add up: on PostgreSQL,
    # concurrent creates update different rows instead of queueing for one row's lock.
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("live", Integer, nullable=False),
)
