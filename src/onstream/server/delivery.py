"""`onstream worker`'s runtime: the mail and webhook delivery workers alone, without the API,
until SIGTERM or SIGINT.

Several such processes may share one database (each claims its messages and deliveries), so
delivery can run on other hosts than the API or beside `serve` with `ONSTREAM_MAIL_WORKER=0`.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from onstream.config import Settings

log = logging.getLogger("onstream.worker")


def deliver_until_stopped(settings: Settings) -> None:
    """Migrate, then run one mail and one webhook delivery worker until SIGTERM or SIGINT;
    the round in hand ends before the process does."""
    from onstream.mail.selection import sender_for
    from onstream.storage.database import open_database
    from onstream.storage.migrate import upgrade
    from onstream.workers import build_workers

    upgrade(settings.database_url)

    async def work() -> None:
        database = open_database(settings.database_url)
        background = build_workers(
            settings, database=database, sender=sender_for(settings), mail=True
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, background.running.stop)
        log.info("%s", describe(settings))  # once a stop signal is handled
        try:
            await background.running.run()
        finally:
            await database.dispose()
        log.info("stopped")

    asyncio.run(work())


def describe(settings: Settings) -> str:
    """What this process is about to do, in one line (the password of neither the database
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
