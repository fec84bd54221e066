"""API tokens: named secrets an account sends as its HTTP Basic password instead of its
password, each either full or read-only, optionally expiring, revocable one by one.

A token is `ost_` followed by 43 URL-safe characters from `secrets` (256 random bits). Only
its SHA-256 is stored. A password needs a slow, salted hash (argon2id) because people
choose guessable ones; a 256-bit random token cannot be guessed or found in a dictionary,
so one fast hash is as safe for it as argon2 would be: whoever reads the table still has to
invert SHA-256. And a fast hash lets the server look a token up by its digest (an index)
and check it without any argon2 work, so tokens are cheap for scripts that call often.

The `ost_` prefix tells the authenticator which Basic passwords to look up as tokens
first; a password that merely looks like one is still checked as a password after.

For HTTP Digest (`protocol.digest`), which never sends the secret, the server must hold
H(login:realm:token) to check a response; for a 256-bit token that value cannot be inverted
to the token, so creation stores it for SHA-256 and MD5. Unlike the SHA-256 above, it does
answer Digest challenges for whoever reads it: after a database leak, revoke every token.
Passwords get no such value and so never work with Digest. The values name the login:
after a login rename they would no longer match (and cannot be recomputed without the
token), so the rename drops them and that account's existing tokens then work with Basic
only; tokens made before Digest existed have none either. `token list` tells which can.

Tokens are for the API only: the account center's sign-in checks the account password and
never accepts a token (a leaked integration token must not open the account's pages). The
account center's tokens page (`web.account.tokens`) and `onstream token` both call these.

Functions take an open connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from onstream.clock import utcnow
from onstream.errors import Invalid, Missing, Taken
from onstream.protocol.digest import secret_hash
from onstream.storage.database import Connection
from onstream.users import repository

PREFIX = "ost_"
TOKEN_PATTERN = re.compile(r"ost_[A-Za-z0-9_-]{43}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,63}")
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What `onstream token list` shows of a token: everything but the secret."""

    name: str
    created_at: datetime
    last_used_at: datetime | None
    read_only: bool
    expires_at: datetime | None
    digest: bool
    """Whether the token works with HTTP Digest too (made since migration 0009, and the
    account's login has not changed since)."""


def generate_token() -> str:
    """A new token: the prefix and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def looks_like_token(secret: str) -> bool:
    """Whether a Basic password has the shape of a token (worth a lookup by digest)."""
    return TOKEN_PATTERN.fullmatch(secret) is not None


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex (see the module's docstring)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    """The token name if usable, else `Invalid`."""
    if not NAME_PATTERN.fullmatch(name):
        raise Invalid(
            "token name must be 1-64 letters, digits, spaces, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


async def create_token(
    conn: Connection,
    *,
    login: str,
    name: str,
    read_only: bool = False,
    expires_days: int | None = None,
) -> str:
    """Create a token for the account and return it: the only time it is ever shown."""
    check_name(name)
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise Invalid(f"expiry must be 1-{MAX_DAYS} days")
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    account_id, stored_login = account.id, account.login
    now = utcnow()
    token = generate_token()
    try:
        await repository.insert_token(
            conn,
            account_id=account_id,
            name=name,
            token_hash=token_digest(token),
            digest_sha256=secret_hash("SHA-256", stored_login, token),
            digest_md5=secret_hash("MD5", stored_login, token),
            read_only=read_only,
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
    except IntegrityError as exc:
        raise Taken(f"account '{login}' already has a token named '{name}'") from exc
    return token


async def list_tokens(conn: Connection, *, login: str) -> list[TokenInfo]:
    """The account's tokens, oldest first, without their secrets."""
    rows = await repository.tokens_of(conn, await _account_id(conn, login))
    return [
        TokenInfo(
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            read_only=bool(row.read_only),
            expires_at=row.expires_at,
            digest=row.digest_sha256 is not None,
        )
        for row in rows
    ]


async def revoke_token(conn: Connection, *, login: str, name: str) -> None:
    """Delete the token and make every server process forget it within a second."""
    account_id = await _account_id(conn, login)
    if not await repository.delete_token(conn, account_id=account_id, name=name):
        raise Missing(f"account '{login}' has no token named '{name}'")
    await repository.bump_credential_epoch(conn)


async def _account_id(conn: Connection, login: str) -> int:
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    return account.id
