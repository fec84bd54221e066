"""Queries on the `api_tokens` table. Functions take a connection and never commit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from onstream.accounts import Account
from onstream.storage.database import Connection
from onstream.users import repository
from onstream.users.tables import api_tokens, digest_nonce_counts


async def insert_token(
    conn: Connection,
    *,
    account_id: int,
    name: str,
    token_hash: str,
    digest_sha256: str,
    digest_md5: str,
    read_only: bool,
    created_at: datetime,
    expires_at: datetime | None,
) -> None:
    """Store a token's digests; `IntegrityError` when the account has the name already."""
    await conn.execute(
        insert(api_tokens).values(
            account_id=account_id,
            name=name,
            token_hash=token_hash,
            digest_sha256=digest_sha256,
            digest_md5=digest_md5,
            read_only=read_only,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def tokens_of(conn: Connection, account_id: int) -> list[Any]:
    """The account's token rows, oldest first."""
    query = select(api_tokens).where(api_tokens.c.account_id == account_id)
    return list((await conn.execute(query.order_by(api_tokens.c.id))).all())


async def delete_token(conn: Connection, *, account_id: int, name: str) -> bool:
    """Delete the account's token of this name; whether there was one."""
    result = await conn.execute(
        delete(api_tokens).where(api_tokens.c.account_id == account_id, api_tokens.c.name == name)
    )
    return bool(result.rowcount)


async def account_by_token(
    conn: Connection, *, login: str, token_hash: str, now: datetime
) -> tuple[Account, datetime | None] | None:
    """The account (read-only when the token is) and the token's expiry, when the token with
    this digest belongs to this login and has not expired; else None."""
    row = (
        await conn.execute(
            select(api_tokens.c.account_id, api_tokens.c.read_only, api_tokens.c.expires_at).where(
                api_tokens.c.token_hash == token_hash
            )
        )
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    account = await repository.account_by_login(conn, login)
    if account is None or account.id != row.account_id:
        return None
    return replace(account, read_only=bool(row.read_only)), row.expires_at


async def touch_token(conn: Connection, *, token_hash: str, now: datetime) -> None:
    """Record that the token was used now."""
    await conn.execute(
        update(api_tokens).where(api_tokens.c.token_hash == token_hash).values(last_used_at=now)
    )


@dataclass(frozen=True, slots=True)
class DigestToken:
    """What checking a Digest response needs of one live token."""

    token_hash: str
    secret_hash: str
    """H(login:realm:token) in the algorithm asked for."""
    read_only: bool
    expires_at: datetime | None


async def digest_tokens(
    conn: Connection, *, account_id: int, algorithm: str, now: datetime
) -> list[DigestToken]:
    """The account's unexpired tokens that have a Digest hash of this algorithm."""
    column = api_tokens.c.digest_sha256 if algorithm == "SHA-256" else api_tokens.c.digest_md5
    rows = await conn.execute(
        select(
            api_tokens.c.token_hash, column, api_tokens.c.read_only, api_tokens.c.expires_at
        ).where(api_tokens.c.account_id == account_id, column.is_not(None))
    )
    return [
        DigestToken(row[0], row[1], bool(row[2]), row[3])
        for row in rows
        if row[3] is None or row[3] > now
    ]


async def use_nonce_count(conn: Connection, *, nonce: str, nc: str, expires_at: datetime) -> None:
    """Record that a Digest request used this (nonce, nc); `IntegrityError` when one already
    had (the transaction is then unusable: run this in a transaction of its own)."""
    await conn.execute(
        insert(digest_nonce_counts).values(nonce=nonce, nc=nc, expires_at=expires_at)
    )


async def purge_nonce_counts(conn: Connection, *, now: datetime) -> None:
    """Forget the pairs of expired nonces (a replay of those is refused as stale anyway)."""
    await conn.execute(delete(digest_nonce_counts).where(digest_nonce_counts.c.expires_at < now))


async def forget_digest_hashes(conn: Connection, *, account_id: int) -> None:
    """Drop the account's tokens' Digest hashes (its login changed: they name the old one,
    and without the tokens they cannot be recomputed). The tokens keep working with Basic."""
    await conn.execute(
        update(api_tokens)
        .where(api_tokens.c.account_id == account_id)
        .values(digest_sha256=None, digest_md5=None)
    )
