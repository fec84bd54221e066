"""The delivery worker: claims due outbox rows, sends them, records what happened.

It runs inside `onstream serve` by default and alone as `onstream worker`, and any number of
them may share one database. A message is marked sent right after the SMTP server accepted
it; if the process dies between the two, the lease expires and the message is sent again:
delivery is at least once, and a message recorded as sent is never sent again.
Failed attempts are retried with exponential back-off until `mail_give_up_seconds` after the
message was queued; then, or at once for a permanent (5xx) refusal, it is marked failed with
the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from onstream.background import Worker
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.mail import outbox
from onstream.mail.sender import DeliveryError, PermanentFailure, Sender
from onstream.mail.statuses import SENT
from onstream.metrics import DELIVERY_FAILURES
from onstream.storage.database import Connection, Database, transaction

log = logging.getLogger("onstream.mail")

BATCH = 50
RECORD_TRIES = 6

OutcomeHook = Callable[[Connection, outbox.Claimed, str | None], Awaitable[None]]
"""Told, in the transaction that records it, that a message was sent (None) or given up
(the reason): the webhooks' `invitation.sent` and `invitation.failed` come from here."""


class DeliveryWorker(Worker):
    """Sends queued mail until stopped; `wake()` makes it look at the outbox at once."""

    label = "mail delivery"

    def __init__(
        self,
        *,
        database: Database,
        sender: Sender,
        settings: Settings,
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        super().__init__(poll_seconds=settings.mail_poll_seconds, log=log)
        self._database = database
        self._on_outcome = on_outcome
        self._sender = sender
        self._settings = settings
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    async def round(self) -> bool:
        """One batch; more may be due at once when it was full."""
        taken = await self.deliver_due()
        if taken == 0:
            await self._sender.close()  # idle: do not hold the SMTP connection open
        return taken >= BATCH

    async def close(self) -> None:
        """Close the SMTP connection when the worker stops."""
        await self._sender.close()

    async def deliver_due(self) -> int:
        """Send one batch of due messages; how many were taken."""
        lease = timedelta(seconds=self._settings.mail_lease_seconds)
        async with transaction(self._database, write=True) as conn:
            batch = await outbox.claim(conn, worker=self.name, lease=lease, limit=BATCH)
        for item in batch:
            if self.stopping:
                break
            try:
                await self._deliver(item)
            except Exception:  # one message's trouble must not strand the rest of the batch
                log.exception("delivering message %s failed; it returns after its lease", item.id)
        return len(batch)

    async def _deliver(self, item: outbox.Claimed) -> None:
        try:
            await self._sender.send(item)
        except DeliveryError as exc:
            await self._record_failure(item, exc)
            return
        await self._record_sent(item)

    async def _record_sent(self, item: outbox.Claimed) -> None:
        """Record the send, retrying when the database is busy: an unrecorded send would be
        sent again once its lease runs out."""
        for attempt in range(RECORD_TRIES):
            try:
                async with transaction(self._database, write=True) as conn:
                    status = getattr(self._sender, "records_as", SENT)
                    sent = await outbox.mark_sent(
                        conn, message_id=item.id, worker=self.name, status=status
                    )
                    if not sent:
                        log.warning("message %s was sent after its lease ran out", item.id)
                    elif self._on_outcome is not None:
                        await self._on_outcome(conn, item, None)
                return
            except DBAPIError as exc:
                if attempt == RECORD_TRIES - 1:
                    raise
                log.warning("recording message %s as sent failed (%s); retrying", item.id, exc)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _record_failure(self, item: outbox.Claimed, exc: DeliveryError) -> None:
        now = utcnow()
        delay = min(
            self._settings.mail_retry_seconds * 2**item.attempts,
            self._settings.mail_retry_max_seconds,
        )
        retry_at = now + timedelta(seconds=delay)
        give_up_at = item.created_at + timedelta(seconds=self._settings.mail_give_up_seconds)
        async with transaction(self._database, write=True) as conn:
            if isinstance(exc, PermanentFailure) or retry_at > give_up_at:
                DELIVERY_FAILURES.labels("failed").inc()
                log.warning("giving up on message %s: %s", item.id, exc)
                await outbox.mark_failed(conn, message_id=item.id, worker=self.name, error=str(exc))
                if self._on_outcome is not None:
                    await self._on_outcome(conn, item, str(exc))
            else:
                DELIVERY_FAILURES.labels("retry").inc()
                log.info("message %s failed (%s); retrying at %s", item.id, exc, retry_at)
                await outbox.mark_retry(
                    conn, message_id=item.id, worker=self.name, error=str(exc), at=retry_at
                )
