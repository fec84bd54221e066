"""Queries on `account_sessions`. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from onstream.storage.database import Connection
from onstream.users.tables import account_sessions


async def insert_session(
    conn: Connection, *, secret_hash: str, account_id: int, now: datetime
) -> None:
    """Record a new signed-in browser."""
    await conn.execute(
        insert(account_sessions).values(
            secret_hash=secret_hash, account_id=account_id, created_at=now, last_seen_at=now
        )
    )


async def session_by_hash(
    conn: Connection, secret_hash: str
) -> tuple[int, datetime, datetime] | None:
    """(account id, created, last seen) of the session with this secret hash, or None."""
    query = select(
        account_sessions.c.account_id,
        account_sessions.c.created_at,
        account_sessions.c.last_seen_at,
    ).where(account_sessions.c.secret_hash == secret_hash)
    row = (await conn.execute(query)).first()
    return None if row is None else (row.account_id, row.created_at, row.last_seen_at)


async def touch_session(conn: Connection, *, secret_hash: str, now: datetime) -> None:
    """Note that the browser was seen now (the idle expiry starts again)."""
    await conn.execute(
        update(account_sessions)
        .where(account_sessions.c.secret_hash == secret_hash)
        .values(last_seen_at=now)
    )


async def delete_session(conn: Connection, secret_hash: str) -> None:
    """Forget one signed-in browser."""
    await conn.execute(
        delete(account_sessions).where(account_sessions.c.secret_hash == secret_hash)
    )


async def delete_expired(
    conn: Connection, *, idle_before: datetime, created_before: datetime
) -> None:
    """Forget every session idle since `idle_before` or opened before `created_before`."""
    await conn.execute(
        delete(account_sessions).where(
            (account_sessions.c.last_seen_at < idle_before)
            | (account_sessions.c.created_at < created_before)
        )
    )
