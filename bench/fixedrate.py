"""An open-loop, fixed-rate HTTP/1.1 load generator (what wrk2's `-R` does; wrk2 is not
packaged for Debian and the packaged wrk 4.1 has no `-R`).

Request i is due at start + i/rate, whether or not earlier answers have come back, and its
latency is measured from that due time, not from when a connection was free to send it: a
server that stalls is charged for every request that would have been sent meanwhile
(no coordinated omission). Connections are kept alive and reused, at most
`--connections` at once. It runs as its own process so that it does not share a GIL with
the orchestrator:

    python -m bench.fixedrate URL --rate 200 --seconds 10 [-H 'Authorization: Basic ...']
        [--expect 200] [--warmup 2]

and prints one JSON object: sent, ok (status == --expect), errors, p50/p90/p99/max in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from bench.config import REPO

TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class FixedRateResult:
    """The outcome of one fixed-rate run."""

    rate: float
    seconds: float
    sent: int
    ok: int
    errors: int
    achieved_rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request and read its answer: (status, keep-alive)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status, headers.get("connection") != "close"

    def close(self) -> None:
        self.writer.close()


class Generator:
    """Sends `rate` requests a second for `seconds` over a pool of keep-alive connections."""

    def __init__(self, url: str, headers: list[str], *, connections: int, expect: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host}:{self.port}", *headers]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.expect = expect
        self.idle: list[_Conn] = []
        self.slots = asyncio.Semaphore(connections)

    async def _send(self) -> int | None:
        """One request on an idle connection (or a new one); its status, None on failure.

        A kept-alive connection the server closed while it sat idle (uvicorn closes them
        after 5 s) fails before any answer: that request is sent again on a new connection.
        """
        for attempt in range(2):
            conn = self.idle.pop() if self.idle and attempt == 0 else None
            reused = conn is not None
            try:
                if conn is None:
                    conn = _Conn(*await asyncio.open_connection(self.host, self.port))
                status, keep = await asyncio.wait_for(conn.exchange(self.request), TIMEOUT)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                if conn is not None:
                    conn.close()
                stale = isinstance(exc, ConnectionError) or not exc.partial
                if reused and stale:
                    continue
                return None
            except (OSError, TimeoutError, ValueError, IndexError):
                if conn is not None:
                    conn.close()
                return None
            if keep:
                self.idle.append(conn)
            else:
                conn.close()
            return status
        return None

    async def _one(self, due: float, latencies: list[float] | None, counts: dict[str, int]) -> None:
        async with self.slots:
            answer = await self._send()
        if answer is None:
            if latencies is not None:
                counts["errors"] += 1
            return
        status = answer
        if latencies is None:
            return
        if status == self.expect:
            counts["ok"] += 1
            latencies.append(time.perf_counter() - due)
        else:
            counts["errors"] += 1

    async def run(self, *, rate: float, seconds: float, warmup: float) -> FixedRateResult:
        latencies: list[float] = []
        counts = {"ok": 0, "errors": 0}
        tasks: set[asyncio.Task[None]] = set()
        total_warm, total = round(rate * warmup), round(rate * seconds)
        start = time.perf_counter() + 0.05
        for i in range(total_warm + total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            measured = latencies if i >= total_warm else None
            task = asyncio.create_task(self._one(due, measured, counts))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=TIMEOUT + 5)
        for task in tasks:
            task.cancel()
        for conn in self.idle:
            conn.close()
        latencies.sort()
        ms = [v * 1000 for v in latencies]
        return FixedRateResult(
            rate=rate,
            seconds=seconds,
            sent=total,
            ok=counts["ok"],
            errors=counts["errors"] + (total - counts["ok"] - counts["errors"]),
            achieved_rps=counts["ok"] / seconds if seconds else 0.0,
            p50_ms=percentile(ms, 50),
            p90_ms=percentile(ms, 90),
            p99_ms=percentile(ms, 99),
            max_ms=ms[-1] if ms else 0.0,
        )


def command(
    url: str,
    *,
    rate: float,
    seconds: float,
    headers: tuple[str, ...] = (),
    expect: int = 200,
    warmup: float = 0.0,
    connections: int = 64,
) -> list[str]:
    """The command line that runs the generator in its own process."""
    argv = [sys.executable, "-m", "bench.fixedrate", url, "--rate", str(rate)]
    argv += ["--seconds", str(seconds), "--expect", str(expect), "--warmup", str(warmup)]
    argv += ["--connections", str(connections)]
    for header in headers:
        argv += ["-H", header]
    return argv


def start(argv: list[str]) -> subprocess.Popen[str]:
    """Start a generator process (it ends by itself after warmup + seconds)."""
    return subprocess.Popen(  # noqa: S603  # our own command line
        argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], *, timeout: float) -> FixedRateResult:
    """Wait for a generator process and read its result; kill it if it overstays."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError("fixed-rate generator did not finish in time") from None
    if proc.returncode != 0:
        raise RuntimeError(f"fixed-rate generator failed: {err}")
    return FixedRateResult(**json.loads(out))


def run(argv: list[str], *, seconds: float) -> FixedRateResult:
    """Run a generator process to the end."""
    return finish(start(argv), timeout=seconds + TIMEOUT + 60)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixedrate", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=0.0, help="unmeasured seconds first")
    parser.add_argument("--expect", type=int, default=200, help="the status that counts as ok")
    parser.add_argument("--connections", type=int, default=64, help="most connections at once")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    gen = Generator(args.url, args.header, connections=args.connections, expect=args.expect)
    work = gen.run(rate=args.rate, seconds=args.seconds, warmup=args.warmup)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
