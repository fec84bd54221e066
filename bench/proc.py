"""CPU time of processes, read from /proc: what every bench that names a process's share of
a core (a server, Janus, the bridge, Chromium) samples before and after its window."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from bench.servers import process_tree

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads) so far, in seconds; 0 when it is gone."""
    try:
        return _stat_seconds(pid)
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """`cpu_seconds` of each process still there, by pid: one that is gone is left out, so a
    difference over a window does not count a vanished process as having used nothing."""
    found = {}
    for pid in pids:
        try:
            found[pid] = _stat_seconds(pid)
        except (OSError, ValueError, IndexError):
            continue
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def executable(pid: int) -> str:
    """The program a process runs ('' when it is gone)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def chromium_pids() -> list[int]:
    """Chromium processes this run started (descendants of this process, via the Playwright
    driver): other people's browsers on a shared machine are not counted."""
    return [pid for pid in process_tree(os.getpid()) if "chromium" in executable(pid)]


def janus_pid(directory: Path) -> int:
    """The pid of the Janus running with `-F directory`.

    JanusProcess keeps its Popen private; its command line names its own config folder,
    which no other Janus uses, so /proc finds it without relying on that attribute.
    """
    wanted = str(directory.resolve())
    for pid in process_tree(os.getpid()):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv]
        if "-F" in args and wanted in args:
            return pid
    raise RuntimeError(f"no Janus process runs with -F {wanted}")


class CpuMeter:
    """CPU seconds of a changing set of processes between `start()` and `stop()`.

    Chromium starts and ends processes while a room runs; a process seen only at the end
    counts from zero, one gone by the end keeps its last reading.
    """

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}

    def _read(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in self._pids()}

    def start(self) -> None:
        self._first = self._read()
        self._last = dict(self._first)

    def sample(self) -> None:
        self._last.update(self._read())

    def seconds(self) -> float:
        return sum(v - self._first.get(pid, 0.0) for pid, v in self._last.items())
