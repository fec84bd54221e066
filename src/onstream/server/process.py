"""One uvicorn server process: `onstream serve` itself with one worker, or each worker child of
`onstream serve --workers N` (`python -m onstream.server.process`, started by
`onstream.server.supervisor`).

A worker child reads its settings from the environment the supervisor hands down, binds a
socket of its own to the shared address (`SO_REUSEPORT`, `onstream.server.listeners`), and
tells the supervisor it is alive: once its application has started, it writes one byte to
the heartbeat pipe every `HEARTBEAT_SECONDS` from its event loop, so a worker whose loop is
stuck stops beating and is replaced. The same beat freezes the process's heap once started
and once warm (`onstream.server.heap`), which keeps the collector's full passes short.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from onstream import logs
from onstream.config import Settings, load_settings
from onstream.server import listeners
from onstream.server.connections import ConnectionLimit
from onstream.server.deadlines import Deadlines, protocol_factory
from onstream.server.heap import HeapSettler
from onstream.web.relay import BODY_MAX_BYTES

HEARTBEAT_SECONDS = 1.0
WS_MAX_BYTES = 2 * BODY_MAX_BYTES
"""The largest WebSocket message uvicorn reads (the relay refuses those over its own cap)."""
APP = "onstream.app:app_from_environment"
"""The application factory a worker serves (`--app` names another: the bench's auth-off app,
measured with everything else the same)."""


M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameter (malloc.h)."""
LARGE_BLOCK = 1 << 20


def return_large_blocks() -> None:
    """Have glibc give every block of 1 MiB or more back to the system when it is freed.

    Each argon2 check allocates 12 MiB (`users.passwords`). glibc serves a block that large
    with mmap and unmaps it on free, but that first free raises its mmap threshold to the
    block's size, so the next checks take their 12 MiB from the checking thread's heap, which
    keeps it: a server process held 12 MB more from its second check on, most of what a
    worker grew under the bench (G7). A fixed threshold (`mallopt(M_MMAP_THRESHOLD)`, which
    also ends the adjusting) keeps such blocks returnable; the price is a fresh mapping per
    check, small beside the check itself. Other C libraries (musl): nothing to do."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)


def server_options(settings: Settings, *, access_log: bool) -> dict[str, Any]:
    """The options every server process passes to uvicorn."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": access_log,
        "server_header": False,
        "log_config": None,  # uvicorn's lines go through `onstream.logs`, like ours
        **http_limits(settings),
    }


def http_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings that bound what one client can make a server process hold.

    The HTTP parser is uvicorn's httptools protocol (llhttp, in C) through
    `LimitedHttpToolsProtocol`, which adds what uvicorn lacks: a cap on the request head
    (431 beyond `max_header_bytes`; llhttp has none, and a 70 MiB header once kept a process
    busy for 9 s), a deadline on the head and a minimum rate on the body (408), see
    `onstream.server.deadlines`. uvicorn's pure-Python h11 protocol has a head cap of its own
    but costs a GET about a third of its time (docs/benchmarks.md).

    uvicorn's own proxy-header handling is off: it would take `X-Forwarded-For` from any
    peer on 127.0.0.1 as the client's address. The application decides instead, believing
    the header only from `ONSTREAM_TRUSTED_PROXIES` (`onstream.throttle`).

    One route is a WebSocket, the Janus relay's (`onstream.web.relay`): uvicorn's sans-I/O
    websockets protocol, without compression (Janus's messages are small and a storm of
    joins is the CPU's), its messages capped a little above the relay's own cap (so the
    relay answers one too large as it answers an HTTP call); an upgraded connection still
    counts toward its address's cap until it closes (`LimitedHttpToolsProtocol`).
    """
    limits = ConnectionLimit.from_settings(settings)
    return {
        "http": protocol_factory(
            Deadlines.from_settings(settings), settings.max_header_bytes, limits
        ),
        "ws": "websockets-sansio",
        "ws_max_size": WS_MAX_BYTES,
        "ws_per_message_deflate": False,
        "proxy_headers": False,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.limit_concurrency,
    }


def serve_here(settings: Settings, *, access_log: bool) -> None:
    """Serve in this process (`onstream serve` with one worker)."""
    from onstream.app import create_app

    return_large_blocks()
    options = server_options(settings, access_log=access_log)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    with contextlib.suppress(KeyboardInterrupt):
        _run(server, sockets=None, heartbeat_fd=None)
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_worker(*, access_log: bool, heartbeat_fd: int, app: str = APP) -> int:
    """A worker child: serve on a socket of its own until told to stop; uvicorn's exit code
    for a start that failed (the supervisor then gives up rather than retrying)."""
    return_large_blocks()
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    options = server_options(settings, access_log=access_log)
    server = uvicorn.Server(uvicorn.Config(app, factory=True, **options))
    sock = listeners.worker_socket(settings.host, settings.port)
    os.set_blocking(heartbeat_fd, False)
    _run(server, sockets=[sock], heartbeat_fd=heartbeat_fd)
    return 0 if server.started else STARTUP_FAILURE


def _run(server: uvicorn.Server, *, sockets: list[Any] | None, heartbeat_fd: int | None) -> None:
    """Serve until told to stop, with the beat (`_beat`) running beside the server."""

    async def serve() -> None:
        beating = asyncio.create_task(_beat(server, heartbeat_fd, HeapSettler()))
        try:
            await server.serve(sockets=sockets)
        finally:
            beating.cancel()

    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(serve())


async def _beat(server: uvicorn.Server, fd: int | None, heap: HeapSettler) -> None:
    """Every `HEARTBEAT_SECONDS` once the application has started: the heap's freezes, and
    one byte to the supervisor when there is one (a full pipe, when the supervisor is busy,
    only skips a beat; a closed one means the supervisor is gone)."""
    while True:
        if server.started:
            heap.tick(started=True, requests=server.server_state.total_requests)
            if fd is not None:
                try:
                    os.write(fd, b".")
                except BlockingIOError:
                    pass
                except OSError:  # the supervisor is gone: stop as if it had said so
                    server.should_exit = True
                    return
        await asyncio.sleep(HEARTBEAT_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one worker of `onstream serve --workers N`")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--heartbeat-fd", type=int, required=True)
    parser.add_argument("--app", default=APP, help="the application factory (module:function)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return run_worker(access_log=args.access_log, heartbeat_fd=args.heartbeat_fd, app=args.app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
