"""Signing in to the account center with the login and the password, never an API token.

A signed-in browser holds a random secret in a cookie; the database keeps only its SHA-256
(a 256-bit random secret needs no slow hash, see `users.tokens`), so whoever reads the table
cannot sign in. A session ends after `IDLE` without a request or `ABSOLUTE` after sign-in,
whichever comes first (docs/decisions.md), on sign-out, and for every browser of the account
when its password changes (`repository.set_password_hash` deletes them all).

Only the account's password hash is checked here: a token (`users.tokens`) is a secret for
scripts and must not open the account's pages, and it never matches an argon2 hash.

Functions take an open connection inside the caller's transaction and never commit; the
argon2 check runs in the process's bounded pool of password checks (`verify`), the same as
the API's, and is counted like the API's (`web.account.guessing`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Invalid
from onstream.services import PasswordChecker
from onstream.storage.database import Connection
from onstream.users import repository, service
from onstream.users.rules import check_password

IDLE = timedelta(days=14)
ABSOLUTE = timedelta(days=30)
TOUCH_EVERY = timedelta(hours=1)
"""`last_seen_at` is written at most this often: a page view is then a read, not a write."""

WRONG = "Wrong login or password"
"""The API's words for a refused sign-in, whichever of the two was wrong."""
"""Told only to whoever gave the right password: a disabled account signs in nowhere."""


def secret_hash(secret: str) -> str:
    """The stored form of a cookie's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def new_password_hash(checks: PasswordChecker, password: str) -> str:
    """The hash of a new password made in the pool of checks, not on the event loop;
    `Invalid` for a password too short, `Busy` when the pool is full."""
    return await checks.hash(check_password(password))


async def verify(checks: PasswordChecker, account: Account | None, password: str) -> bool:
    """Whether the password is the account's (an unknown account costs the same time);
    `Busy` when the pool of checks is full."""
    stored = account.password_hash if account else None
    return await checks.verify(stored, password)


async def account_for(conn: Connection, login: str) -> Account | None:
    """The account this login names, in any case."""
    return await repository.account_by_login_ignoring_case(conn, login.strip())


async def open_session(conn: Connection, account: Account) -> str:
    """Sign a browser in; returns the secret its cookie carries."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    await repository.delete_expired_sessions(
        conn, idle_before=now - IDLE, created_before=now - ABSOLUTE
    )
    await repository.insert_session(
        conn, secret_hash=secret_hash(secret), account_id=account.id, now=now
    )
    return secret


def alive(created: datetime, last_seen: datetime, now: datetime) -> bool:
    """Whether a session opened at `created` and last seen at `last_seen` is still valid."""
    return now - last_seen < IDLE and now - created < ABSOLUTE


async def session_account(conn: Connection, secret: str) -> tuple[Account, bool] | None:
    """The account a live session's secret signs in, and whether its last-seen time should
    be written (`touch`); None for an unknown, expired or signed-out secret."""
    found = await repository.session_by_hash(conn, secret_hash(secret))
    if found is None:
        return None
    account_id, created, last_seen = found
    now = utcnow()
    if not alive(created, last_seen, now):
        return None
    row = await repository.user_of_account(conn, account_id=account_id, user_id=account_id)
    account = await repository.account_by_login(conn, row.login) if row else None
    if account is None or account.disabled:  # a disabled account's browsers are signed out
        return None
    return account, now - last_seen >= TOUCH_EVERY


async def touch(conn: Connection, secret: str) -> None:
    """Restart a session's idle expiry."""
    await repository.touch_session(conn, secret_hash=secret_hash(secret), now=utcnow())


async def close_session(conn: Connection, secret: str) -> None:
    """Sign one browser out."""
    await repository.delete_session(conn, secret_hash(secret))


async def change_password(
    conn: Connection,
    account: Account,
    *,
    current: str,
    new: str,
    current_ok: bool,
    new_hash: str | None,
) -> None:
    """Set a new password once the current one was verified (`current_ok`, from `verify`)
    and the new one hashed (`new_hash`, from `new_password_hash`), both before the write
    transaction; every session of the account ends with it."""
    if not current:
        raise Invalid("current_password is required")
    if not current_ok:
        raise Invalid("current_password is wrong")
    check_password(new)
    assert new_hash is not None  # a valid new password after a right current one
    await service.set_password_hash(conn, login=account.login, password_hash=new_hash)
