"""The webhook worker: claims due deliveries, POSTs them signed, records what happened.

It runs inside `onstream serve` (with the mail worker, `ONSTREAM_MAIL_WORKER`) and in
`onstream worker`; any number may share one database, the leases keep them from delivering
one row twice at once. A 2xx answer marks the delivery delivered; anything else (a refused
connection, a timeout, another status, an address that is not allowed: `transport.py`) is
retried with exponential back-off and jitter, capped at an hour, for as long as it takes: a
delivery is never dropped, and its webhook shows `failing` with the last error until a
delivery succeeds again. Delivery is at least once: a worker that dies after the receiver
answered leaves the row to be sent again after its lease.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import ssl
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from onstream.background import Worker
from onstream.clock import utcnow
from onstream.storage.database import Database, transaction
from onstream.webhooks import outbox
from onstream.webhooks.events import SIGNATURE_HEADER, signature
from onstream.webhooks.targets import Network

if TYPE_CHECKING:
    # Imported when the first delivery is due: the HTTP client costs every server process
    # 6 MB, and most servers have no webhook at all.
    from onstream.webhooks.transport import Poster

log = logging.getLogger("onstream.webhooks")

BATCH = 50
RETRY_BASE_SECONDS = 10.0
RETRY_MAX_SECONDS = 3600.0

_jitter = random.Random()  # noqa: S311  # jitter, not a secret
"""A generator of its own: drawing from the `random` module's shared one would change the
state other code (and test generators such as Hypothesis) rely on, from a background task."""


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from 10 s to an
    hour, each drawn from its upper half so that receivers coming back are not stampeded."""
    ceiling = min(RETRY_BASE_SECONDS * 2 ** min(attempts, 20), RETRY_MAX_SECONDS)
    return float(ceiling * _jitter.uniform(0.5, 1.0))


class WebhookWorker(Worker):
    """Delivers webhook events until stopped."""

    label = "webhook delivery"

    def __init__(
        self,
        *,
        database: Database,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        lease_seconds: float = 60.0,
        allowed_networks: Sequence[Network] = (),
        public_addresses: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds, log=log)
        self._database = database
        self._networks = tuple(allowed_networks)  # ONSTREAM_WEBHOOK_ALLOWED_NETWORKS
        self._public = public_addresses  # ONSTREAM_WEBHOOK_PUBLIC
        self._ssl_context = ssl_context
        self._timeout = timeout_seconds
        self._lease = timedelta(seconds=max(lease_seconds, timeout_seconds * 2))
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._http: Poster | None = None

    async def round(self) -> bool:
        """One batch; more may be due at once when it was full."""
        return await self.deliver_due() >= BATCH

    async def close(self) -> None:
        """Close the HTTP client when the worker stops."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def deliver_due(self) -> int:
        """Deliver one batch of due events, concurrently (one per object); how many."""
        async with transaction(self._database, write=True) as conn:
            batch = await outbox.claim(conn, worker=self.name, lease=self._lease, limit=BATCH)
        if batch:
            client = self._client()
            await asyncio.gather(*(self._deliver(client, item) for item in batch))
        return len(batch)

    def _client(self) -> Poster:
        """The worker's HTTP client, made on the first delivery."""
        if self._http is None:
            from onstream.webhooks.transport import Poster

            self._http = Poster(
                networks=self._networks,
                public=self._public,
                timeout=self._timeout,
                ssl_context=self._ssl_context,
            )
        return self._http

    async def _deliver(self, client: Poster, item: outbox.Claimed) -> None:
        error = await self._post(client, item)
        try:
            async with transaction(self._database, write=True) as conn:
                if error is None:
                    await outbox.mark_delivered(conn, item, worker=self.name)
                else:
                    at = utcnow() + timedelta(seconds=retry_delay(item.attempts))
                    log.info("webhook delivery %s failed (%s); retrying at %s", item.id, error, at)
                    await outbox.mark_retry(conn, item, worker=self.name, error=error, at=at)
        except Exception:  # the row comes back after its lease; it is logged
            log.exception("recording webhook delivery %s failed", item.id)

    async def _post(self, client: Poster, item: outbox.Claimed) -> str | None:
        """POST the event; None when the receiver answered 2xx, else what went wrong (a
        category: `transport.failure_category`)."""
        stamp = int(utcnow().replace(tzinfo=UTC).timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Onstream-Webhooks/1",
            SIGNATURE_HEADER: signature(item.secret, stamp, item.body),
        }
        return await client.post(item.url, headers=headers, body=item.body)
