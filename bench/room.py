"""Meeting room capacity: N people in one Janus VideoRoom, everybody publishing and watching.

    scripts/in-netns .venv/bin/python -m bench.room [--people 2,4,6,8] [--seconds 10]

For each N: a fresh session with N invitees (all participants) on one `onstream serve` and
one Janus, N Chromium pages (fake camera and microphone) opening their personal links and
pressing "enter". Once every page plays the N-1 others' video, or as many as it receives at
once (`--last-n`, `ONSTREAM_ROOM_LAST_N`; a bounded wait), it samples for `--seconds`:

* frames per second received per remote video: `getVideoPlaybackQuality().totalVideoFrames`
  deltas over the page's own clock, so a slow `evaluate` round trip does not skew them;
* Janus's CPU (utime + stime of its pid in /proc) and peak RSS;
* the CPU of every Chromium process this run started (their /proc entries, summed);
* the server's peak RSS (its process tree), and the whole machine's busy CPU, because the
  box may be shared and the other load explains a bad figure.

It prints one line per N, a markdown table, and writes bench/results/room.json.

Everything runs on this machine, so the browsers compete with Janus for the same cores: the
figure is what this box can host *with its own clients*, not what Janus alone can forward.
Janus gathers no ICE candidates on loopback alone, hence `scripts/in-netns` (a private
network namespace with a veth address); pages are opened on http://127.0.0.1 (a secure
origin for getUserMedia) and the media flows over the veth address.

`--browsers shared` (the default) opens the N people as N contexts of one Chromium;
`--browsers each` starts one Chromium per person. See `DEFAULT_BROWSERS` for why.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import orjson
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from bench.config import RESULTS
from bench.machine import cpu_model, memory_gib
from bench.memory import KIB, rss_kib
from bench.proc import CpuMeter, chromium_pids, janus_pid, machine_busy
from bench.servers import Server, base_env, free_port, onstream_argv
from onstream.janus.process import JanusProcess

CHROMIUM = "/usr/bin/chromium"
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
]
"""The browser tests' flags (tests/meetings/test_room.py): fake devices, no permission prompt."""

DEFAULT_BROWSERS = "shared"
"""One Chromium with N contexts. Measured at N=4 with 8 s samples on the 2-core box: one
Chromium per person ran 44 processes instead of 17, spent 164 % CPU instead of 154 %, and
received fewer frames (median 18.8 / min 17.6 fps against 19.2 / 19.1; full mesh after 18 s
against 13 s): the extra browser, GPU, network and audio processes are overhead that real
participants pay on *their own* machines, not on the server's. Each context still gets its
own renderer, where WebRTC encodes and decodes, so the per-person media work is the same;
`--browsers each` stays available to check that elsewhere."""

OWNER = ("bench", "bench-password-1")
RESULT_PATH = RESULTS / "room.json"

CONNECT_BASE_S = 30.0
CONNECT_PER_PERSON_S = 15.0
"""The wait for a full mesh: 30 s plus 15 s a person (the lab saw 19 s at 6, 85 s at 8)."""
SETTLE_S = 2.0
"""Seconds between the full mesh and the sample: the first seconds after a subscription
carry key-frame requests and bandwidth ramp-up, not the steady state."""
ROUND_SLACK_S = 120.0
"""On top of the connect wait and the sample: the hard limit of one N (SIGALRM), so a hung
page or server cannot stall the run."""
PAGE_TIMEOUT_MS = 30_000
FLOWING_FPS = 1.0
"""A remote video counts as flowing above this rate (below, it is frozen or not started)."""

FRAMES_JS = """() => {
  const out = {};
  for (const [mid, r] of Object.entries(onstreamRoom.remote)) {
    if (r.kind !== "video" || !r.el) continue;
    const q = r.el.getVideoPlaybackQuality();
    out[mid] = {feed: r.feed, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames,
                width: r.el.videoWidth, height: r.el.videoHeight,
                paused: !!r.el.closest(".video-paused")};
  }
  const limit = onstreamRoom.media && onstreamRoom.media.limit;
  return {at: performance.now(), videos: out, limit: limit || 999};
}"""
"""Every remote video of a page: its feed, frames so far, size, the page's clock (ms) and the
most videos it receives at once (last N)."""


