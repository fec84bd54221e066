"""The measurements behind G1..G7 (goals are judged in report.py).

Each function drives one running server and returns raw numbers; `Bench` carries what they
share: the profile, the log file wrk writes to, and the memory sampler whose label says
which figure is running.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from bench import fixedrate, wrk
from bench.config import Profile
from bench.memory import MemorySampler
from bench.seed import Account
from bench.smtp import SmtpSink

G6_SECONDS = 60.0
STALLED_SECONDS = 15.0
WRONG_PASSWORD = "not-the-password"  # noqa: S105  # wrong on purpose


@dataclass
class Bench:
    """What every figure needs."""

    profile: Profile
    log: Path
    sampler: MemorySampler
    pids: Callable[[], list[int]] = list
    """The processes of the server under test (for the CPU split of each run)."""

    def wrk(self, label: str, load: wrk.Load) -> wrk.Measured:
        """The median of the profile's runs after its warm-up."""
        self.sampler.label = label
        p = self.profile
        print(f"  {label}: {load.url}", flush=True)
        result = wrk.measure(
            load,
            warmup=p.warmup,
            runs=p.runs,
            seconds=p.duration,
            connections=p.connections,
            threads=p.threads,
            log=self.log,
            cpu=lambda: wrk.cpu_seconds(self.pids()),
        )
        _print(result)
        self.quiet()
        return result

    def wrk_alternating(self, *figures: Figure) -> list[wrk.Measured]:
        """Figures whose ratio is a goal, each on its own running server, measured in turns
        (a run of each, then the next run of each): the machine drifts by a tenth and more
        over the minutes a figure takes, and taken one after the other their ratio measured
        the drift as much as the servers. Each figure's warm-up comes first."""
        p = self.profile
        options = {"connections": p.connections, "threads": p.threads, "log": self.log}
        self.sampler.label = " / ".join(figure.label for figure in figures)
        for figure in figures:
            print(f"  {figure.label}: {figure.load.url} (in turns)", flush=True)
            wrk.wrk_once(figure.load, seconds=p.warmup, **options)
        done: list[list[wrk.Run]] = [[] for _ in figures]
        for _ in range(p.runs):
            for runs, figure in zip(done, figures, strict=True):
                cpu = functools.partial(_cpu_of, figure.pids)
                runs.append(wrk.measured_run(figure.load, seconds=p.duration, cpu=cpu, **options))
        results = [wrk.median_of(runs) for runs in done]
        for figure, result in zip(figures, results, strict=True):
            print(f"  {figure.label}:", flush=True)
            _print(result)
        self.quiet()
        return results

    def quiet(self, *, limit: float = 60.0) -> None:
        """Pause `settle` seconds, then until the server has stopped working (bounded)."""
        time.sleep(self.profile.settle)
        deadline = time.monotonic() + limit
        before = sum(wrk.cpu_seconds(self.pids()).values())
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = sum(wrk.cpu_seconds(self.pids()).values())
            if now - before < 0.05:
                return
            before = now


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of `Bench.wrk_alternating`: what to send, and the server's processes."""

    label: str
    load: wrk.Load
    pids: Callable[[], list[int]]


def _cpu_of(pids: Callable[[], list[int]]) -> dict[int, float]:
    return wrk.cpu_seconds(pids())


def _print(result: wrk.Measured) -> None:
    split = "; ".join(
        f"{r.rps:.0f}/s cpu " + "/".join(f"{c:.1f}" for c in r.process_cpu_s) for r in result.runs
    )
    print(
        f"    {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}  [{split}]",
        flush=True,
    )


def basic(account: Account, password: str | None = None) -> str:
    """An `Authorization: Basic` header line for the account (or another password)."""
    token = f"{account.login}:{password or account.password}".encode()
    return f"Authorization: Basic {base64.b64encode(token).decode()}"


def get_session(base: str, account: Account, session_id: int) -> wrk.Load:
    """G1: one session as JSON."""
    url = f"{base}/api/2/{account.login}/session/id/{session_id}/format/json"
    return wrk.Load(url, headers=(basic(account),))


def list_sessions(base: str, account: Account, offset: int) -> wrk.Load:
    """G3: a page of 100 sessions as JSON."""
    url = f"{base}/api/2/{account.login}/sessions/count/100/offset/{offset}/format/json"
    return wrk.Load(url, headers=(basic(account),))


def put_session(base: str, account: Account) -> wrk.Load:
    """G4: create one session per request."""
    url = f"{base}/api/2/{account.login}/session/format/json"
    return wrk.Load(url, headers=(basic(account),), script="put_session.lua")


@dataclass(frozen=True, slots=True)
class UnderLogins:
    """G2: cached requests measured while failed logins arrive in the background."""

    cached: wrk.Measured
    logins: fixedrate.FixedRateResult

    def as_dict(self) -> dict[str, object]:
        return {"cached": self.cached.as_dict(), "logins": asdict(self.logins)}


