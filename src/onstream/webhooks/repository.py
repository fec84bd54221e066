"""Queries on `webhooks` and on the listing side of `webhook_deliveries`. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from onstream.storage.database import Connection
from onstream.webhooks.tables import webhook_deliveries as deliveries
from onstream.webhooks.tables import webhooks


async def add(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a webhook; its id."""
    result = await conn.execute(insert(webhooks).values(**values).returning(webhooks.c.id))
    return int(result.scalar_one())


ACCOUNT_LOCK = 0x5748
"""The first key of the PostgreSQL advisory lock that serializes an account's webhook
creations (the second is the account's id)."""


async def lock_account(conn: Connection, *, account_id: int) -> None:
    """Hold, until the transaction ends, the lock on creating this account's webhooks, so
    that counting them and adding one is atomic. On SQLite the write transaction already
    holds the database's only writer lock."""
    if conn.dialect_name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(ACCOUNT_LOCK, account_id)))


async def by_id(conn: Connection, *, account_id: int, webhook_id: int) -> dict[str, Any] | None:
    """One webhook of this account, or None (another account's is None too)."""
    row = (
        await conn.execute(
            select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.account_id == account_id)
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def page(
    conn: Connection, *, account_id: int, count: int, offset: int, descending: bool
) -> list[dict[str, Any]]:
    """A page of the account's webhooks by id."""
    order = webhooks.c.id.desc() if descending else webhooks.c.id
    rows = await conn.execute(
        select(webhooks)
        .where(webhooks.c.account_id == account_id)
        .order_by(order)
        .limit(count)
        .offset(offset)
    )
    return [dict(row._mapping) for row in rows]


async def total(conn: Connection, *, account_id: int) -> int:
    """How many webhooks the account has."""
    query = select(func.count()).select_from(webhooks).where(webhooks.c.account_id == account_id)
    return int((await conn.execute(query)).scalar_one())


async def change(conn: Connection, *, webhook_id: int, values: dict[str, Any]) -> None:
    """Update a webhook's columns."""
    await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))


async def remove(conn: Connection, *, webhook_id: int) -> None:
    """Delete a webhook with its deliveries (the foreign key does not cascade on SQLite
    without its pragma, so they are deleted here)."""
    await conn.execute(delete(deliveries).where(deliveries.c.webhook_id == webhook_id))
    await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))


def _deliveries_where(account_id: int, webhook_id: int | None, status: str | None) -> list[Any]:
    where: list[Any] = [deliveries.c.account_id == account_id]
    if webhook_id is not None:
        where.append(deliveries.c.webhook_id == webhook_id)
    if status is not None:
        where.append(deliveries.c.status == status)
    return where


async def deliveries_page(
    conn: Connection,
    *,
    account_id: int,
    webhook_id: int | None,
    status: str | None,
    count: int,
    offset: int,
    descending: bool,
) -> list[dict[str, Any]]:
    """A page of the account's deliveries, optionally of one webhook and one status."""
    order = deliveries.c.id.desc() if descending else deliveries.c.id
    rows = await conn.execute(
        select(deliveries)
        .where(*_deliveries_where(account_id, webhook_id, status))
        .order_by(order)
        .limit(count)
        .offset(offset)
    )
    return [dict(row._mapping) for row in rows]


async def deliveries_total(
    conn: Connection, *, account_id: int, webhook_id: int | None, status: str | None
) -> int:
    """How many deliveries match."""
    query = (
        select(func.count())
        .select_from(deliveries)
        .where(*_deliveries_where(account_id, webhook_id, status))
    )
    return int((await conn.execute(query)).scalar_one())


async def requeue(conn: Connection, *, account_id: int, delivery_id: int, now: datetime) -> bool:
    """Make one of the account's deliveries pending and due now; False when there is none."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.account_id == account_id)
        .values(status="pending", next_attempt_at=now, claimed_by=None, claimed_until=None)
    )
    return result.rowcount == 1
