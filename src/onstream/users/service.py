"""Creating accounts and giving them new passwords, every field checked by `rules` first.

Functions take an open connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from onstream import timezones
from onstream.clock import utcnow
from onstream.errors import Missing, Taken
from onstream.storage.database import Connection
from onstream.users import repository
from onstream.users.passwords import hash_password
from onstream.users.rules import check_login, check_password, check_timezone, normalize_email


async def add_account(
    conn: Connection,
    *,
    login: str,
    email: str,
    password: str,
    timezone: str = "UTC",
    dst: bool = False,
    phone_bridge: bool = False,
) -> int:
    """Create an account after checking every field; `Taken` when the login exists."""
    check_login(login)
    email = normalize_email(email)
    timezone = check_timezone(timezone)
    dst = timezones.account_dst(timezone, dst)
    check_password(password)
    if await repository.login_taken(conn, login):
        raise Taken(f"login '{login}' is already taken")
    try:
        return await repository.insert_account(
            conn,
            login=login,
            email=email,
            password_hash=hash_password(password),
            timezone=timezone,
            dst=dst,
            phone_bridge=phone_bridge,
            now=utcnow(),
        )
    except IntegrityError as exc:  # a concurrent insert won the race; the caller rolls back
        raise Taken(f"login '{login}' is already taken") from exc


async def set_password(conn: Connection, *, login: str, password: str) -> int:
    """Give an account a new password; returns the account id, `Missing` when unknown."""
    check_password(password)
    return await set_password_hash(conn, login=login, password_hash=hash_password(password))


async def set_password_hash(conn: Connection, *, login: str, password_hash: str) -> int:
    """Give an account the password `password_hash` was made from (hashed by the caller,
    off the event loop); returns the account id, `Missing` when unknown."""
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    await repository.set_password_hash(
        conn, account_id=account.id, password_hash=password_hash, now=utcnow()
    )
    await repository.bump_credential_epoch(conn)
    return account.id