def under_failed_logins(bench: Bench, load: wrk.Load, account: Account) -> UnderLogins:
    """Run `load` with wrk while a paced client sends wrong passwords at `login_rate`/s."""
    p = bench.profile
    seconds = p.warmup + p.runs * p.duration + 2
    argv = fixedrate.command(
        load.url,
        rate=p.login_rate,
        seconds=seconds,
        headers=(basic(account, password=WRONG_PASSWORD),),
        expect=401,
        connections=64,
    )
    background = fixedrate.start(argv)
    try:
        time.sleep(1.0)
        cached = bench.wrk("G2 cached GET under failed logins", load)
        logins = fixedrate.finish(background, timeout=seconds + fixedrate.TIMEOUT + 60)
    finally:
        if background.poll() is None:
            background.kill()
            background.communicate()
    print(
        f"    background: {logins.ok}/{logins.sent} failed logins answered 401, "
        f"p50 {logins.p50_ms:.0f} ms p99 {logins.p99_ms:.0f} ms",
        flush=True,
    )
    bench.quiet()  # let the server finish hashing what is still queued
    return UnderLogins(cached=cached, logins=logins)


@dataclass(frozen=True, slots=True)
class FixedRate:
    """The median of fixed-rate runs at one rate."""

    rate: float
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: tuple[fixedrate.FixedRateResult, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            **{k: v for k, v in asdict(self).items() if k != "runs"},
            "runs": [asdict(r) for r in self.runs],
        }


def fixed_rate(bench: Bench, label: str, load: wrk.Load, rate: float) -> FixedRate:
    """Open-loop runs at `rate` requests/s (the first with the warm-up), median of each."""
    bench.sampler.label = label
    p = bench.profile
    print(f"  {label}: {rate:.0f} req/s fixed rate, {load.url}", flush=True)
    runs = []
    for i in range(p.runs):
        argv = fixedrate.command(
            load.url,
            rate=rate,
            seconds=p.duration,
            headers=load.headers,
            warmup=p.warmup if i == 0 else 0.0,
        )
        runs.append(fixedrate.run(argv, seconds=p.duration + p.warmup))
    result = FixedRate(
        rate=rate,
        achieved_rps=statistics.median(r.achieved_rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        runs=tuple(runs),
    )
    print(
        f"    {result.achieved_rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}",
        flush=True,
    )
    bench.quiet()
    return result


@dataclass(frozen=True, slots=True)
class Invitations:
    """G6: invitations sent through the API and what reached the SMTP sink."""

    wanted: int
    requests: int
    api_errors: int
    accepted: int
    """Invitations in the PUTs the server answered 201 (the ones it must deliver)."""
    api_seconds: float
    delivered: int
    unique: int
    duplicates: int
    seconds: float | None
    """From the first PUT to the last message the sink accepted (None: nothing arrived)."""
    timed_out: bool


async def _send_invitations(
    base: str, account: Account, count: int, per_request: int, concurrency: int
) -> tuple[int, int, int]:
    """PUT sessions with `per_request` invited participants each; (requests, errors,
    invitations accepted)."""
    url = f"{base}/api/2/{account.login}/session/format/json"
    auth = (account.login, account.password)
    batches = [range(i, min(i + per_request, count)) for i in range(0, count, per_request)]
    errors = accepted = 0
    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(auth=auth, timeout=300) as client:

        async def one(n: int, batch: range) -> None:
            nonlocal errors, accepted
            body = {
                "topic": f"Webinar {n}",
                "duration": 60,
                "start_time": "2031-06-01 15:00:00",
                "timezone": "UP1",
                "invited_participants": [
                    {"email": f"guest{i}@invited.example.org", "first_name": f"Guest{i}", "role": 2}
                    for i in batch
                ],
            }
            async with slots:
                response = await client.put(url, json=body)
            if response.status_code == 201:
                accepted += len(batch)
            else:
                errors += 1

        await asyncio.gather(*(one(n, b) for n, b in enumerate(batches)))
    return len(batches), errors, accepted


def invitations(
    bench: Bench, sink: SmtpSink, base: str, account: Account, *, concurrency: int
) -> Invitations:
    """Send `profile.invitations` invitations and wait (bounded) until all are delivered."""
    bench.sampler.label = "G6 invitations"
    p = bench.profile
    print(f"  G6: {p.invitations} invitations, {p.invitations_per_request} per PUT", flush=True)
    sink.sink.reset()
    started = time.monotonic()
    requests, api_errors, accepted = asyncio.run(
        _send_invitations(base, account, p.invitations, p.invitations_per_request, concurrency)
    )
    api_done = time.monotonic()
    deadline = max(started + 2 * G6_SECONDS, api_done + 30.0)
    delivered, per, last = sink.sink.snapshot()
    while delivered < accepted and time.monotonic() < deadline:
        if time.monotonic() - max(last or api_done, api_done) > STALLED_SECONDS:
            break  # nothing arrived for a while: it is not coming
        time.sleep(0.2)
        delivered, per, last = sink.sink.snapshot()
    time.sleep(3.0)  # anything sent twice would arrive now
    delivered, per, last = sink.sink.snapshot()
    result = Invitations(
        wanted=p.invitations,
        requests=requests,
        api_errors=api_errors,
        accepted=accepted,
        api_seconds=api_done - started,
        delivered=delivered,
        unique=len(per),
        duplicates=sum(n - 1 for n in per.values() if n > 1),
        seconds=(last - started) if last else None,
        timed_out=delivered < accepted,
    )
    print(
        f"    {result.delivered} delivered ({result.unique} recipients, "
        f"{result.duplicates} duplicates) in {result.seconds or 0:.1f} s; "
        f"API {result.api_seconds:.1f} s, {api_errors} errors",
        flush=True,
    )
    return result
