"""Callers per machine: how many telephone callers the bridge carries in one meeting.

    scripts/in-netns .venv/bin/python -m bench.phone_callers [--counts 1,2,3,4,5]
        [--processes P]

Starts Janus, `onstream serve` and `onstream phone --processes P`
(`bench.phone_latency.running`), then runs rounds: in each, SIPp calls the bridge N times
at once at `sip:<access code>@` of a new meeting, the calls spread evenly over the P
processes' ports, every call sending a continuous 440 Hz G.711 stream, holds the calls for
`HOLD_S` and hangs up. Every caller hears every other one: each is a publisher of the
meeting's VideoRoom, and Janus forwards each one's Opus audio to each other caller's
mix, N·(N-1) streams.

Per round it prints the machine's load average (other work on it changes every figure),
the CPU of the bridge processes together and of Janus (percent of one core, from
/proc, over the calls' middle `WINDOW_S`), and the audio the bridge itself saw, from its
log line at each hang-up: the share of voice frames to the callers that came up short
(a source had less than 20 ms queued when PJSIP's clock asked: the caller hears a gap in
that voice) and of the callers' frames dropped before Opus encoding (aiortc behind).
Rounds over `LIMIT_SHORT`, `LIMIT_DROPPED` or `LIMIT_CPU` are marked; the bench stops
after the first round in which not every call got in (PJSIP's ceiling of four calls a
process: 486 Busy Here).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.phone.callers import HOST, sipp_call_opening, sipp_hang_up
from tests.phone.test_calls import OWNER
from tests.support.api import ok, rest
from tests.support.server import free_port

from bench.phone_latency import SIPP, SOX, running
from bench.proc import cpu_seconds

HOLD_S = 30.0
WINDOW_S = 15.0
"""CPU is measured from `HOLD_S - WINDOW_S - 3` s after the calls start, when all are in."""
LIMIT_SHORT = 0.02
LIMIT_DROPPED = 0.01
LIMIT_CPU = 85.0
"""Percent of one core for the busiest bridge process: each is one Python process, bound
by one core in the end (all of them together by the machine's cores)."""
STATS = re.compile(
    r"call (\d+) in the meeting [\d.]+ s, bridge process CPU [\d.]+ % of a core meanwhile; "
    r"to the caller (\d+) voice frames, (\d+) short; from the caller (\d+) frames, (\d+) dropped"
)


@dataclass
class Round:
    callers: int
    joined: int
    bridge_cpu: float
    busiest_cpu: float
    janus_cpu: float
    voiced: int
    short: int
    frames: int
    dropped: int
    load: float

    def line(self) -> str:
        return (
            f"{self.callers:3d} callers: {self.joined:3d} in, bridge CPU {self.bridge_cpu:5.1f} %"
            f" (busiest process {self.busiest_cpu:5.1f} %),"
            f" Janus CPU {self.janus_cpu:5.1f} %, short frames to callers "
            f"{100 * self.short / max(self.voiced, 1):5.2f} %, callers' frames dropped "
            f"{100 * self.dropped / max(self.frames, 1):5.2f} %, load average {self.load:.1f}"
        )

    def broken(self) -> bool:
        return (
            self.joined < self.callers
            or self.short > LIMIT_SHORT * self.voiced
            or self.dropped > LIMIT_DROPPED * self.frames
            or self.busiest_cpu > LIMIT_CPU
        )


def bridge_pids(pid: int) -> list[int]:
    """The bridge's process and its child processes (`--processes`)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(child) for child in children)]


def tone(folder: Path) -> Path:
    """10 s of a quiet 440 Hz tone as raw 8 kHz u-law, which SIPp loops."""
    raw = folder / "tone.ulaw"
    subprocess.run(  # noqa: S603  # our own command line
        [SOX, "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(raw),
         "synth", "10", "sine", "440", "vol", "0.1"],
        check=True,
    )  # fmt: skip
    return raw


def scenario(folder: Path, raw: Path) -> Path:
    """A caller who dials the code, streams the tone in a loop, hangs up after HOLD_S."""
    opening = sipp_call_opening("+49305550[call_number]", "load caller").replace(
        "[media_port]", "[auto_media_port]"
    )
    text = (
        opening
        + f"""<nop><action><exec rtp_stream="{raw},-1,0"/></action></nop>
<pause milliseconds="{int(HOLD_S * 1000)}"/>
"""
        + sipp_hang_up("+49305550[call_number]")
    )
    path = folder / "load.xml"
    path.write_text(text)
    return path


def callers(
    work: Path, path: Path, code: int, port: int, calls: int, media_port: int
) -> subprocess.Popen[bytes]:
    """SIPp making `calls` calls at once to the bridge process on `port`."""
    return subprocess.Popen(  # noqa: S603  # our own command line
        [SIPP, f"{HOST}:{port}", "-sf", str(path), "-s", str(code),
         "-m", str(calls), "-l", str(calls), "-r", str(calls), "-rp", "1000",
         "-i", HOST, "-p", str(free_port()), "-mi", HOST, "-mp", str(media_port),
         "-nostdin", "-nd", "-trace_err"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        cwd=work,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1,2,3,4,5")
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    counts = [int(n) for n in args.counts.split(",")]
    processes = args.processes
    with (
        tempfile.TemporaryDirectory(prefix="phone-callers-") as name,
        running(Path(name), processes) as (work, janus, server, bridge, sip_port),
    ):
        pids = bridge_pids(bridge.pid)
        owner = server.api_client(*OWNER)
        path = scenario(work, tone(work))
        log = work / "phone.log"
        janus_pid = janus.pid
        assert janus_pid is not None
        for n in counts:
            start = datetime.now(UTC) - timedelta(minutes=1)
            data = {"topic": f"{n} callers", "duration": 30, "timezone": "UTC",
                    "start_time": f"{start:%Y-%m-%d %H:%M:%S}"}  # fmt: skip
            session_id = ok(rest(owner, "PUT", "session", data), 201)["id"]
            code = ok(owner.get(f"session/id/{session_id}/format/json"))["sessions"][0][
                "session_access_code"
            ]
            seen = len(log.read_text(errors="replace"))
            shares = [n // processes + (i < n % processes) for i in range(processes)]
            sipps = [
                callers(work, path, code, sip_port + i, k, 40000 + 1000 * i)
                for i, k in enumerate(shares)
                if k
            ]
            time.sleep(HOLD_S - WINDOW_S - 3)
            before = ([*map(cpu_seconds, pids)], cpu_seconds(janus_pid), time.monotonic())
            time.sleep(WINDOW_S)
            after = ([*map(cpu_seconds, pids)], cpu_seconds(janus_pid), time.monotonic())
            for sipp in sipps:
                try:
                    sipp.wait(HOLD_S + 30)
                except subprocess.TimeoutExpired:  # a caller told busy retries its INVITE
                    sipp.kill()
                    sipp.wait()
            time.sleep(3)  # the bridge logs each call as it hangs up
            stats = [
                tuple(int(g) for g in m.groups()[1:])
                for m in STATS.finditer(log.read_text(errors="replace")[seen:])
            ]
            wall = after[2] - before[2]
            result = Round(
                callers=n,
                joined=len(stats),
                bridge_cpu=100 * (sum(after[0]) - sum(before[0])) / wall,
                busiest_cpu=max(
                    100 * (a - b) / wall for a, b in zip(after[0], before[0], strict=True)
                ),
                janus_cpu=100 * (after[1] - before[1]) / wall,
                voiced=sum(s[0] for s in stats),
                short=sum(s[1] for s in stats),
                frames=sum(s[2] for s in stats),
                dropped=sum(s[3] for s in stats),
                load=os.getloadavg()[0],
            )
            print(result.line() + ("  <- over a limit" if result.broken() else ""), flush=True)
            if result.joined < n:
                told = log.read_text(errors="replace")[seen:].splitlines()
                trouble = [t for t in told if re.search(r"refused|fail|could not|rror", t)]
                busy = sum(
                    p.read_text(errors="replace").count("486 Busy Here")
                    for p in work.glob("load_*_errors.log")
                )
                print(f"limit: {n} callers: {n - result.joined} not let in", *trouble[:10],
                      f"(SIPp was told 486 Busy Here {busy} times)", sep="\n")  # fmt: skip
                break
        owner.close()


if __name__ == "__main__":
    main()
