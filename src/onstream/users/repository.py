"""Queries on the tables of `users/`: accounts and the people they invite (`users`), their
signed-in browsers (`account_sessions`), e-mail confirmations, API tokens and the Digest
nonce counts. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from onstream.accounts import Account
from onstream.storage.database import Connection
from onstream.storage.upsert import insert_or_ignore
from onstream.users.tables import (
    account_sessions,
    api_tokens,
    credential_epoch,
    digest_nonce_counts,
    email_confirmations,
    users,
)

_ACCOUNT_COLUMNS = (
    users.c.id,
    users.c.login,
    users.c.email,
    users.c.password_hash,
    users.c.timezone,
    users.c.dst,
    users.c.phone_bridge,
    users.c.disabled_at,
)


async def account_by_login(conn: Connection, login: str) -> Account | None:
    """The account with this login, or None."""
    row = (
        await conn.execute(
            select(*_ACCOUNT_COLUMNS).where(users.c.login == login, users.c.owner_id.is_(None))
        )
    ).first()
    if row is None:
        return None
    return Account(
        id=row.id,
        login=row.login,
        email=row.email,
        password_hash=row.password_hash,
        timezone=row.timezone,
        dst=bool(row.dst),
        phone_bridge=bool(row.phone_bridge),
        disabled=row.disabled_at is not None,
    )


async def account_by_login_ignoring_case(conn: Connection, login: str) -> Account | None:
    """The account whose login is this one in any case (logins are unique without regard to
    case, see `tables.users`), or None."""
    query = select(users.c.login).where(
        func.lower(users.c.login) == login.lower(), users.c.owner_id.is_(None)
    )
    stored = (await conn.execute(query.limit(1))).scalar()
    return None if stored is None else await account_by_login(conn, stored)


async def login_taken(conn: Connection, login: str, *, except_id: int | None = None) -> bool:
    """Whether an account other than `except_id` has this login in any case (`Jdoe` is
    taken when `jdoe` exists: two logins differing only in case would be mistaken for one
    another by people, and the unique index on lower(login) refuses them anyway)."""
    query = select(users.c.id).where(
        func.lower(users.c.login) == login.lower(), users.c.owner_id.is_(None)
    )
    if except_id is not None:
        query = query.where(users.c.id != except_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def count_accounts(conn: Connection) -> int:
    """How many accounts (not invited people) the database holds."""
    query = select(func.count()).select_from(users).where(users.c.owner_id.is_(None))
    return int((await conn.execute(query)).scalar_one())


async def insert_account(
    conn: Connection,
    *,
    login: str,
    email: str,
    password_hash: str,
    timezone: str,
    dst: bool,
    phone_bridge: bool,
    now: datetime,
) -> int:
    """Insert an account row and return its id; the operator's address counts as verified."""
    result = await conn.execute(
        insert(users)
        .values(
            login=login,
            email=email,
            email_key=email.lower(),
            password_hash=password_hash,
            timezone=timezone,
            dst=dst,
            phone_bridge=phone_bridge,
            email_verified=True,
            created_at=now,
            updated_at=now,
        )
        .returning(users.c.id)
    )
    return int(result.scalar_one())


async def set_password_hash(
    conn: Connection, *, account_id: int, password_hash: str, now: datetime
) -> None:
    """Replace an account's password hash, and sign the account out of every browser: this
    is the one writer of `password_hash`, so every way of changing a password (the command
    line, the API, the settings page) ends the account center's sessions with it."""
    await conn.execute(
        update(users)
        .where(users.c.id == account_id)
        .values(password_hash=password_hash, updated_at=now)
    )
    await conn.execute(delete(account_sessions).where(account_sessions.c.account_id == account_id))


async def credential_epoch_value(conn: Connection) -> int:
    """The current credential epoch (see `tables.credential_epoch`)."""
    query = select(credential_epoch.c.value).where(credential_epoch.c.id == 1)
    return int((await conn.execute(query)).scalar_one())


async def bump_credential_epoch(conn: Connection) -> None:
    """Tell every server process to forget the credentials it verified."""
    await conn.execute(
        update(credential_epoch)
        .where(credential_epoch.c.id == 1)
        .values(value=credential_epoch.c.value + 1)
    )


async def user_of_account(conn: Connection, *, account_id: int, user_id: int) -> Any:
    """The row of the account itself or of one of its people, or None."""
    query = select(users).where(
        users.c.id == user_id, (users.c.owner_id == account_id) | (users.c.id == account_id)
    )
    return (await conn.execute(query)).first()


async def person_by_email(conn: Connection, *, account_id: int, email_key: str) -> Any:
    """The row of the account's person with this (lower-cased) e-mail address, or None."""
    query = select(users).where(users.c.owner_id == account_id, users.c.email_key == email_key)
    return (await conn.execute(query)).first()


async def people_by_email_keys(
    conn: Connection, *, account_id: int, email_keys: Collection[str]
) -> dict[str, Any]:
    """The account's people with these (lower-cased) addresses, by address: one query for
    all the invitees of a request, not one each."""
    if not email_keys:
        return {}
    query = select(users).where(
        users.c.owner_id == account_id, users.c.email_key.in_(list(email_keys))
    )
    return {row.email_key: row for row in await conn.execute(query)}


async def insert_people_unless_present(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert people in one executemany; an address that a concurrent transaction added
    first is left as it is (find them afterwards with `people_by_email_keys`)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect_name == "postgresql" else sqlite
    statement = dialect.insert(users).on_conflict_do_nothing(
        index_elements=["owner_id", "email_key"]
    )
    await conn.execute(statement, rows)


async def names_of(conn: Connection, user_ids: Collection[int]) -> dict[int, Any]:
    """(id, email, first_name, last_name) of these users, by id."""
    if not user_ids:
        return {}
    query = select(users.c.id, users.c.email, users.c.first_name, users.c.last_name).where(
        users.c.id.in_(list(user_ids))
    )
    return {row.id: row for row in await conn.execute(query)}


async def insert_person(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a person; `IntegrityError` when the account already has the address."""
    result = await conn.execute(insert(users).values(**values).returning(users.c.id))
    return int(result.scalar_one())


async def insert_person_unless_present(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert a person unless a concurrent transaction added the address first (None then)."""
    return await insert_or_ignore(conn, users, values, conflict=("owner_id", "email_key"))


async def update_user(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    """Set these columns of one user row."""
    await conn.execute(update(users).where(users.c.id == user_id).values(**values))


# --- signed-in browsers (account_sessions) ------------------------------------------------


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


async def delete_expired_sessions(
    conn: Connection, *, idle_before: datetime, created_before: datetime
) -> None:
    """Forget every session idle since `idle_before` or opened before `created_before`."""
    await conn.execute(
        delete(account_sessions).where(
            (account_sessions.c.last_seen_at < idle_before)
            | (account_sessions.c.created_at < created_before)
        )
    )


# --- e-mail confirmations ----------------------------------------------------------------


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


async def void_unused_confirmations(conn: Connection, *, account_id: int) -> None:
    """Forget the account's links that were not used: a newer address replaces them."""
    await conn.execute(
        delete(email_confirmations).where(
            email_confirmations.c.account_id == account_id,
            email_confirmations.c.used_at.is_(None),
        )
    )


async def confirmation_by_token_hash(conn: Connection, token_hash: str) -> Any:
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


async def mark_confirmation_used(conn: Connection, *, confirmation_id: int, now: datetime) -> bool:
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


# --- API tokens and Digest nonce counts --------------------------------------------------


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
    account = await account_by_login(conn, login)
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