class RoundTimeout(Exception):
    """One N took longer than its hard limit."""


# --- the rig --------------------------------------------------------------------------------


@dataclass
class Rig:
    """Janus, the server, Playwright and the owner's API client, for the whole run."""

    work: Path
    janus: JanusProcess
    server: Server
    owner: httpx.Client
    playwright: Playwright
    browsers_mode: str
    shared: Browser | None = None
    janus_version: str = ""
    chromium_version: str = ""

    def janus_pid(self) -> int:
        return janus_pid(self.janus.directory)

    def launch(self) -> Browser:
        # a silent microphone: Chromium's own beeps would make everybody the active speaker
        silent = f"--use-file-for-fake-audio-capture={self.work / 'silence.wav'}"
        return self.playwright.chromium.launch(executable_path=CHROMIUM, args=[*MEDIA_ARGS, silent])

    def session(self, people: int) -> list[str]:
        """A session that started a minute ago with `people` participants: their links."""
        start = datetime.now(UTC) - timedelta(minutes=1)
        invitees = [
            {"email": f"p{i}@example.com", "first_name": f"P{i}", "role": 2,
             "send_email_invitation": 0}
            for i in range(people)
        ]  # fmt: skip
        data = {
            "topic": f"Room bench, {people} people",
            "duration": 60,
            "timezone": "UTC",
            "start_time": f"{start:%Y-%m-%d %H:%M:%S}",
            "invited_participants": invitees,
        }
        body = {"input_type": "json", "rest_data": orjson.dumps(data).decode()}
        created = self.owner.put("session/format/json", data=body)
        if created.status_code != 201:
            raise RuntimeError(f"PUT session answered {created.status_code}: {created.text}")
        session_id = created.json()["id"]
        groups = self.owner.get(f"invitees/id/{session_id}/format/json").json()
        links = [p["personal_session_link"] for group in groups.values() for p in group]
        if len(links) != people:
            raise RuntimeError(f"{len(links)} invitee links for {people} people")
        here = f"127.0.0.1:{self.server.port}"  # a secure origin for getUserMedia
        return [link.replace(link.split("/")[2], here) for link in links]


