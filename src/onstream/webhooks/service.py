"""Adding, changing, reading and deleting webhooks: a URL that reaches a public address, a
secret made here, at most so many per account; each field checked by `rules`.

No HTTP: the routes turn these results into documents and domain errors into 400 and 404.
Where a URL's host points is checked by `check_url` before the request's transaction (a DNS
lookup may take seconds, which the database's write lock should not wait for); `add` and
`update` check its syntax again, and every delivery checks its address again.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Invalid, Missing
from onstream.storage.database import Connection
from onstream.webhooks import repository, rules, targets
from onstream.webhooks.models import WebhookInput
from onstream.webhooks.targets import Network

PER_ACCOUNT = 20
"""The default of ONSTREAM_WEBHOOKS_PER_ACCOUNT: each webhook gets every event of its kinds,
so an account with thousands would multiply every write's rows by thousands."""


async def check_url(
    url: str | None, *, networks: Sequence[Network], public: bool = True
) -> Invalid | None:
    """Why this URL may not be a webhook's (its syntax, or a host that resolves to an
    address that is neither public nor in `networks`), or None. Returned, not raised, so
    that POST can first say that the webhook does not exist."""
    if url is None:
        return None
    try:
        await targets.check_url(url, networks, public=public)
    except Invalid as refusal:
        return refusal
    return None


async def add(
    conn: Connection, owner: Account, data: WebhookInput, *, limit: int = PER_ACCOUNT
) -> tuple[int, str]:
    """A new webhook; its id and its signing secret (shown to the caller this once). The
    count and the insert are one transaction, the account locked (PostgreSQL) or the
    database's writer lock held (SQLite), so creations in parallel cannot pass `limit`."""
    if data.url is None or data.events is None:
        raise Invalid("url and events are required")
    url, events = rules.check_url_syntax(data.url), rules.check_events(data.events)
    await repository.lock_account(conn, account_id=owner.id)
    if await repository.total(conn, account_id=owner.id) >= limit:
        raise Invalid(
            f"An account may have at most {limit} webhooks; delete one before adding another"
        )
    secret = "whsec_" + secrets.token_hex(24)
    now = utcnow()
    webhook_id = await repository.add(
        conn,
        {
            "account_id": owner.id,
            "url": url,
            "events": events,
            "secret": secret,
            "active": True if data.active is None else data.active,
            "status": "ok",
            "created_at": now,
            "updated_at": now,
        },
    )
    return webhook_id, secret


async def get(conn: Connection, owner: Account, webhook_id: int) -> dict[str, Any]:
    """One webhook of this account; `Missing` (404) for any other."""
    found = await repository.by_id(conn, account_id=owner.id, webhook_id=webhook_id)
    if found is None:
        raise Missing(f"Webhook {webhook_id} does not exist")
    return found


async def update(conn: Connection, owner: Account, webhook_id: int, data: WebhookInput) -> None:
    """Change the fields given, all checked before anything is written."""
    await get(conn, owner, webhook_id)
    values: dict[str, Any] = {}
    if data.url is not None:
        values["url"] = rules.check_url_syntax(data.url)
    if data.events is not None:
        values["events"] = rules.check_events(data.events)
    if data.active is not None:
        values["active"] = data.active
    values["updated_at"] = utcnow()
    await repository.change(conn, webhook_id=webhook_id, values=values)


async def delete(conn: Connection, owner: Account, webhook_id: int) -> None:
    """Delete a webhook and its deliveries, pending ones included."""
    await get(conn, owner, webhook_id)
    await repository.remove(conn, webhook_id=webhook_id)


async def redeliver(conn: Connection, owner: Account, delivery_id: int) -> None:
    """Send a delivery again now, whatever became of it; `Missing` for another account's."""
    if not await repository.requeue(
        conn, account_id=owner.id, delivery_id=delivery_id, now=utcnow()
    ):
        raise Missing(f"Webhook delivery {delivery_id} does not exist")
