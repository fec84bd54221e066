"""Closed-loop load with wrk: a warm-up run, then `runs` measured runs, median of each number.

wrk keeps `connections` requests in flight and sends the next one as soon as an answer
arrives (closed loop), so requests/s is the server's throughput at that concurrency and the
latencies include the queueing it causes. Each run's numbers come from lua/report.lua, a
`done()` hook that prints wrk's own histogram percentiles as JSON; `--latency` is passed too,
so the text output in the log has the usual distribution.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench.config import LUA
from bench.proc import cpu_by_pid

MARK = "BENCH_JSON "


@dataclass(frozen=True, slots=True)
class Run:
    """One wrk run."""

    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    status_errors: int
    socket_errors: int
    process_cpu_s: tuple[float, ...] = ()
    """CPU seconds each server process used during the run (how the work was split)."""


CpuProbe = Callable[[], dict[int, float]]
"""CPU seconds used so far by each process of the server under test, by pid."""


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process from /proc/PID/stat, in seconds."""
    return cpu_by_pid(pids)


@dataclass(frozen=True, slots=True)
class Load:
    """What to send: URL, headers, and an optional request script from lua/."""

    url: str
    headers: tuple[str, ...] = ()
    script: str | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """The median of the runs of one figure, and every run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: tuple[Run, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "errors": self.errors,
            "runs": [asdict(r) for r in self.runs],
        }


def _script(load: Load, folder: Path) -> Path:
    parts = [(LUA / load.script).read_text()] if load.script else []
    parts.append((LUA / "report.lua").read_text())
    path = folder / "run.lua"
    path.write_text("\n".join(parts))
    return path


def wrk_once(
    load: Load, *, seconds: float, connections: int, threads: int, log: Path | None = None
) -> Run:
    """One wrk run of `seconds` against `load`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        argv = [wrk, "--latency", "-t", str(threads), "-c", str(connections)]
        argv += ["-d", f"{max(1, round(seconds))}s", "--timeout", "30s"]
        for header in load.headers:
            argv += ["-H", header]
        argv += ["-s", str(_script(load, Path(folder))), load.url]
        out = subprocess.run(  # noqa: S603  # our own command line
            argv, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    if log is not None:
        with log.open("a") as f:
            f.write(f"$ wrk ... {load.url}\n{out.stdout}{out.stderr}\n")
    line = next((s for s in out.stdout.splitlines() if s.startswith(MARK)), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    data = json.loads(line.removeprefix(MARK))
    seconds_run = data["duration_us"] / 1e6
    return Run(
        rps=data["requests"] / seconds_run if seconds_run else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        requests=int(data["requests"]),
        status_errors=int(data["status_errors"]),
        socket_errors=int(
            data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
        ),
    )


def measure(
    load: Load,
    *,
    warmup: float,
    runs: int,
    seconds: float,
    connections: int,
    threads: int,
    log: Path | None = None,
    cpu: CpuProbe | None = None,
) -> Measured:
    """Warm up, then the median of `runs` runs (errors are added up over the measured runs)."""
    if warmup > 0:
        wrk_once(load, seconds=warmup, connections=connections, threads=threads, log=log)
    done = [
        measured_run(
            load, seconds=seconds, connections=connections, threads=threads, log=log, cpu=cpu
        )
        for _ in range(runs)
    ]
    return median_of(done)


def measured_run(
    load: Load,
    *,
    seconds: float,
    connections: int,
    threads: int,
    log: Path | None = None,
    cpu: CpuProbe | None = None,
) -> Run:
    """One run, with the CPU seconds each server process spent during it."""
    before = cpu() if cpu else {}
    run = wrk_once(load, seconds=seconds, connections=connections, threads=threads, log=log)
    after = cpu() if cpu else {}
    used = tuple(round(after[pid] - before.get(pid, 0.0), 2) for pid in sorted(after))
    return replace(run, process_cpu_s=used)


def median_of(done: list[Run]) -> Measured:
    """The median of each number over the runs (errors added up)."""
    return Measured(
        rps=statistics.median(r.rps for r in done),
        p50_ms=statistics.median(r.p50_ms for r in done),
        p99_ms=statistics.median(r.p99_ms for r in done),
        errors=sum(r.status_errors + r.socket_errors for r in done),
        runs=tuple(done),
    )
