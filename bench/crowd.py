"""One real Chromium in a crowded room: what a page pays when 30 people are in it.

    scripts/in-netns .venv/bin/python -m bench.crowd [--video 9] [--audio 20] [--seconds 20]
        [--settle 15] [--cores 4]

One Janus and one `onstream serve` (one worker, the server's default last N), a session of
`--video + --audio + 1` participants (role 2). The synthetic participants are aiortc peers in
a worker process (`python -m bench.crowd --worker`), each joining as the room page does
(lobby POST, the room's `join` config, Janus through the relay) and publishing as a
participant: `--video` of them a pre-encoded VP8 clip (bench.viewers: one 640x360 layer,
30 fps, 500 kbit/s) and Opus silence, the other `--audio` Opus silence only; nothing is
encoded and they subscribe to nobody. Silence keeps the active-speaker choice out of the
figure: the page keeps the videos it picked first.

Then one real Chromium (Debian's, the browser tests' flags plus a fake camera and a silent
fake microphone) opens the last link, presses "enter", and after `--settle` seconds is
sampled for `--seconds`, from getStats of every RTCPeerConnection of the page (a wrapper
installed before the page's scripts):

* the video streams it decodes (framesDecoded grows), to hold against last N + 1;
* frames per second decoded per video (median, min) and shown (`getVideoPlaybackQuality`);
* its downlink: bytes received by its transports, kbit/s;
* the CPU of its Chromium processes (/proc utime + stime, % of one core), Janus's, the peers'
  and the machine's busy share and load average.

A page on 2 cores or fewer is a weak device (last N at most 6, one simulcast layer less);
`--cores 4` makes the page believe it has 4, so the server's last N applies.

It prints a table and writes bench/results/crowd.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.config import RESULTS
from bench.proc import CpuMeter, chromium_pids, cpu_seconds, janus_pid, machine_busy
from bench.room import write_silence
from bench.viewers import JanusSession, clip_track, encode_clip, enter, jsep_of, rig

RESULT_PATH = RESULTS / "crowd.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]  # fmt: skip
"""tests/support/browser.py's flags and the fake devices of the media tests."""

WRAP_JS = """(() => {
  const Original = window.RTCPeerConnection;
  window.benchPcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.benchPcs.push(this); }
  };
})();"""
"""Installed before the page's scripts: keeps every peer connection for getStats."""

CORES_JS = """Object.defineProperty(navigator, "hardwareConcurrency", {get: () => %d});"""
"""`--cores`: the page believes it has this many cores (2 or fewer is a weak device: last N
at most 6, one simulcast layer less)."""

STATS_JS = """async () => {
  const videos = {}; let bytes = 0;
  for (const [i, pc] of window.benchPcs.entries()) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "transport") bytes += s.bytesReceived || 0;
      if (s.type === "inbound-rtp" && s.kind === "video") {
        videos[i + ":" + s.mid] = {frames: s.framesDecoded || 0, width: s.frameWidth || 0};
      }
    });
  }
  const shown = {};
  for (const [mid, r] of Object.entries(onstreamRoom.remote)) {
    if (r.kind === "video" && r.el) shown[mid] = r.el.getVideoPlaybackQuality().totalVideoFrames;
  }
  const tiles = document.querySelectorAll("#stage .tile");
  const onPage = [...tiles].filter((el) => !el.classList.contains("off-page"));
  return {at: performance.now(), videos, bytes, shown, pcs: window.benchPcs.length,
          tiles: tiles.length, tiles_on_page: onPage.length,
          chosen: (await window.onstreamRoomVideo()).chosen.video.length};
}"""


# --- the synthetic participants (worker process) ----------------------------------------------