@contextlib.contextmanager
def rig(browsers_mode: str, last_n: int | None = None) -> Iterator[Rig]:
    """Start Janus, the server and Playwright; stop all of them however the block ends."""
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-room-")))
        write_silence(work / "silence.wav")
        recordings = work / "recordings"
        janus = JanusProcess(work / "janus", recordings_dir=recordings).start()
        stack.callback(janus.stop)
        port = free_port()
        env = base_env(
            f"sqlite:///{work / 'onstream.db'}",
            {
                "ONSTREAM_JANUS_URLS": janus.url,
                "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
                "ONSTREAM_RECORDINGS_DIR": str(recordings),
                "ONSTREAM_BASE_URL": f"http://127.0.0.1:{port}",
                **({"ONSTREAM_ROOM_LAST_N": str(last_n)} if last_n else {}),
            },
        )
        login, password = OWNER
        added = subprocess.run(  # noqa: S603  # our own command line
            [sys.executable, "-m", "onstream", "user", "add", login,
             "--email", "bench@example.com", "--password", password],
            cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if added.returncode != 0:
            raise RuntimeError(f"onstream user add failed: {added.stderr}")
        # One worker: a room's signalling is light, and one process keeps the RSS figure simple.
        server = Server("onstream", onstream_argv(port, 1), env, port, work)
        stack.callback(server.stop)
        server.start()
        owner = stack.enter_context(
            httpx.Client(base_url=f"{server.base_url}/api/2/{login}/", auth=OWNER, timeout=30)
        )
        info = httpx.get(f"{janus.url}/info", timeout=5).json()
        playwright = stack.enter_context(sync_playwright())
        the_rig = Rig(work, janus, server, owner, playwright, browsers_mode)
        the_rig.janus_version = str(info.get("version_string", ""))
        if browsers_mode == "shared":
            the_rig.shared = the_rig.launch()
            stack.callback(the_rig.shared.close)
            the_rig.chromium_version = the_rig.shared.version
        yield the_rig


def write_silence(path: Path) -> None:
    """Two seconds of silence (48 kHz mono WAV) for the fake microphones."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(bytes(4 * 48_000))


# --- one room -------------------------------------------------------------------------------


@dataclass
class Person:
    """One participant's page and what it runs in."""

    context: BrowserContext
    page: Page
    browser: Browser | None = None
    """Their own Chromium, with `--browsers each`."""

    def close(self) -> None:
        """Leave the room (pagehide tells Janus), then close the context and its browser."""
        with contextlib.suppress(Exception):
            self.page.goto("about:blank", timeout=5_000)
        with contextlib.suppress(Exception):
            self.context.close()
        if self.browser is not None:
            with contextlib.suppress(Exception):
                self.browser.close()


@dataclass
class Round:
    """What one N measured."""

    people: int
    connected_s: float | None
    """From opening the first lobby to every page playing the N-1 others; None: timed out."""
    videos_expected: int
    videos_flowing: int
    fps_median: float | None
    fps_min: float | None
    fps_max: float | None
    frame_width_median: float | None
    janus_cpu_pct: float
    browsers_cpu_pct: float
    machine_cpu_pct: float
    """Busy share of all cores of the whole machine, including other people's work."""
    janus_rss_mb: float
    server_rss_mb: float
    sample_s: float
    browser_processes: int
    fps: list[float] = field(default_factory=list)
    error: str | None = None


def enter(the_rig: Rig, link: str) -> Person:
    """Open a lobby in a fresh context and press its button."""
    browser = the_rig.shared
    own = None
    if browser is None:
        browser = own = the_rig.launch()
        if not the_rig.chromium_version:
            the_rig.chromium_version = browser.version
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    person = Person(context, context.new_page(), own)
    try:
        person.page.goto(link)
        person.page.click("#enter")
        person.page.wait_for_url("**/room/**")
    except Exception:
        person.close()
        raise
    return person


def frames(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(FRAMES_JS)
    return result


def flowing_feeds(before: dict[str, Any], after: dict[str, Any]) -> set[int]:
    """Feeds whose video has a size and gained frames between two readings of one page."""
    return {
        v["feed"]
        for mid, v in after["videos"].items()
        if v["width"] > 0 and mid in before["videos"]
        and v["frames"] > before["videos"][mid]["frames"]
    }  # fmt: skip


def expected(n: int, reading: dict[str, Any]) -> int:
    """How many videos one page of a room of `n` receives: the others, or its last N."""
    return min(n - 1, int(reading.get("limit") or n))


def all_connected(people: list[Person]) -> bool:
    """Whether every page plays the video of all the others, or of as many as its last N
    (frames advancing over 0.5 s)."""
    before = [frames(p.page) for p in people]
    time.sleep(0.5)
    return all(
        len(flowing_feeds(a, frames(p.page))) >= expected(len(people), a)
        for p, a in zip(people, before, strict=True)
    )


def fps_of(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[float, int]]:
    """(frames per second, width) of every remote video seen in both readings."""
    seconds = (after["at"] - before["at"]) / 1000
    if seconds <= 0:
        return []
    return [
        ((v["frames"] - before["videos"][mid]["frames"]) / seconds, int(v["width"]))
        for mid, v in after["videos"].items()
        if mid in before["videos"] and not v.get("paused")  # beyond the last N: not received
    ]


def measure(the_rig: Rig, n: int, seconds: float) -> Round:
    """One room of `n` people: join, wait for the full mesh, sample, leave."""
    links = the_rig.session(n)
    people: list[Person] = []
    connect_limit = CONNECT_BASE_S + CONNECT_PER_PERSON_S * n
    try:
        started = time.monotonic()
        for link in links:
            people.append(enter(the_rig, link))
        connected_s: float | None = None
        deadline = started + connect_limit
        while time.monotonic() < deadline:
            if all_connected(people):
                connected_s = time.monotonic() - started
                break
            time.sleep(0.5)
        time.sleep(SETTLE_S)

        janus = the_rig.janus_pid()
        janus_cpu = CpuMeter(lambda: [janus])
        browsers_cpu = CpuMeter(chromium_pids)
        first = [frames(p.page) for p in people]
        busy0, total0 = machine_busy()
        janus_cpu.start()
        browsers_cpu.start()
        t0 = time.monotonic()
        janus_rss = server_rss = 0
        while (left := t0 + seconds - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            browsers_cpu.sample()  # before a process ends, keep what it used
            janus_rss = max(janus_rss, rss_kib(janus))
            server_rss = max(server_rss, sum(rss_kib(pid) for pid in the_rig.server.pids()))
        janus_cpu.sample()
        browsers_cpu.sample()
        elapsed = time.monotonic() - t0
        busy1, total1 = machine_busy()
        last = [frames(p.page) for p in people]
        processes = len(chromium_pids())
    finally:
        for person in people:
            person.close()

    measured = [x for a, b in zip(first, last, strict=True) for x in fps_of(a, b)]
    fps = sorted(round(f, 1) for f, _ in measured)
    widths = [w for _, w in measured]
    cores = os.cpu_count() or 1
    return Round(
        people=n,
        connected_s=round(connected_s, 1) if connected_s is not None else None,
        videos_expected=sum(expected(n, reading) for reading in first),
        videos_flowing=sum(1 for f in fps if f > FLOWING_FPS),
        fps_median=statistics.median(fps) if fps else None,
        fps_min=fps[0] if fps else None,
        fps_max=fps[-1] if fps else None,
        frame_width_median=statistics.median(widths) if widths else None,
        janus_cpu_pct=round(100 * janus_cpu.seconds() / elapsed, 1),
        browsers_cpu_pct=round(100 * browsers_cpu.seconds() / elapsed, 1),
        machine_cpu_pct=round(100 * cores * (busy1 - busy0) / max(total1 - total0, 1e-9), 1),
        janus_rss_mb=round(janus_rss * KIB / 1e6, 1),
        server_rss_mb=round(server_rss * KIB / 1e6, 1),
        sample_s=round(elapsed, 2),
        browser_processes=processes,
        fps=fps,
    )


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RoundTimeout in this (main) thread after `seconds`.

    Playwright's sync calls and page.evaluate have no overall limit of their own; SIGALRM
    interrupts whatever blocks, and the callers' cleanup still runs.
    """

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RoundTimeout(f"gave up after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- report ---------------------------------------------------------------------------------


def _num(x: float | None, fmt: str) -> str:
    return format(x, fmt) if x is not None else "-"


def progress(r: Round) -> str:
    """One console line for one N."""
    if r.error:
        return f"{r.people} people: failed: {r.error}"
    connected = f"{r.connected_s:.1f} s" if r.connected_s is not None else "never (timed out)"
    return (
        f"{r.people} people: full mesh after {connected}, {r.videos_flowing}/"
        f"{r.videos_expected} videos flowing, fps median {_num(r.fps_median, '.1f')} "
        f"min {_num(r.fps_min, '.1f')}, Janus {r.janus_cpu_pct:.1f} % CPU "
        f"{r.janus_rss_mb:.0f} MB, browsers {r.browsers_cpu_pct:.0f} % CPU "
        f"({r.browser_processes} processes), machine {r.machine_cpu_pct:.0f} %, "
        f"server {r.server_rss_mb:.0f} MB"
    )


def table(rounds: list[Round]) -> str:
    """The markdown table (CPU % of one core, as `top` shows it)."""
    lines = [
        "| people | connected in s | videos a page | fps median | fps min | width median "
        "| Janus CPU % | browsers CPU % | Janus RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rounds:
        if r.error:
            lines.append(f"| {r.people} | failed | - | - | - | - | - | - | - |")
            continue
        connected = _num(r.connected_s, ".1f") if r.connected_s is not None else "timeout"
        cells = [
            str(r.people),
            connected,
            f"{r.videos_flowing / r.people:.1f}",
            _num(r.fps_median, ".1f"),
            _num(r.fps_min, ".1f"),
            _num(r.frame_width_median, ".0f"),
            f"{r.janus_cpu_pct:.1f}",
            f"{r.browsers_cpu_pct:.0f}",
            f"{r.janus_rss_mb:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine(the_rig: Rig) -> dict[str, object]:
    """What the run was measured on, and how busy the machine was before it started."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "load_average": os.getloadavg(),
        "janus": the_rig.janus_version,
        "chromium": the_rig.chromium_version,
    }


def write_json(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


# --- main -----------------------------------------------------------------------------------


def in_namespace() -> bool:
    """Whether scripts/in-netns made this network namespace (its veth address is up)."""
    out = subprocess.run(  # fixed command line
        ["/usr/sbin/ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=10,
        check=False,
    )  # fmt: skip
    return "10.99.0.1" in out.stdout


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.room", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--people", default="2,4,6,8", help="room sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="sample length per size")
    parser.add_argument(
        "--browsers", choices=("shared", "each"), default=DEFAULT_BROWSERS,
        help="one Chromium with a context a person (shared) or one Chromium a person (each)",
    )  # fmt: skip
    parser.add_argument(
        "--last-n", type=int, default=None,
        help="ONSTREAM_ROOM_LAST_N: most videos a page receives (default: the server's)",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    args = parser.parse_args(argv)
    args.sizes = [int(x) for x in args.people.split(",") if x.strip()]
    if not args.sizes or min(args.sizes) < 2 or args.seconds <= 0:
        parser.error("--people needs sizes of 2 or more, --seconds a positive number")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not in_namespace():
        print("run it through scripts/in-netns (Janus needs a non-loopback address)", flush=True)
        return 2

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the cleanup of rig() and measure()

    signal.signal(signal.SIGTERM, terminate)
    began = time.monotonic()
    rounds: list[Round] = []
    with rig(args.browsers, args.last_n) as the_rig:
        info = machine(the_rig)
        print(f"{info['cpu']}, {info['cores']} cores, load {info['load_average']}, "
              f"Janus {info['janus']}, Chromium {info['chromium']}, browsers {args.browsers}",
              flush=True)  # fmt: skip
        for n in args.sizes:
            limit = CONNECT_BASE_S + CONNECT_PER_PERSON_S * n + args.seconds + ROUND_SLACK_S
            try:
                with time_limit(limit):
                    result = measure(the_rig, n, args.seconds)
            except Exception as failure:  # noqa: BLE001  # report it and go on with the next N
                result = Round(n, None, n * (n - 1), 0, None, None, None, None, 0, 0, 0, 0, 0,
                               0, 0, error=f"{type(failure).__name__}: {failure}")  # fmt: skip
            rounds.append(result)
            print(progress(result), flush=True)
            time.sleep(SETTLE_S)  # let Janus drop the last room's peers
        info["chromium"] = the_rig.chromium_version
    wall = time.monotonic() - began
    print()
    print(table(rounds))
    print(f"\nwall time {wall:.0f} s; CPU % is of one core ({os.cpu_count()} cores)")
    write_json(
        args.output,
        {
            "machine": info,
            "config": {"people": args.sizes, "seconds": args.seconds, "browsers": args.browsers,
                       "last_n": args.last_n,
                       "settle_s": SETTLE_S, "wall_s": round(wall, 1)},
            "rounds": [asdict(r) for r in rounds],
        },
    )  # fmt: skip
    print(f"wrote {args.output}")
    return 0 if all(r.error is None for r in rounds) else 1


if __name__ == "__main__":
    raise SystemExit(main())
