"""The `webhooks` and `webhook_deliveries` tables.

A webhook is an account's subscription: a URL, the event names it wants (stored in the API's
list syntax, `;`-separated), the secret its deliveries are signed with, and whether its
receiver is failing. A delivery is one event for one webhook, written in the transaction of
the change it reports, and claimed by a worker with a lease like the mail outbox's rows.
"""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from onstream.storage.metadata import metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("status", String(8), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_webhooks_account_id", "account_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("type", String(32), nullable=False),
    Column("object_key", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("delivered_at", DateTime, nullable=True),
    Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_object", "webhook_id", "object_key", "id"),
)