def encode_silence(path: Path) -> list[bytes]:
    """Ten seconds of Opus silence in 20 ms packets: its packets."""
    import av

    if not path.exists():
        subprocess.run(  # noqa: S603  # our own command line
            [shutil.which("ffmpeg") or "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             "anullsrc=r=48000:cl=mono", "-t", "10", "-c:a", "libopus", "-b:a", "32k",
             "-frame_duration", "20", str(path)],
            check=True, timeout=60,
        )  # fmt: skip
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def opus_track(packets: list[bytes]) -> Any:
    """An audio track handing out the Opus packets every 20 ms, looping, never encoding."""
    import av
    from aiortc import MediaStreamTrack

    class Silence(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.start = 0.0
            self.index = 0

        async def recv(self) -> Any:
            if not self.start:
                self.start = time.monotonic()
            await asyncio.sleep(max(0.0, self.start + self.index * 0.02 - time.monotonic()))
            packet = av.Packet(packets[self.index % len(packets)])
            packet.pts = self.index * 960
            packet.time_base = Fraction(1, 48000)
            self.index += 1
            return packet

    return Silence()


async def publish(
    http: httpx.AsyncClient, base: str, link: str, clip: list[Any] | None, audio: list[bytes]
) -> tuple[Any, JanusSession]:
    """One participant joins and publishes Opus silence, and the clip when given."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

    config = await enter(http, base, link)
    session = JanusSession(http, config["janus"])
    await session.create()
    handle = await session.attach()
    await session.message(
        handle,
        {"request": "join", "ptype": "publisher", "room": config["room"],
         "id": config["participant"], "display": config["name"], "token": config["token"]},
    )  # fmt: skip
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(opus_track(audio), direction="sendonly")
    if clip is not None:
        track = clip_track(clip)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        track.sender = transceiver.sender
        vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name == "VP8"]
        transceiver.setCodecPreferences(vp8)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await session.message(
        handle,
        {"request": "configure", "audio": True, "video": clip is not None},
        jsep_of(pc.localDescription),
    )
    await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
    return pc, session


async def run_worker() -> None:
    """One JSON job line on stdin (base, video links, audio links); joins everybody, prints
    "ready N" (N joined) or errors, and leaves on the next line."""
    job = orjson.loads(sys.stdin.buffer.readline())
    clip = encode_clip(RESULTS / "viewers-clip.webm")
    audio = encode_silence(RESULTS / "crowd-silence.ogg")
    joined: list[tuple[Any, JanusSession]] = []
    errors: list[str] = []
    timeout = httpx.Timeout(30.0, read=70.0)
    async with httpx.AsyncClient(timeout=timeout) as http:
        people = [(link, clip) for link in job["video"]] + [(link, None) for link in job["audio"]]
        for link, with_clip in people:  # one after another, as people trickle in
            try:
                joined.append(await publish(http, job["base"], link, with_clip, audio))
            except Exception as exc:  # noqa: BLE001  # reported
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        sys.stdout.write(orjson.dumps({"joined": len(joined), "errors": errors}).decode() + "\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for pc, session in joined:
            with contextlib.suppress(Exception):
                await pc.close()
            await session.destroy()


# --- the room and the real page ---------------------------------------------------------------


def session_links(owner: httpx.Client, people: int) -> list[str]:
    """A session that started a minute ago with `people` participants: their links."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    invitees = [
        {"email": f"p{i}@example.com", "first_name": f"P{i}", "role": 2,
         "send_email_invitation": 0}
        for i in range(people)
    ]  # fmt: skip
    data = {
        "topic": f"Crowd bench, {people} people", "duration": 120, "timezone": "UTC",
        "start_time": f"{start:%Y-%m-%d %H:%M:%S}", "invited_participants": invitees,
    }  # fmt: skip
    body = {"input_type": "json", "rest_data": orjson.dumps(data).decode()}
    created = owner.put("session/format/json", data=body)
    if created.status_code != 201:
        raise RuntimeError(f"PUT session answered {created.status_code}: {created.text}")
    groups = owner.get(f"invitees/id/{created.json()['id']}/format/json").json()
    return [p["personal_session_link"] for group in groups.values() for p in group]


