"""`onstream phone`: the telephone bridge, a process of its own next to `onstream serve`.

It answers SIP calls on `ONSTREAM_SIP_ADDRESS` and lets callers into the meetings of the
same database and Janus servers as the web server (see docs/phone.md). A process of its
own keeps PJSIP's thread and media clock out of the web workers, and lets an operator run
the bridge on the host that faces the SIP trunk.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from onstream.cli.common import run_async
from onstream.config import load_settings


def add_parser(sub: Any) -> None:
    """Register `phone`."""
    phone = sub.add_parser(
        "phone",
        help="run the telephone bridge (SIP) that lets callers join meetings",
        description=(
            "Answer SIP calls on ONSTREAM_SIP_ADDRESS (host:port, UDP), ask for a "
            "session_access_code and put the caller into that session's meeting. "
            "Registers at ONSTREAM_SIP_TRUNK_URI when set. Runs until interrupted."
        ),
    )
    phone.set_defaults(run=run_phone)


def run_phone(args: argparse.Namespace) -> int:
    """Run the bridge until SIGINT or SIGTERM."""
    settings = load_settings()
    if not settings.sip_address:
        print("onstream: ONSTREAM_SIP_ADDRESS is not set; the phone bridge is off", file=sys.stderr)
        return 1
    if not settings.janus_servers:
        print(
            "onstream: the phone bridge needs the meeting rooms (ONSTREAM_JANUS_URLS)",
            file=sys.stderr,
        )
        return 1

    async def serve() -> None:
        import asyncio
        import logging
        import signal

        from onstream.phone.bridge import Bridge
        from onstream.storage.database import open_database
        from onstream.storage.migrate import upgrade

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        await asyncio.to_thread(upgrade, settings.database_url)
        database = open_database(settings.database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await Bridge(settings, database).run(stop)
        finally:
            await database.dispose()

    run_async(serve())
    return 0
