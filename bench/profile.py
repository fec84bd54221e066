"""Where a served request's time goes: one figure's request under wrk, one worker under py-spy.

    python -m bench.profile get|page|put [--postgres URL] [--seconds S] [--output FILE.svg]

Seeds a fresh database (100,000 sessions by default; SQLite in a temporary directory, or a
new PostgreSQL database dropped at the end), starts `onstream serve --workers 2` as
`scripts/bench` does, loads it as the figure does (wrk, 32 connections; `put` with the PUT
body script), and, with `--output`, records the first worker with py-spy for the measured
run. It prints the requests per second and the CPU seconds the server's processes spent
per request: the "local" figures of the table of what each change bought
(docs/benchmarks.md), which are taken alternating the code before and after a change
(`PYTHONPATH=<other tree>/src`), since the machine drifts between minutes more than most
changes move a figure.

The in-process tools (`bench.inprocess`, `bench/instructions.sh`) leave out the HTTP
protocol, the socket and the event loop; this one keeps everything the figure pays.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import figures, wrk
from bench.seed import BIG, WRITER, Seeded, seed
from bench.servers import Server, base_env, free_port, onstream_argv
from bench.suite import _admin

WORKERS = 2
CONNECTIONS = 32
WARMUP_SECONDS = 3.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("request", choices=["get", "page", "put"])
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (no database)")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--output", type=Path, help="a flame graph of one worker (py-spy)")
    return parser.parse_args(argv)


def load_for(request: str, base: str, data: Seeded) -> wrk.Load:
    if request == "get":
        return figures.get_session(base, data.accounts[BIG], data.sample_session_id)
    if request == "page":
        return figures.list_sessions(base, data.accounts[BIG], 0)
    return figures.put_session(base, data.accounts[WRITER])


def measure(args: argparse.Namespace, url: str, workdir: Path) -> None:
    data = seed(url, sessions_count=args.sessions, invited_sessions=min(1_000, args.sessions))
    port = free_port()
    server = Server("onstream", onstream_argv(port, WORKERS), base_env(url), port, workdir)
    server.start()
    try:
        load = load_for(args.request, server.base_url, data)
        wrk.wrk_once(load, seconds=WARMUP_SECONDS, connections=CONNECTIONS, threads=1)
        workers = [pid for pid in server.pids() if pid != (server.process and server.process.pid)]
        spy = None
        if args.output is not None:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            record = ["record", "--rate", "200", "--output", str(args.output)]
            target = ["--pid", str(workers[0]), "--duration", str(round(args.seconds))]
            spy = subprocess.Popen(  # noqa: S603  # our own command line
                [py_spy, *record, *target],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        before = sum(wrk.cpu_seconds(server.pids()).values())
        run = wrk.wrk_once(load, seconds=args.seconds, connections=CONNECTIONS, threads=1)
        used = sum(wrk.cpu_seconds(server.pids()).values()) - before
        if spy is not None:
            spy.wait(timeout=args.seconds + 60)
    finally:
        server.stop()
    errors = run.status_errors + run.socket_errors
    print(
        f"{args.request}: {run.rps:,.0f} req/s, p99 {run.p99_ms:.1f} ms, {errors} errors; "
        f"server CPU {used / run.requests * 1e6:,.0f} µs a request "
        f"({used / args.seconds:.2f} cores)"
    )
    if args.output is not None:
        print(f"flame graph of one worker: {args.output}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="onstream-profile-"))
    try:
        if args.postgres is None:
            measure(args, f"sqlite:///{workdir / 'onstream.db'}", workdir)
        else:
            admin = args.postgres.rstrip("/")
            name = "onstream_profile"
            asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}"'))
            asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
            try:
                measure(args, f"{admin}/{name}", workdir)
            finally:
                asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