def rates(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """What the page did between two readings of STATS_JS."""
    seconds = (last["at"] - first["at"]) / 1000
    decoded = [
        (v["frames"] - first["videos"][key]["frames"]) / seconds
        for key, v in last["videos"].items()
        if key in first["videos"]
    ]
    decoding = sorted(f for f in decoded if f > 1.0)
    shown = sorted(
        (n - first["shown"][mid]) / seconds
        for mid, n in last["shown"].items()
        if mid in first["shown"] and n > first["shown"][mid]
    )
    widths = [v["width"] for v in last["videos"].values() if v["width"]]
    return {
        "videos_decoding": len(decoding),
        "video_streams": len(last["videos"]),
        "fps_decoded_median": round(statistics.median(decoding), 1) if decoding else None,
        "fps_decoded_min": round(decoding[0], 1) if decoding else None,
        "fps_shown_median": round(statistics.median(shown), 1) if shown else None,
        "width_median": statistics.median(widths) if widths else None,
        "downlink_kbps": round(8 * (last["bytes"] - first["bytes"]) / seconds / 1000),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    people = args.video + args.audio + 1
    with rig() as the_rig:
        links = session_links(the_rig.owner, people)
        here = f"127.0.0.1:{the_rig.server.port}"
        links = [link.replace(link.split("/")[2], here) for link in links]
        base = the_rig.server.base_url
        job = {"base": base, "video": links[: args.video],
               "audio": links[args.video : args.video + args.audio]}  # fmt: skip
        began = time.monotonic()
        worker = subprocess.Popen(  # our own command line
            [sys.executable, "-m", "bench.crowd", "--worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert worker.stdin is not None
        assert worker.stdout is not None
        try:
            worker.stdin.write(orjson.dumps(job) + b"\n")
            worker.stdin.flush()
            synthetic = orjson.loads(worker.stdout.readline())
            joined_s = time.monotonic() - began
            print(f"synthetic: {synthetic} in {joined_s:.1f} s", flush=True)
            write_silence(the_rig.work / "silence.wav")
            silent = f"--use-file-for-fake-audio-capture={the_rig.work / 'silence.wav'}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, silent]
                )
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.add_init_script(WRAP_JS)
                if args.cores:
                    context.add_init_script(CORES_JS % args.cores)
                page = context.new_page()
                page.goto(links[-1])
                page.click("#enter")
                page.wait_for_url("**/room/**")
                time.sleep(args.settle)
                janus = janus_pid(the_rig.janus.directory)
                janus_cpu = CpuMeter(lambda: [janus])
                browser_cpu = CpuMeter(chromium_pids)
                peers0 = cpu_seconds(worker.pid)
                busy0, total0 = machine_busy()
                first = page.evaluate(STATS_JS)
                janus_cpu.start()
                browser_cpu.start()
                t0 = time.monotonic()
                while (left := t0 + args.seconds - time.monotonic()) > 0:
                    time.sleep(min(1.0, left))
                    browser_cpu.sample()
                janus_cpu.sample()
                browser_cpu.sample()
                elapsed = time.monotonic() - t0
                last = page.evaluate(STATS_JS)
                busy1, total1 = machine_busy()
                peers = cpu_seconds(worker.pid) - peers0
                last_n = page.evaluate("() => onstreamRoom.media && onstreamRoom.media.limit")
                chromium = browser.version
                with contextlib.suppress(Exception):
                    page.goto("about:blank", timeout=5_000)
                browser.close()
        finally:
            worker.stdin.write(b"stop\n")
            worker.stdin.flush()
            worker.wait(timeout=60)
        cores = os.cpu_count() or 1
        return {
            "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": platform.node(), "cores": cores, "chromium": chromium,
            "people": people, "page_cores": args.cores or cores, "video_publishers": args.video + 1,
            "synthetic_joined": synthetic["joined"], "synthetic_errors": synthetic["errors"][:5],
            "synthetic_join_s": round(joined_s, 1), "last_n": last_n,
            "peer_connections": last["pcs"], "tiles": last["tiles"],
            "tiles_on_page": last["tiles_on_page"], "videos_chosen": last["chosen"],
            **rates(first, last),
            "chromium_cpu_pct": round(100 * browser_cpu.seconds() / elapsed, 1),
            "janus_cpu_pct": round(100 * janus_cpu.seconds() / elapsed, 1),
            "peers_cpu_pct": round(100 * peers / elapsed, 1),
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1e-9), 1),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "sample_s": round(elapsed, 1),
        }  # fmt: skip


def table(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| people (video) | page cores | last N | videos decoded | fps decoded median / min "
            "| fps shown median | width median | downlink kbit/s | Chromium CPU | Janus CPU "
            "| peers CPU | machine busy | load average |",
            "| --- |" + " ---: |" * 11 + " --- |",
            f"| {r['people']} ({r['video_publishers']}) | {r['page_cores']} | {r['last_n']} | "
            f"{r['videos_decoding']} of {r['video_streams']} | "
            f"{r['fps_decoded_median']} / {r['fps_decoded_min']} | {r['fps_shown_median']} | "
            f"{r['width_median']} | {r['downlink_kbps']} | {r['chromium_cpu_pct']} % | "
            f"{r['janus_cpu_pct']} % | {r['peers_cpu_pct']} % | {r['machine_busy_pct']} % | "
            f"{' / '.join(str(x) for x in r['load_average'])} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crowd", description=__doc__)
    parser.add_argument("--video", type=int, default=9, help="synthetic video+audio publishers")
    parser.add_argument("--audio", type=int, default=20, help="synthetic audio-only publishers")
    parser.add_argument("--seconds", type=float, default=20.0, help="sample window")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds in the room first")
    parser.add_argument(
        "--cores", type=int, default=0,
        help="navigator.hardwareConcurrency the page sees (default: the machine's)",
    )  # fmt: skip
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(run_worker())
        return 0
    result = measure(args)
    print(json.dumps(result), flush=True)
    print(table(result))
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
