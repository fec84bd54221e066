"""How webhooks and their deliveries appear in API documents (`webhooks`,
`webhook_deliveries`).

A webhook's document never carries its secret: PUT webhook's answer shows it once. Times are
ISO 8601 in UTC; a delivery's next attempt is shown only while it is pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onstream.protocol.document import Document
from onstream.protocol.times import iso_utc


def webhook_row(row: dict[str, Any]) -> dict[str, Any]:
    """One webhook as GET webhook(s) shows it, without its secret."""
    return {
        "id": row["id"],
        "url": row["url"],
        "events": row["events"],
        "active": bool(row["active"]),
        "status": row["status"],
        "last_error": row["last_error"],
        "created_at": iso_utc(row["created_at"]),
        "updated_at": iso_utc(row["updated_at"]),
    }


def webhooks_document(rows: Sequence[dict[str, Any]]) -> Document:
    """`{"webhooks": [...]}`, XML `<webhooks><webhook>`."""
    return Document(
        {"webhooks": [webhook_row(r) for r in rows]}, item_names={"webhooks": "webhook"}
    )


def delivery_row(row: dict[str, Any]) -> dict[str, Any]:
    """One delivery: its status, attempts, last error, and its next attempt while pending."""
    pending = row["status"] == "pending"
    return {
        "id": row["id"],
        "webhook_id": row["webhook_id"],
        "event_id": row["event_id"],
        "type": row["type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "next_attempt_at": iso_utc(row["next_attempt_at"]) if pending else None,
        "created_at": iso_utc(row["created_at"]),
        "delivered_at": None if row["delivered_at"] is None else iso_utc(row["delivered_at"]),
    }


def deliveries_document(rows: Sequence[dict[str, Any]]) -> Document:
    """`{"webhook_deliveries": [...]}`, XML `<webhook_deliveries><webhook_delivery>`."""
    return Document(
        {"webhook_deliveries": [delivery_row(r) for r in rows]},
        item_names={"webhook_deliveries": "webhook_delivery"},
    )
