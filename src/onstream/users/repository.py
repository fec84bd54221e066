"""Queries on the `users` table. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from onstream.accounts import Account
from onstream.storage.database import Connection
from onstream.storage.upsert import insert_or_ignore
from onstream.users.tables import account_sessions, credential_epoch, users

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
