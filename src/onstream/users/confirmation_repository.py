"""Queries on `email_confirmations` and the account's verified flag. Functions take a
connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from onstream.storage.database import Connection
from onstream.users.tables import email_confirmations, users


async def insert_confirmation(
    conn: Connection,
    *,
    account_id: int,
    email: str,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    """Record a mailed link; returns its row id."""
    result = await conn.execute(
        insert(email_confirmations)
        .values(
            account_id=account_id,
            email=email,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(email_confirmations.c.id)
    )
    return int(result.scalar_one())


async def void_unused(conn: Connection, *, account_id: int) -> None:
    """Forget the account's links that were not used: a newer address replaces them."""
    await conn.execute(
        delete(email_confirmations).where(
            email_confirmations.c.account_id == account_id,
            email_confirmations.c.used_at.is_(None),
        )
    )


async def by_token_hash(conn: Connection, token_hash: str) -> Any:
    """The link with this token digest and its account's login and current address, or None."""
    query = (
        select(
            email_confirmations.c.id,
            email_confirmations.c.account_id,
            email_confirmations.c.email,
            email_confirmations.c.expires_at,
            email_confirmations.c.used_at,
            users.c.login,
            users.c.email.label("current_email"),
        )
        .join(users, users.c.id == email_confirmations.c.account_id)
        .where(email_confirmations.c.token_hash == token_hash)
    )
    return (await conn.execute(query)).first()


async def mark_used(conn: Connection, *, confirmation_id: int, now: datetime) -> bool:
    """Use a link once; False when another request used it first."""
    result = await conn.execute(
        update(email_confirmations)
        .where(email_confirmations.c.id == confirmation_id, email_confirmations.c.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


async def mark_verified(conn: Connection, *, account_id: int, email: str, now: datetime) -> bool:
    """Mark the account's address verified if it still is `email`; whether it was."""
    result = await conn.execute(
        update(users)
        .where(users.c.id == account_id, users.c.owner_id.is_(None), users.c.email == email)
        .values(email_verified=True, updated_at=now)
    )
    return result.rowcount == 1
