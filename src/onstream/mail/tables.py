"""The `outbox` table: every e-mail the server must send, until it is sent or given up.

A row is written in the same transaction as the change it reports, so a message exists if
and only if the change committed. The delivery worker claims due rows with a lease
(`claimed_until`), so several workers never send the same row at once, and a worker that
dies loses nothing: its lease runs out and another takes the row.
"""

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from onstream.storage.metadata import metadata

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("session_id", Integer, nullable=True),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)
