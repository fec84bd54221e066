"""An account's private calendar feed: a secret address a calendar client subscribes to.

The address, `{base_url}/calendar/{token}.ics`, carries a random token and no credentials,
because calendar clients cannot send them. So the token is the only key: an account turns
the feed on or makes a new link (the old address stops at once) and turns it off again,
through the API's `calendar_feed` resource or the account center's settings page.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.storage.database import Connection
from onstream.users.repository import account_by_login
from onstream.users.tables import calendar_feeds, users

PATH = "/calendar"
SUFFIX = ".ics"
TOKEN_BYTES = 24


def feed_url(base_url: str, token: str) -> str:
    """The address a calendar client subscribes to."""
    return f"{base_url}{PATH}/{token}{SUFFIX}"


async def current(conn: Connection, account_id: int) -> str | None:
    """The account's feed token, or None while the feed is off."""
    query = select(calendar_feeds.c.token).where(calendar_feeds.c.account_id == account_id)
    token = (await conn.execute(query)).scalar()
    return None if token is None else str(token)


async def renew(conn: Connection, account_id: int) -> str:
    """Turn the feed on with a new token; the previous address, if any, stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await turn_off(conn, account_id)
    await conn.execute(
        insert(calendar_feeds).values(account_id=account_id, token=token, created_at=utcnow())
    )
    return token


async def turn_off(conn: Connection, account_id: int) -> None:
    """Turn the feed off: its address answers 404 from now on."""
    await conn.execute(delete(calendar_feeds).where(calendar_feeds.c.account_id == account_id))


async def account_of(conn: Connection, token: str) -> Account | None:
    """The account whose feed this token opens, or None (unknown, renewed or turned off, or
    its account disabled)."""
    if not token or len(token) > 64:
        return None
    query = (
        select(users.c.login)
        .select_from(calendar_feeds.join(users, users.c.id == calendar_feeds.c.account_id))
        # a disabled account's feed is not found (`users.enabled`)
        .where(calendar_feeds.c.token == token, users.c.disabled_at.is_(None))
    )
    login = (await conn.execute(query)).scalar()
    return None if login is None else await account_by_login(conn, str(login))
