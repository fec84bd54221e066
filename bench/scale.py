"""Rooms at scale, one full run: the five figures of the rooms' results table, with goals.

    scripts/in-netns .venv/bin/python -m bench.scale [--skip-recording]

Runs, one after the other on this machine, each as its own command (so each starts from a
clean room, Janus and server):

1. `bench.crowd`: a real Chromium in a 30-person room (10 cameras, everyone a microphone);
2. `bench.viewers --viewers 100 --storm 100 --signalling wsrelay,relay`: viewers one Janus
   serves watching one presenter, and a storm of 100 joins within 10 s through the page's
   WebSocket relay and through the long polls it falls back to;
3. `bench.viewers --servers 2 --per-janus 50 --viewers 100 --storm 0`: one room's 100
   viewers spread over two Janus processes;
4. `bench.recordings --minutes 30 --people 4`: time to a playable recording and to the
   composed file (about 8 minutes on this machine; `--skip-recording` leaves it out),

then prints one table, each figure beside its goal, and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.config import RESULTS

JITSI_PER_STREAM_PCT = 0.08
"""Jitsi's published figure: 1,000+ video streams at about 20 % of a quad-core Xeon."""


def run(module: str, *args: str) -> float:
    """Run `python -m bench.<module> args`, its output shown as it comes; its seconds."""
    print(f"== bench.{module} {' '.join(args)}", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", f"bench.{module}", *args], check=True)  # noqa: S603
    return time.monotonic() - started


def read(name: str) -> Any:
    return orjson.loads((RESULTS / name).read_bytes())


def rows(crowd: Any, viewers: Any, cascade: Any, recording: Any | None) -> list[list[str]]:
    """(what, figure, goal, met) for each measure."""
    out = [
        [
            "a real Chromium in a 30-person room (10 cameras)",
            f"decodes {crowd['videos_decoding']} of {crowd['video_streams']} videos (last N "
            f"{crowd['last_n']}), shows {crowd['fps_shown_median']} fps, "
            f"{crowd['downlink_kbps']} kbit/s down, {crowd['chromium_cpu_pct']} % CPU",
            "≤ N + 1 videos, ≥ 24 fps",
            _met(
                crowd["videos_decoding"] <= crowd["last_n"] + 1
                and (crowd["fps_shown_median"] or 0) >= 24
            ),
        ]
    ]
    for r in viewers["rounds"]:
        first = r["first_frame_s"] or {}
        per_stream = r["janus_per_stream_pct"]
        out.append(
            [
                f"{r['viewers']} viewers joining in {r['spread_s']:g} s ({r['signalling']})",
                f"{r['joined']} joined, {r['full_rate']} at full rate; first frame p50 "
                f"{first.get('p50')} s, p99 {first.get('p99')} s; Onstream "
                f"{r['cpu_joins']['onstream']} % while joining; Janus {r['cpu_steady']['janus']} %"
                f" = {per_stream} % a stream",
                f"p99 < 3 s; ≤ {2 * JITSI_PER_STREAM_PCT:.2f} % a stream",
                _met((first.get("p99") or 99) < 3)
                + " / "
                + _met(per_stream <= 2 * JITSI_PER_STREAM_PCT),
            ]
        )
    for r in cascade["rounds"]:
        servers = r["per_server"]
        out.append(
            [
                f"{r['viewers']} viewers of one room over {len(servers)} Janus processes",
                "; ".join(
                    f"Janus {n}: {on['viewers']} placed, {on['full_rate']} at full rate, "
                    f"{on['janus_cpu']} % CPU"
                    for n, on in servers.items()
                ),
                "each server's viewers receive the presenter",
                _met(all(on["viewers"] > 0 and on["full_rate"] > 0 for on in servers.values())),
            ]
        )
    if recording is not None:
        out.append(
            [
                f"a {recording['meeting_seconds'] / 60:.0f}-minute {recording['people']}-person "
                "recording",
                f"playable after {recording['playable_seconds']:.1f} s, composed file after "
                f"{recording['composed_seconds']:.0f} s "
                f"({recording['real_time_factor']:.2f}x real time)",
                "playable < 60 s",
                _met(recording["playable_seconds"] < 60),
            ]
        )
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--skip-recording", action="store_true")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    seconds = {"crowd": run("crowd")}
    seconds["viewers"] = run(
        "viewers", "--viewers", "100", "--storm", "100", "--signalling", "wsrelay,relay"
    )
    seconds["cascade"] = run(
        "viewers", "--servers", "2", "--per-janus", "50", "--viewers", "100", "--storm", "0"
    )
    recording = None
    if not args.skip_recording:
        seconds["recording"] = run("recordings", "--minutes", "30", "--people", "4")
        recording = read("recordings.json")
    table = rows(read("crowd.json"), read("viewers.json"), read("viewers-2-janus.json"), recording)
    print(f"\nRooms at scale, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| measure | figure | goal | result |\n| --- | --- | --- | --- |")
    for what, figure, goal, met in table:
        print(f"| {what} | {figure} | {goal} | {met} |")
    (RESULTS / "scale.json").write_text(
        json.dumps({"at": started.isoformat(), "seconds": seconds, "rows": table}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
