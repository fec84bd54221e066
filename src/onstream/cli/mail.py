"""`onstream worker` (deliver queued mail) and `onstream outbox` (what is queued, sent, failed;
one message as sent)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from onstream import logs
from onstream.cli.common import in_transaction, read_only
from onstream.config import load_settings
from onstream.mail.statuses import DONE, LOGGED, PENDING, STATUSES

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
    box_sub = box.add_subparsers(dest="outbox_command", metavar="COMMAND")
    again = box_sub.add_parser("retry", help="send a failed or waiting message again now")
    again.add_argument("message_id", type=int, metavar="ID")
    again.set_defaults(run=run_retry)
    show = box_sub.add_parser("show", help="print one message as it was (or would be) sent")
    show.add_argument("message_id", type=int, metavar="ID")
    show.set_defaults(run=run_show)


def run_worker(_args: argparse.Namespace) -> int:
    """Deliver queued mail and webhooks until SIGTERM or SIGINT (`server.delivery`)."""
    from onstream.server.delivery import deliver_until_stopped

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    deliver_until_stopped(settings)
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
        if row["status"] == LOGGED:
            detail += f", kept unsent {row['sent_at']:%Y-%m-%d %H:%M:%S}Z (no SMTP relay)"
        elif row["status"] in DONE:
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


def run_show(args: argparse.Namespace) -> int:
    """Print one message: its state, then its headers, text part, links and calendar."""
    from onstream.mail import outbox, reading

    async def fetch(conn: Connection) -> dict[str, object]:
        return await outbox.message(conn, args.message_id)

    row = read_only(load_settings().database_url, fetch)
    print(f"#{row['id']} {row['status']} {row['kind']}, attempts {row['attempts']}")
    if row["status"] == LOGGED:
        print("    kept in the outbox, not sent: no ONSTREAM_SMTP_HOST was set when it went out")
    if row["last_error"]:
        print(f"    last error: {row['last_error']}")
    data = str(row["message"]).encode("utf-8", "surrogateescape")
    print()
    print(reading.render(reading.read(data)))
    return 0
