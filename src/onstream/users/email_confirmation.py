"""Confirming an account's new e-mail address with a link mailed to it (CONTRACT §6a).

An address matches invitations (registered invitees, the zone of invitation e-mails) only
once it is verified: otherwise anybody could set another person's address on their own
account and read the sessions that person is invited to. The operator's address
(`onstream user add`) is verified; `POST user` with a new address stores it unverified and
queues a message through the outbox with a link `/account/email/{token}`.

The token is 256 random bits; only its SHA-256 is stored. A link works once, for
`LIFETIME`, and only while the account still has the address it was sent to; a newer
address voids the older links. Opening it shows a page with a button: the GET changes
nothing (mail scanners fetch links), the POST confirms.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.mail import messages, outbox
from onstream.storage.database import Connection
from onstream.users import repository

LIFETIME = timedelta(hours=72)
"""Longer than the outbox keeps retrying (two days), so a late delivery still works."""
TEMPLATE = "confirm_email"
PATH = "/account/email/"


class LinkState(Enum):
    """What a confirmation link can do now."""

    VALID = "valid"
    UNKNOWN = "unknown"
    """Never issued, or voided by a newer address or a change of the account's address."""
    EXPIRED = "expired"
    USED = "used"
    CONFIRMED = "confirmed"
    """This request confirmed the address."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link's state, and the address and login it is about (empty when unknown)."""

    state: LinkState
    email: str = ""
    login: str = ""


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def link_for(settings: Settings, token: str) -> str:
    """`{base_url}/account/email/{token}`."""
    return f"{settings.public_base_url}{PATH}{token}"


async def request(
    conn: Connection, *, settings: Settings, account_id: int, login: str, email: str, name: str
) -> str:
    """Void the account's older links, issue one for `email` and queue the message.

    Runs in the caller's transaction: the message exists exactly when the change committed.
    Returns the token (the caller never needs it; tests of the service do)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + LIFETIME
    await repository.void_unused_confirmations(conn, account_id=account_id)
    await repository.insert_confirmation(
        conn,
        account_id=account_id,
        email=email,
        token_hash=token_hash(token),
        now=now,
        expires_at=expires_at,
    )
    context: dict[str, object] = {
        "name": name or login,
        "login": login,
        "link": link_for(settings, token),
        "expires": f"{expires_at:%A, %d %B %Y, %H:%M} UTC",
    }
    message = messages.build_notice(
        TEMPLATE,
        context,
        recipient_email=email,
        recipient_name=name,
        sender=settings.mail_from,
        now=now,
    )
    await outbox.enqueue(conn, kind=TEMPLATE, session_id=None, message=message)
    return token


def _link(row: Any) -> Link:
    if row is None or row.current_email != row.email:
        return Link(LinkState.UNKNOWN)
    if row.used_at is not None:
        return Link(LinkState.USED, row.email, row.login)
    if row.expires_at <= utcnow():
        return Link(LinkState.EXPIRED, row.email, row.login)
    return Link(LinkState.VALID, row.email, row.login)


async def look(conn: Connection, token: str) -> Link:
    """What the link can do, changing nothing (the page's GET)."""
    return _link(await repository.confirmation_by_token_hash(conn, token_hash(token)))


async def confirm(conn: Connection, token: str) -> Link:
    """Use the link: verify its address if it still can (the page's POST, one write)."""
    row = await repository.confirmation_by_token_hash(conn, token_hash(token))
    found = _link(row)
    if found.state is not LinkState.VALID:
        return found
    now = utcnow()
    if not await repository.mark_confirmation_used(conn, confirmation_id=row.id, now=now):
        return Link(LinkState.USED, row.email, row.login)
    await repository.mark_verified(conn, account_id=row.account_id, email=row.email, now=now)
    return Link(LinkState.CONFIRMED, row.email, row.login)
