"""The webhook outbox: events written in the caller's transaction; claimed, and recorded.

`emit` writes one row per active webhook of the account that subscribes to the event, in the
transaction of the change, so an event exists if and only if its change committed. Claiming
works as the mail outbox's (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a write transaction on
SQLite, a lease either way), with one more rule: a row is due only when no earlier row of the
same webhook and object is still pending, so an object's events arrive in order.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from onstream.clock import utcnow
from onstream.protocol.times import iso_utc
from onstream.storage.database import Connection
from onstream.storage.prepared import Prepared
from onstream.webhooks.tables import webhook_deliveries as deliveries
from onstream.webhooks.tables import webhooks

PENDING = "pending"
DELIVERED = "delivered"
STATUSES = (PENDING, DELIVERED)


class Owner(Protocol):
    """Whose events these are (an `Account` is one)."""

    @property
    def id(self) -> int:
        """The account's id."""

    @property
    def login(self) -> str:
        """The account's login, the event's `account`."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker now holds the lease on, with what it takes to send it."""

    id: int
    webhook_id: int
    attempts: int
    url: str
    secret: str
    body: bytes


_SUBSCRIBED = Prepared(
    select(webhooks.c.id, webhooks.c.events).where(
        webhooks.c.account_id == bindparam("account_id"), webhooks.c.active.is_(True)
    )
)
"""Prepared once: every write of the API asks it, and building the statement cost more than
SQLite's answer (a fifth of a PUT session's time)."""


async def emit(conn: Connection, owner: Owner, event: str, key: str, data: Any) -> int:
    """Queue `event` about the object `key` (`session:12`) for every webhook of `owner` that
    wants it; `data` is the object as the API's JSON shows it. How many rows were written."""
    return await emit_each(conn, owner, event, lambda: [(key, data)])


async def emit_each(
    conn: Connection, owner: Owner, event: str, objects: Callable[[], Sequence[tuple[str, Any]]]
) -> int:
    """`emit` for many objects at once (a webinar's invitees): one lookup of the webhooks
    and one executemany. `objects` gives the (key, data) pairs; it is called only when a
    webhook wants the event, since building the data costs more than the lookup."""
    rows = await conn.fetch(_SUBSCRIBED, {"account_id": owner.id})
    targets = [webhook_id for webhook_id, events in rows if event in events.split(";")]
    if not targets:
        return 0
    now = utcnow()
    batch = []
    for key, data in objects():
        event_id = "evt_" + secrets.token_hex(12)
        body = orjson.dumps(
            {
                "id": event_id,
                "type": event,
                "time": iso_utc(now),
                "account": owner.login,
                "data": data,
            }
        ).decode()
        batch += [
            {
                "webhook_id": webhook_id,
                "account_id": owner.id,
                "event_id": event_id,
                "type": event,
                "object_key": key,
                "body": body,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for webhook_id in targets
        ]
    if batch:
        await conn.execute(insert(deliveries), batch)
    return len(batch)


def _due(now: datetime) -> ColumnElement[bool]:
    earlier = deliveries.alias("earlier")
    return and_(
        deliveries.c.status == PENDING,
        deliveries.c.next_attempt_at <= now,
        or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
        ~exists().where(
            earlier.c.webhook_id == deliveries.c.webhook_id,
            earlier.c.object_key == deliveries.c.object_key,
            earlier.c.status == PENDING,
            earlier.c.id < deliveries.c.id,
        ),
    )


async def claim(conn: Connection, *, worker: str, lease: timedelta, limit: int) -> list[Claimed]:
    """Take up to `limit` due deliveries for this worker (inside a write transaction); at
    most one per object, the oldest pending one."""
    now = utcnow()
    query = select(deliveries.c.id).where(_due(now)).order_by(deliveries.c.id).limit(limit)
    if conn.dialect_name == "postgresql":
        query = query.with_for_update(of=deliveries, skip_locked=True)
    ids = list((await conn.execute(query)).scalars())
    if not ids:
        return []
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(ids), deliveries.c.status == PENDING)
        .values(claimed_by=worker, claimed_until=now + lease)
    )
    rows = await conn.execute(
        select(
            deliveries.c.id,
            deliveries.c.webhook_id,
            deliveries.c.attempts,
            deliveries.c.body,
            webhooks.c.url,
            webhooks.c.secret,
        )
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.id.in_(ids), deliveries.c.claimed_by == worker)
        .order_by(deliveries.c.id)
    )
    return [
        Claimed(
            id=row.id,
            webhook_id=row.webhook_id,
            attempts=row.attempts,
            url=row.url,
            secret=row.secret,
            body=row.body.encode(),
        )
        for row in rows
    ]


async def mark_delivered(conn: Connection, item: Claimed, *, worker: str) -> bool:
    """Record a delivery the receiver accepted; its webhook is no longer failing."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == item.id, deliveries.c.claimed_by == worker)
        .values(
            status=DELIVERED,
            delivered_at=utcnow(),
            attempts=deliveries.c.attempts + 1,
            claimed_by=None,
            claimed_until=None,
            last_error=None,
        )
    )
    await conn.execute(
        update(webhooks)
        .where(webhooks.c.id == item.webhook_id)
        .values(status="ok", last_error=None)
    )
    return result.rowcount == 1


async def mark_retry(
    conn: Connection, item: Claimed, *, worker: str, error: str, at: datetime
) -> None:
    """Record a failed attempt and when to try again; the webhook shows it is failing."""
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == item.id, deliveries.c.claimed_by == worker)
        .values(
            attempts=deliveries.c.attempts + 1,
            last_error=error[:2000],
            next_attempt_at=at,
            claimed_by=None,
            claimed_until=None,
        )
    )
    await conn.execute(
        update(webhooks)
        .where(webhooks.c.id == item.webhook_id)
        .values(status="failing", last_error=error[:2000])
    )
