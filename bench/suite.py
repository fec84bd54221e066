"""The whole benchmark run: seed, serve, measure G1..G7, print the table, write the JSON.

Servers run one at a time on loopback ports, each with the same worker count; everything
started here (servers, the SMTP sink, the PostgreSQL database, load generators) is stopped
or removed in `finally` blocks, also when a figure fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench import figures, flood, machine, report, wrk
from bench.config import FULL, QUICK, REPO, RESULTS, Profile
from bench.memory import MemorySampler
from bench.report import Results
from bench.seed import BIG, MAILER, WRITER, Account, Seeded, seed
from bench.servers import (
    Server,
    base_env,
    free_port,
    onstream_argv,
    served_like_onstream_argv,
    uvicorn_argv,
)
from bench.smtp import SmtpSink

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: small data, short runs")
    parser.add_argument("--workers", type=int, help="server processes (default: CPU count)")
    parser.add_argument("--connections", type=int, help="wrk connections (default 32)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ONSTREAM_TEST_POSTGRES", DEFAULT_POSTGRES),
        help="PostgreSQL server to create the G5 database on (admin URL, no database)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip G5")
    parser.add_argument(
        "--only",
        choices=["sign-in-flood"],
        help="run this one figure alone (on a small seeded database), not the suite",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args(argv)


def profile_for(args: argparse.Namespace) -> Profile:
    profile = QUICK if args.quick else FULL
    if args.workers:
        profile = replace(profile, workers=args.workers)
    if args.connections:
        profile = replace(profile, connections=args.connections)
    return profile


async def _admin(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(f"{admin_url.rstrip('/')}/postgres", timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class Run:
    """One benchmark run and everything it started."""

    def __init__(self, profile: Profile, args: argparse.Namespace) -> None:
        self.profile = profile
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="onstream-bench-"))
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.wrk_log = RESULTS / "wrk.log"
        self.wrk_log.write_text("")
        self.sampler = MemorySampler()
        self.bench = figures.Bench(profile=profile, log=self.wrk_log, sampler=self.sampler)
        self.sink = SmtpSink(free_port())
        self.results = Results()
        self.pg_database: str | None = None
        self.notes: list[str] = []

    @contextmanager
    def serving(
        self, name: str, argv_for: str, env: dict[str, str], *, watch: bool
    ) -> Iterator[Server]:
        """Start a server (the onstream ones are watched for G7), always stop it."""
        port = free_port()
        if argv_for == "onstream":
            argv = onstream_argv(port, self.profile.workers)
        elif argv_for.startswith("served-like-onstream:"):
            factory = argv_for.split(":", 1)[1]
            argv = served_like_onstream_argv(factory, port, self.profile.workers)
            path = [str(REPO), *filter(None, [env.get("PYTHONPATH")])]
            env = {**env, "PYTHONPATH": os.pathsep.join(path)}
        else:
            argv = uvicorn_argv(argv_for, port, self.profile.workers)
        server = Server(name=name, argv=argv, env=env, port=port, workdir=self.workdir)
        try:
            print(f"starting {name}: {' '.join(argv[1:])}", flush=True)
            server.start()
            self.bench.pids = server.pids
            if watch:
                self.sampler.pids = server.pids
            yield server
        finally:
            self.bench.pids = list
            if watch:
                self.sampler.sample()
                self.sampler.pids = list
            server.stop()

    def seed(self, url: str, sessions: int, invited: int) -> Seeded:
        print(f"seeding {url}: {sessions:,} sessions, {invited:,} with invitees", flush=True)
        seeded = seed(url, sessions_count=sessions, invited_sessions=invited)
        print(
            f"  {seeded.sessions:,} sessions, {seeded.invitations:,} invitations "
            f"in {seeded.seconds:.1f} s",
            flush=True,
        )
        return seeded

    def sqlite_figures(self) -> None:
        p, r, bench = self.profile, self.results, self.bench
        url = f"sqlite:///{self.workdir / 'onstream.db'}"
        data = self.seed(url, p.sessions, p.invited_sessions)
        big, writer, mailer = (data.accounts[k] for k in (BIG, WRITER, MAILER))
        env = base_env(url, self.sink.env())
        with self.serving("baseline", "bench.apps:baseline", env, watch=False) as server:
            r.b = bench.wrk("B baseline", wrk.Load(server.base_url + "/"))
        auth_off = "served-like-onstream:bench.apps:auth_off"
        with (
            self.serving("auth-off", auth_off, env, watch=False) as off,
            self.serving("onstream-sqlite", "onstream", env, watch=True) as server,
        ):
            base = server.base_url
            get = figures.get_session(base, big, data.sample_session_id)
            off_get = figures.get_session(off.base_url, big, data.sample_session_id)
            r.g2_off, r.g1 = bench.wrk_alternating(
                figures.Figure("G2 auth off", off_get, off.pids),
                figures.Figure("G1 GET session", get, server.pids),
            )
            bench.pids = server.pids
            r.g2_logins = figures.under_failed_logins(bench, get, big)
            r.g3_first = bench.wrk("G3 first page", figures.list_sessions(base, big, 0))
            r.g3_fixed = figures.fixed_rate(
                bench, "G3 half rate", figures.list_sessions(base, big, 0), r.g3_first.rps / 2
            )
            last = max(0, data.sessions - 100)
            r.g3_last = bench.wrk("G3 last page", figures.list_sessions(base, big, last))
            r.g4 = bench.wrk("G4 PUT session", figures.put_session(base, writer))
            r.g6 = figures.invitations(bench, self.sink, base, mailer, concurrency=p.workers)
            r.sign_in_flood = self.flood_figure(base, big)

    def flood_figure(self, base: str, account: Account) -> flood.SignInFlood:
        print("  sign-in flood: /health and a cached login, timed", flush=True)
        self.sampler.label = "sign-in flood"
        figure = flood.measure(base, account, seconds=self.profile.runs * self.profile.duration)
        self.bench.quiet()  # let the server finish the checks still in hand
        return figure

    def flood_only(self) -> None:
        """The sign-in flood alone, on a database of a few sessions."""
        url = f"sqlite:///{self.workdir / 'onstream.db'}"
        data = self.seed(url, 1_000, 10)
        env = base_env(url, self.sink.env())
        with self.serving("onstream-sqlite", "onstream", env, watch=True) as server:
            self.results.sign_in_flood = self.flood_figure(server.base_url, data.accounts[BIG])

    def postgres_figures(self) -> None:
        p, r, bench = self.profile, self.results, self.bench
        admin = self.args.postgres.rstrip("/")
        name = f"onstream_bench_{os.getpid()}"
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
        self.pg_database = name
        url = f"{admin}/{name}"
        data = self.seed(url, p.pg_sessions, p.pg_invited_sessions)
        big, writer = data.accounts[BIG], data.accounts[WRITER]
        with self.serving("onstream-postgres", "onstream", base_env(url), watch=True) as server:
            get = figures.get_session(server.base_url, big, data.sample_session_id)
            r.g5_get = bench.wrk("G5 GET session (PostgreSQL)", get)
            r.g5_put = bench.wrk(
                "G5 PUT session (PostgreSQL)", figures.put_session(server.base_url, writer)
            )

    def run(self) -> bool:
        """Every figure; False when one failed (the others' numbers are still reported)."""
        ok = True
        self.sampler.start()
        self.sink.start()
        try:
            if self.args.only == "sign-in-flood":
                self.flood_only()
            else:
                self.sqlite_figures()
                if not self.args.no_postgres:
                    self.postgres_figures()
        except Exception:  # noqa: BLE001  # report what was measured, then the failure
            traceback.print_exc()
            ok = False
        finally:
            self.cleanup()
        self.results.g7 = self.sampler.overall if self.sampler.overall.samples else None
        self.results.memory_by_figure = dict(self.sampler.by_label)
        return ok

    def cleanup(self) -> None:
        self.sink.stop()
        self.sampler.stop()
        if self.pg_database:
            try:
                asyncio.run(
                    _admin(
                        self.args.postgres,
                        f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)',
                    )
                )
            except (OSError, asyncpg.PostgresError) as exc:
                print(f"could not drop {self.pg_database}: {exc}")
        logs = RESULTS / "logs"
        logs.mkdir(exist_ok=True)
        for log in self.workdir.glob("*.log"):
            shutil.copy(log, logs / log.name)
        if self.args.keep:
            print(f"work directory kept: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile = profile_for(args)
    info = machine.describe(None if args.no_postgres else args.postgres)
    print(f"Onstream benchmark ({profile.name} run)")
    print(f"machine: {machine.summary_line(info)}")
    print(
        f"profile: {profile.workers} workers, wrk {profile.threads} thread(s) x "
        f"{profile.connections} connections, warm-up {profile.warmup:.0f} s, "
        f"median of {profile.runs} x {profile.duration:.0f} s",
        flush=True,
    )
    started = time.monotonic()
    run = Run(profile, args)
    ok = run.run()
    table_rows = report.rows(run.results, invitations_goal=profile.invitations)
    print()
    print(f"{machine.summary_line(info)}; {profile.workers} workers; {profile.name} run")
    print(report.table(table_rows))
    report.write_json(args.output, machine=info, config=asdict(profile), table_rows=table_rows)
    print(f"\nwritten to {args.output} in {(time.monotonic() - started) / 60:.1f} min")
    return 0 if ok else 1
