"""`onstream worker` (deliver queued mail) and `onstream outbox` (what is queued, sent, failed)."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import TYPE_CHECKING, Any

from onstream import logs
from onstream.cli.common import in_transaction, read_only, run_async
from onstream.config import Settings, load_settings
from onstream.mail.statuses import DONE, PENDING, STATUSES

if TYPE_CHECKING:
    from onstream.storage.database import Connection

log = logging.getLogger("onstream.worker")


def add_parser(sub: Any) -> None:
    """Register `worker` and `outbox`."""
    worker = sub.add_parser("worker", help="deliver queued e-mail and webhooks until stopped")
    worker.set_defaults(run=run_worker)
    box = sub.add_parser("outbox", help="show pending, sent and failed e-mail")
    box.add_argument("--status", choices=STATUSES)
    box.add_argument("--limit", type=int, default=20)
    box.set_defaults(run=run_outbox)
    box_sub = box.add_subparsers(dest="outbox_command", metavar="COMMAND")
    again = box_sub.add_parser("retry", help="send a failed or waiting message again now")
    again.add_argument("message_id", type=int, metavar="ID")
    again.set_defaults(run=run_retry)


def run_worker(_args: argparse.Namespace) -> int:
    """Run one mail and one webhook delivery worker; several may share one database."""
    from onstream.mail.selection import sender_for
    from onstream.storage.database import open_database
    from onstream.storage.migrate import upgrade
    from onstream.workers import build_workers

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    upgrade(settings.database_url)

    async def work() -> None:
        import asyncio

        database = open_database(settings.database_url)
        background = build_workers(
            settings, database=database, sender=sender_for(settings), mail=True
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, background.running.stop)
        log.info("%s", describe_worker(settings))  # once a stop signal is handled
        try:
            await background.running.run()
        finally:
            await database.dispose()
        log.info("stopped")

    run_async(work())
    return 0


def describe_worker(settings: Settings) -> str:
    """What this worker is about to do, in one line (the password of neither the database
    nor the relay)."""
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    if settings.smtp_host:
        tls = "" if settings.smtp_tls == "none" else f" ({settings.smtp_tls})"
        target = f"through SMTP {settings.smtp_host}:{settings.smtp_port}{tls}"
    else:
        target = "to this log (no ONSTREAM_SMTP_HOST: nothing is sent)"
    return (
        f"delivering queued e-mail of {database} {target}, checking every "
        f"{settings.mail_poll_seconds:g} s; stop with Ctrl-C or SIGTERM"
    )


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
        if row["status"] in DONE:
            detail += f", sent {row['sent_at']:%Y-%m-%d %H:%M:%S}Z"
        elif row["status"] == PENDING:
            detail += f", next try {row['next_attempt_at']:%Y-%m-%d %H:%M:%S}Z"
        if row["last_error"]:
            detail += f", last error: {row['last_error']}"
        print(f"{line}\n    {detail}")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    """Make the message due now; the next worker round (within a poll) delivers it."""
    from onstream.clock import utcnow
    from onstream.mail import outbox

    async def retry(conn: Connection) -> None:
        await outbox.retry(conn, args.message_id, now=utcnow())

    in_transaction(load_settings().database_url, retry)
    print(f"message #{args.message_id} is queued for delivery now")
    return 0
