"""In-process cost of the hot reads: the ASGI app called directly, no socket, no uvicorn.

    .venv/bin/python -m bench.inprocess --database sqlite:////tmp/inproc.db --sessions 100000

The database is seeded with `bench.seed` when it has no `big` account yet. Each figure runs
`--requests` requests one after the other, `--repeats` times, and prints the median CPU
microseconds per request of this process (`time.process_time`, robust to other processes
sharing the cores) beside the median wall time. The requests are those of G1 (GET one
session, Basic auth, JSON) and G3 (the first and the last page of 100). `--only NAME` runs
one figure in a loop for `--seconds` (or `--count` requests), for a profiler
(`py-spy record -- python -m ...`) or for instruction counts that other processes on the
machine do not disturb: the difference between two `valgrind --tool=callgrind` runs with
different `--count`s, divided by the difference of the counts (`bench/instructions.sh`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench.seed import BIG, seed

Scope = dict[str, Any]


def _scope(path: str, query: str, auth: bytes) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", auth)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _call(app: Any, scope: Scope) -> tuple[int, bytes]:
    """One request through the app; its status and body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


async def _measure(
    app: Any, scope: Scope, *, requests: int, repeats: int
) -> tuple[float, float, int]:
    """Median CPU and wall µs per request over the repeats, and the body's length."""
    status, body = await _call(app, scope)
    if status != 200:
        raise SystemExit(f"{scope['path']}?{scope['query_string']!r}: {status} {body[:300]!r}")
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(requests):
            await _call(app, scope)
        cpu.append((time.process_time() - c0) / requests * 1e6)
        wall.append((time.perf_counter() - w0) / requests * 1e6)
    return statistics.median(cpu), statistics.median(wall), len(body)


FIGURES = ("get_session", "first_page", "last_page", "get_session_xml")


def _figures(seeded_id: int, total: int) -> dict[str, tuple[str, str, int]]:
    """name → (path, query, requests per repeat relative to GET session)."""
    return {
        "get_session": (f"/api/2/{BIG}/session/id/{seeded_id}/format/json", "", 1),
        "first_page": (f"/api/2/{BIG}/sessions/count/100/format/json", "", 10),
        "last_page": (f"/api/2/{BIG}/sessions/count/100/format/json", f"offset={total - 100}", 10),
        "get_session_xml": (f"/api/2/{BIG}/session/id/{seeded_id}/format/xml", "", 1),
    }


async def _main(args: argparse.Namespace) -> None:
    from onstream.app import create_app
    from onstream.config import load_settings
    from onstream.sessions import repository
    from onstream.storage.database import open_database, transaction
    from onstream.users.repository import account_by_login

    os.environ["ONSTREAM_DATABASE_URL"] = args.database
    os.environ.setdefault("ONSTREAM_LOG_LEVEL", "warning")
    database = open_database(args.database)
    async with transaction(database, write=False) as conn:
        account = await account_by_login(conn, BIG)
        assert account is not None
        total = await repository.live_total(conn, owner_id=account.id)
        sample = await repository.page(
            conn, owner_id=account.id, count=1, offset=total // 2, descending=False
        )
    await database.dispose()
    app = create_app(load_settings())
    auth = b"Basic " + base64.b64encode(f"{BIG}:{args.password}".encode())
    figures = _figures(sample[0].id, total)
    names = [args.only] if args.only else list(figures)
    for name in names:
        path, query, weight = figures[name]
        scope = _scope(path, query, auth)
        if args.only:
            deadline = time.monotonic() + args.seconds
            done = 0
            while done < args.count if args.count else time.monotonic() < deadline:
                await _call(app, scope)
                done += 1
            continue
        requests = max(1, args.requests // weight)
        cpu, wall, size = await _measure(app, scope, requests=requests, repeats=args.repeats)
        print(f"{name:16} {cpu:9.1f} µs CPU {wall:9.1f} µs wall  ({size} bytes, {total} live)")


def _ensure_seeded(url: str, sessions: int) -> str:
    """Seed the database unless this script seeded it before (a marker file beside it holds
    the big account's password); the big account's password."""
    name = url.replace("/", "_").replace(":", "_")
    marker = os.path.join(tempfile.gettempdir(), f"onstream-inprocess-{name}.password")
    seeded = os.path.exists(marker)
    if not seeded:
        result = seed(url, sessions_count=sessions, invited_sessions=min(10_000, sessions // 10))
        with open(marker, "w") as out:
            out.write(result.accounts[BIG].password)
    with open(marker) as stored:
        return stored.read()


def main(argv: list[str] | None = None, *, run: Callable[..., Any] = asyncio.run) -> None:
    """Parse the options, seed if needed, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite:////tmp/onstream-inprocess.db")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", choices=FIGURES)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--count", type=int, default=0, help="with --only: this many requests, not --seconds"
    )
    args = parser.parse_args(argv)
    args.password = _ensure_seeded(args.database, args.sessions)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency of the server
        pass
    run(_main(args))


if __name__ == "__main__":
    main()
