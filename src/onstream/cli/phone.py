"""`onstream phone`: the telephone bridge, a process of its own next to `onstream serve`.

It answers SIP calls on `ONSTREAM_SIP_ADDRESS` and lets callers into the meetings of the
same database and Janus servers as the web server (see docs/phone.md). A process of its
own keeps PJSIP's thread and media clock out of the web workers, and lets an operator run
the bridge on the host that faces the SIP trunk.

PJSIP as the `pjsua2-python` wheel builds it takes four calls at once per process
(`onstream.phone.sip.MAX_CALLS`), so `--processes N` starts N bridges, one per port from
the configured one upwards, starts again one that crashes, and stops them together.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from onstream.cli.common import run_async
from onstream.config import Settings, load_settings
from onstream.exits import how_it_ended


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
    phone.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help=(
            "run N bridge processes, on the port of ONSTREAM_SIP_ADDRESS and the N-1 ports "
            "after it (each takes four calls at once); not with ONSTREAM_SIP_TRUNK_URI"
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
    processes = getattr(args, "processes", 1)
    if processes < 1:
        print("onstream: --processes must be 1 or more", file=sys.stderr)
        return 1
    if processes > 1:
        if settings.sip_trunk_uri:
            print(
                "onstream: --processes does not work with ONSTREAM_SIP_TRUNK_URI (every "
                "process would register the same account); give each process its own "
                "trunk account and address instead",
                file=sys.stderr,
            )
            return 1
        return run_processes(settings, processes)

    # PJSIP runs C threads of its own: should one of them crash the process, the stacks of
    # every thread go to the log (standard error) instead of nothing.
    faulthandler.enable()

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

    from onstream.phone.sip import SipFailed

    try:
        run_async(serve())
    except SipFailed as exc:
        print(f"onstream: {exc}", file=sys.stderr)
        return 1
    return 0


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


RESTART_WITHIN_SECONDS = 10.0
"""A bridge process that ends sooner than this after its start did not start (its port is
taken, its settings wrong): the bridge stops instead of starting it again and again."""


def run_processes(settings: Settings, count: int) -> int:
    """Run `count` bridges, each `onstream phone` on its own port, until SIGINT or SIGTERM
    (passed on to every one). A bridge that ends on its own (a crash takes its calls) is
    said and started again, so its port answers again and the others keep their calls;
    one that ends within `RESTART_WITHIN_SECONDS` of its start stops them all."""
    from onstream.phone.bridge import parse_address
    from onstream.phone.prompts import ensure_prompts

    assert settings.sip_address is not None
    try:
        host, port = parse_address(settings.sip_address, "ONSTREAM_SIP_ADDRESS")
        public = (
            parse_address(settings.sip_public_address, "ONSTREAM_SIP_PUBLIC_ADDRESS")
            if settings.sip_public_address
            else None
        )
    except ValueError as exc:
        print(f"onstream: {exc}", file=sys.stderr)
        return 1
    if port + count - 1 > 65535:
        print(f"onstream: {count} ports from {port} go past 65535", file=sys.stderr)
        return 1
    ensure_prompts(Path(settings.phone_prompts_dir).absolute())  # once, not N times at once
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def start(index: int) -> tuple[subprocess.Popen[bytes], float]:
        env = {**os.environ, "ONSTREAM_SIP_ADDRESS": _address(host, port + index)}
        if public is not None:
            env["ONSTREAM_SIP_PUBLIC_ADDRESS"] = _address(public[0], public[1] + index)
        child = subprocess.Popen([sys.executable, "-m", "onstream", "phone"], env=env)
        return child, time.monotonic()

    children = [start(index) for index in range(count)]
    failed = False
    while not stop.is_set() and not failed:
        stop.wait(0.5)
        for index, (child, started) in enumerate(children):
            if stop.is_set() or child.poll() is None:
                continue
            how = how_it_ended(child.returncode)
            where = _address(host, port + index)
            if time.monotonic() - started < RESTART_WITHIN_SECONDS:
                print(f"onstream: the bridge on {where} {how} as it started", file=sys.stderr)
                failed = True
                break
            print(f"onstream: the bridge on {where} {how}; starting it again", file=sys.stderr)
            children[index] = start(index)
    for child, _ in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child, _ in children:
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0 if not failed and all(c.returncode == 0 for c, _ in children) else 1
