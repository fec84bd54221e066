"""The sign-in flood figure: what a flood of password checks costs everybody else.

One client (a process of its own, so its CPU is not the timer's) keeps `FLOOD_CONNECTIONS`
requests in flight: half post the account center's sign-in form with wrong passwords, half
call the API with wrong Basic passwords, every password new (no cache answers them). The
rate limits are out of reach (`servers.base_env`), so every attempt reaches the server's
pool of password checks: the worst case for it. Meanwhile a second client, alone on its own
connections, times `GET /health` and a cached API login (`authverify` with the right
password) in turn, one request at a time; the figure is the p99 of each. Goal: under 50 ms.

The same timer first runs for a few seconds before the flood (the baseline), and the load
average is read before and after: on a machine shared with other work a p99 can miss the
goal with no flood at all, and the baseline tells that from what the flood costs.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import httpx

from bench.seed import Account

FLOOD_CONNECTIONS = 64
GOAL_P99_MS = 50.0
BASELINE_SECONDS = 3.0
"""How long the timer runs before the flood starts, for the figures without a flood."""
PAUSE_SECONDS = 0.01
"""Between the timer's requests: about 80 of each a second, a patient client."""
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Timed:
    """Latencies of one kind of request the timer sent."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int


@dataclass(frozen=True, slots=True)
class SignInFlood:
    """The timer's figures and what the flood got back (status → count)."""

    health: Timed
    cached_login: Timed
    flood: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    baseline_health: Timed | None = None
    """/health timed the same way just before the flood."""
    baseline_cached_login: Timed | None = None
    load_average: tuple[float, float] = (0.0, 0.0)
    """The machine's 1-minute load average before and after (others' work included)."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def measure(base: str, account: Account, *, seconds: float) -> SignInFlood:
    """Flood `base` for `seconds` while timing /health and a cached login."""
    results: multiprocessing.Queue[dict[int, int]] = multiprocessing.Queue()
    flooder = multiprocessing.Process(
        target=_flood_process, args=(base, account.login, seconds + 1.0, results), daemon=True
    )
    # One keep-alive connection, so one worker process: the login it verifies first is in
    # that process's cache when the flood begins.
    with httpx.Client(base_url=base, timeout=30) as timer:
        login_url = f"/api/2/{account.login}/authverify"
        auth = (account.login, account.password)
        assert timer.get(login_url, auth=auth).status_code == 200
        load_before = os.getloadavg()[0]
        baseline = _time(timer, login_url, auth, seconds=BASELINE_SECONDS)
        flooder.start()
        try:
            time.sleep(1.0)  # the flood is under way before the timer starts
            health, cached = _time(timer, login_url, auth, seconds=seconds)
            flood = results.get(timeout=seconds + 60)
        finally:
            flooder.join(timeout=30)
            if flooder.is_alive():
                flooder.kill()
    figure = SignInFlood(
        health=health,
        cached_login=cached,
        flood=flood,
        seconds=seconds,
        baseline_health=baseline[0],
        baseline_cached_login=baseline[1],
        load_average=(load_before, os.getloadavg()[0]),
    )
    _print(figure)
    return figure


def _time(
    client: httpx.Client, login_url: str, auth: tuple[str, str], *, seconds: float
) -> tuple[Timed, Timed]:
    """One request at a time, /health and then the cached login, until `seconds` passed."""
    latencies: dict[str, list[float]] = {"health": [], "login": []}
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, url, credentials in (("health", "/health", None), ("login", login_url, auth)):
            started = time.perf_counter()
            response = client.get(url, auth=credentials)
            latencies[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors[name] += 1
        time.sleep(PAUSE_SECONDS)
    return _timed(latencies["health"], errors["health"]), _timed(
        latencies["login"], errors["login"]
    )


def _timed(values: list[float], errors: int) -> Timed:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return Timed(len(values), statistics.median(values), cuts[98], max(values), errors)


def _flood_process(
    base: str, login: str, seconds: float, results: multiprocessing.Queue[dict[int, int]]
) -> None:
    results.put(asyncio.run(_flood(base, login, seconds)))


async def _flood(base: str, login: str, seconds: float) -> dict[int, int]:
    """FLOOD_CONNECTIONS loops, half sign-ins and half API calls, all wrong, until the end."""
    statuses: Counter[int] = Counter()
    guesses = itertools.count()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=FLOOD_CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        page = await client.get("/account/sign-in")
        found = _CSRF.search(page.text)
        assert found is not None, page.text
        csrf = found.group(1)

        async def sign_ins() -> None:
            while time.monotonic() < deadline:
                data = {"csrf": csrf, "login": login, "password": f"wrong-{next(guesses)}"}
                statuses[(await client.post("/account/sign-in", data=data)).status_code] += 1

        async def api_calls() -> None:
            while time.monotonic() < deadline:
                auth = (login, f"wrong-{next(guesses)}")
                url = f"/api/2/{login}/authverify"
                statuses[(await client.get(url, auth=auth)).status_code] += 1

        half = FLOOD_CONNECTIONS // 2
        await asyncio.gather(
            *(sign_ins() for _ in range(half)), *(api_calls() for _ in range(half))
        )
    return dict(statuses)


def _print(figure: SignInFlood) -> None:
    timers = [
        ("/health, no flood", figure.baseline_health),
        ("cached login, no flood", figure.baseline_cached_login),
        ("/health", figure.health),
        ("cached login", figure.cached_login),
    ]
    for name, timed in timers:
        if timed is None:
            continue
        print(
            f"    {name}: {timed.count} requests, p50 {timed.p50_ms:.1f} ms, "
            f"p99 {timed.p99_ms:.1f} ms, max {timed.max_ms:.1f} ms, {timed.errors} errors",
            flush=True,
        )
    answered = ", ".join(f"{status}: {n}" for status, n in sorted(figure.flood.items()))
    print(f"    flood answers: {answered}", flush=True)
    before, after = figure.load_average
    print(f"    load average: {before:.1f} before, {after:.1f} after", flush=True)
