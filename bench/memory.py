"""G7: the memory of the server's process tree, sampled from /proc while the suite runs.

RSS is summed over the supervisor and its workers (what `ps` shows added up; pages shared
between processes count once per process). PSS (proportional set size, from
/proc/PID/smaps_rollup) splits shared pages between the processes that map them, so its sum
is what the tree really costs the machine. Both maxima are kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

KIB = 1024


def _field_kib(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_kib(pid: int) -> int:
    """VmRSS of one process, in KiB (0 when it is gone)."""
    return _field_kib(Path(f"/proc/{pid}/status"), "VmRSS:")


def pss_kib(pid: int) -> int:
    """Pss of one process, in KiB (0 when it is gone or smaps_rollup is missing)."""
    return _field_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")


@dataclass
class Peak:
    """The largest sums seen for one label (one figure or one server)."""

    rss_kib: int = 0
    pss_kib: int = 0
    processes: int = 0
    samples: int = 0

    @property
    def rss_mb(self) -> float:
        return self.rss_kib * KIB / 1e6

    @property
    def pss_mb(self) -> float:
        return self.pss_kib * KIB / 1e6


@dataclass
class MemorySampler:
    """A daemon thread summing RSS and PSS of `pids()` every `interval` seconds."""

    interval: float = 0.25
    pids: Callable[[], list[int]] = field(default=lambda: [])
    label: str = "idle"
    overall: Peak = field(default_factory=Peak)
    by_label: dict[str, Peak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sample(self) -> None:
        """Take one sample now."""
        pids = self.pids()
        if not pids:
            return
        rss = sum(rss_kib(pid) for pid in pids)
        pss = sum(pss_kib(pid) for pid in pids)
        for peak in (self.overall, self.by_label.setdefault(self.label, Peak())):
            peak.samples += 1
            if rss > peak.rss_kib:
                peak.rss_kib, peak.processes = rss, len(pids)
            peak.pss_kib = max(peak.pss_kib, pss)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()
