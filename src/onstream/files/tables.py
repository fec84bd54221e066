"""The `files` and `files_in_sessions` tables.

A file is either a link (`is_url`, `file_link` set) or an upload whose bytes live in the media
store under `media_key`; its download link is made from the key when a document is built, so
it follows `ONSTREAM_BASE_URL`. A deleted file keeps its row with `deleted_at` set (410) and
loses its bytes and its places in sessions.
"""

from sqlalchemy import (
    BigInteger,
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

files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("file_link", String(2048), nullable=True),
    Column("is_url", Boolean, nullable=False),
    Column("dir_id", BigInteger, nullable=True),
    Column("file_description", String(255), nullable=True),
    Column("media_key", String(64), nullable=True),
    Column("media_name", String(255), nullable=True),
    Column("media_size", BigInteger, nullable=True),
    Column("media_type", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
    UniqueConstraint("media_key"),
    Index("ix_files_owner_id_id", "owner_id", "id"),
)

files_in_sessions = Table(
    "files_in_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_id", Integer, ForeignKey("files.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("is_auto_opening", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("file_id", "session_id"),
)
"""A file shown in a session's file share; one row per pair (a second PUT is 409)."""
