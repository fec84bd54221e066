"""`onstream worker` (deliver queued mail) and `onstream outbox` (what is queued, sent, failed)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from onstream.cli.common import read_only
from onstream.config import load_settings
from onstream.mail.statuses import PENDING, SENT, STATUSES

if TYPE_CHECKING:
    from onstream.storage.database import Connection


def add_parser(sub: Any) -> None:
    """Register `worker` and `outbox`."""
    worker = sub.add_parser("worker", help="deliver queued e-mail and webhooks until stopped")
    worker.set_defaults(run=run_worker)
    box = sub.add_parser("outbox", help="show pending, sent and failed e-mail")
    box.add_argument("--status", choices=STATUSES)
    box.add_argument("--limit", type=int, default=20)
    box.set_defaults(run=run_outbox)


def run_worker(_args: argparse.Namespace) -> int:
    """Run one mail and one webhook delivery worker; several may share one database."""
    from onstream.mail.sender import sender_for
    from onstream.mail.worker import DeliveryWorker
    from onstream.scheduling import invitation_events
    from onstream.storage.database import open_database
    from onstream.storage.migrate import upgrade
    from onstream.webhooks.worker import WebhookWorker

    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    upgrade(settings.database_url)

    async def work() -> None:
        database = open_database(settings.database_url)
        worker = DeliveryWorker(
            database=database,
            sender=sender_for(settings),
            settings=settings,
            on_outcome=invitation_events.tell_webhooks,
        )
        hooks = WebhookWorker(database=database, poll_seconds=settings.mail_poll_seconds)
        loop = asyncio.get_running_loop()

        def stop() -> None:
            worker.stop()
            hooks.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await asyncio.gather(worker.run(), hooks.run())
        finally:
            await database.dispose()

    asyncio.run(work())
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    """Print the counts, then the newest messages."""
    from onstream.mail import outbox

    async def show(conn: Connection) -> tuple[dict[str, int], list[dict[str, object]]]:
        return await outbox.counts(conn), await outbox.recent(
            conn, status=args.status, limit=args.limit
        )

    counts, rows = read_only(load_settings().database_url, show)
    print("  ".join(f"{status}: {n}" for status, n in counts.items()))
    for row in rows:
        line = f"#{row['id']} {row['status']:<7} {row['kind']:<10} {row['recipient']}"
        line += f"  {row['subject']}"
        detail = f"attempts {row['attempts']}"
        if row["status"] == SENT:
            detail += f", sent {row['sent_at']:%Y-%m-%d %H:%M:%S}Z"
        elif row["status"] == PENDING:
            detail += f", next try {row['next_attempt_at']:%Y-%m-%d %H:%M:%S}Z"
        if row["last_error"]:
            detail += f", last error: {row['last_error']}"
        print(f"{line}\n    {detail}")
    return 0
