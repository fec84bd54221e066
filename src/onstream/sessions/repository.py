"""Queries on `sessions`. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from onstream.sessions.models import Session
from onstream.sessions.tables import sessions


async def by_id(conn: AsyncConnection, *, owner_id: int, session_id: int) -> Session | None:
    """The session with this id in this account, deleted or not."""
    query = select(sessions).where(sessions.c.id == session_id, sessions.c.owner_id == owner_id)
    row = (await conn.execute(query)).first()
    return Session.from_row(row) if row else None


def page_query(*, owner_id: int, count: int, offset: int, descending: bool) -> Select[Any]:
    """The query behind GET sessions; it walks the (owner_id, id) index, never the table."""
    order = sessions.c.id.desc() if descending else sessions.c.id.asc()
    return (
        select(sessions)
        .where(sessions.c.owner_id == owner_id, sessions.c.deleted_at.is_(None))
        .order_by(order)
        .limit(count)
        .offset(offset)
    )


async def page(
    conn: AsyncConnection, *, owner_id: int, count: int, offset: int, descending: bool
) -> list[Session]:
    """One page of the account's live sessions, ordered by id."""
    query = page_query(owner_id=owner_id, count=count, offset=offset, descending=descending)
    return [Session.from_row(row) for row in await conn.execute(query)]


async def access_code_in_use(conn: AsyncConnection, code: int) -> bool:
    """Whether a session already has this dial-in code."""
    return bool(await conn.scalar(select(exists().where(sessions.c.access_code == code))))


async def insert_session(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """Insert a session and return its id."""
    result = await conn.execute(insert(sessions).values(**values).returning(sessions.c.id))
    return int(result.scalar_one())


async def update_session(conn: AsyncConnection, session_id: int, values: dict[str, Any]) -> None:
    """Write changed columns of a session."""
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))


async def mark_deleted(
    conn: AsyncConnection, session_id: int, *, now: datetime, sequence: int
) -> None:
    """Delete a session, keeping its row for 410 answers and freeing its URL and code."""
    await update_session(
        conn,
        session_id,
        {
            "deleted_at": now,
            "updated_at": now,
            "friendly_url": None,
            "access_code": None,
            "sequence": sequence,
        },
    )
