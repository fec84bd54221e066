"""Rules for accounts: what a login, an e-mail and a password must be.

Functions take an open connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from onstream import timezones
from onstream.clock import utcnow
from onstream.errors import Invalid, Missing, Taken
from onstream.storage.database import Connection
from onstream.users import repository
from onstream.users.passwords import hash_password

LOGIN_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

RESERVED_LOGINS = frozenset(
    {
        "api",
        "play",
        "go",
        "account",
        "static",
        "health",
        "janus",
        "host",
        "room",
        "docs",
        "calendar",
    }
)
"""First path segments the web pages use; an account with such a login would shadow them."""

MIN_PASSWORD_LENGTH = 8


def check_login(login: str) -> str:
    """The login if it is usable in URLs and not reserved, else `Invalid`."""
    if not LOGIN_PATTERN.fullmatch(login):
        raise Invalid(
            "login must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if login.lower() in RESERVED_LOGINS:
        raise Invalid(f"login '{login}' is reserved for the server's own pages; choose another")
    return login


def normalize_email(email: str, *, field: str = "email") -> str:
    """The e-mail address in normalized form, or `Invalid` naming the field."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        # the validator's own sentence would be its text, not ours; one fixed sentence
        raise Invalid(f"{field} is not a valid e-mail address like name@example.com") from exc


def check_timezone(name: str, *, field: str = "timezone") -> str:
    """The time zone if known, else `Invalid` naming the field."""
    if not timezones.is_timezone(name):
        raise Invalid(f"{field} '{name}' is not {timezones.describe()}")
    return name


def check_password(password: str) -> str:
    """The password if it is long enough, else `Invalid`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
    return password


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
    check_timezone(timezone)
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
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    await repository.set_password_hash(
        conn, account_id=account.id, password_hash=hash_password(password), now=utcnow()
    )
    await repository.bump_credential_epoch(conn)
    return account.id
