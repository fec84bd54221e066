"""Mouth-to-ear delay through the telephone bridge, both ways: a caller's voice to a browser
in the room, and the browser's voice to the caller.

    scripts/in-netns .venv/bin/python -m bench.phone_latency [--bursts 10]

Starts Janus, `onstream serve`, `onstream phone` and Chromium as the phone tests do
(`tests/phone/test_calls.py`), lets the host into a meeting, and makes two calls to the
bridge with SIPp at `sip:<access code>@`.

Caller to browser: SIPp sends one continuous G.711 stream: silence with a 440 Hz burst
every 2 s, written at a wall-clock time it logs just before it starts. The host's page
watches the caller's remote stream with a WebAudio analyser (time domain, 256 samples) and
notes when each burst arrives. Each burst's delay is its arrival minus its place in the
stream; the figure is their median (and the worst).

Browser to caller: Chromium's fake microphone plays a file with a 1 kHz burst every 2 s.
The page watches its own captured track (the one it publishes) the same way and notes when
each burst is captured. The second call's SDP names a UDP port of this script as the
caller's media address: each RTP packet the bridge sends there is timed on arrival and
decoded (G.711 u-law); a burst is heard at its packet's arrival plus its first loud
sample's place in the packet. Each burst's delay is heard minus captured.

What it includes: the packetisation, PJSIP's jitter buffer and G.711 codec, the bridge's
resampling and aiortc's Opus encoding (one way) or its Opus decoding and mix (the other),
Janus, Chromium's capture, encoding, jitter buffer and decode. What it leaves out: the
telephone network and the trunk, a real phone's own buffers (to the caller: the packets as
they arrive), and the output device (the page's analyser sees the audio as it is rendered).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from subprocess import Popen
from typing import Any

from tests.phone.callers import HOST, sipp_call_opening, sipp_hang_up
from tests.phone.test_calls import OWNER, Rig
from tests.support.browser import CHROMIUM
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

from onstream.janus.process import JanusProcess

SOX = shutil.which("sox") or "/usr/bin/sox"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
SILENCE_S = 1.5
BURST_S = 0.5
PERIOD_S = SILENCE_S + BURST_S
LEAD_S = 6.0
"""Silence before the first burst, so that the page has subscribed to the caller."""
ROOM_LEAD_S = 8.0
"""Time after the second call is answered before bursts count: the bridge's "joining"
prompt comes first."""

CAPTURED = """() => {
  window.__captured = [];
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const stream = await gum(c);
    if (stream.getAudioTracks().length) window.__captured.push(stream);
    return stream;
  };
}"""

WATCH_CAPTURED = """() => {
  const probe = window.__capture = {ctx: new AudioContext(), onsets: []};
  probe.ctx.resume();
  const analysers = [];
  for (const s of window.__captured) {
    const a = probe.ctx.createAnalyser();
    a.fftSize = 256;
    probe.ctx.createMediaStreamSource(s).connect(a);
    analysers.push(a);
  }
  let loud = false, quietSince = 0;
  const buf = new Float32Array(256);
  setInterval(() => {
    let rms = 0;
    for (const a of analysers) {
      a.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      rms = Math.max(rms, Math.sqrt(sum / buf.length));
    }
    const now = performance.timeOrigin + performance.now();
    if (rms > 0.02) {
      if (!loud && now - quietSince > 500) probe.onsets.push(now / 1000);
      loud = true;
    } else {
      if (loud) quietSince = now;
      loud = false;
    }
  }, 2);
}"""

WATCH = """() => {
  const probe = window.__latency = {ctx: new AudioContext(), onsets: [], seen: new Set()};
  probe.ctx.resume();
  let loud = false, quietSince = 0;
  const buf = new Float32Array(256);
  const analysers = [];
  setInterval(() => {
    for (const el of document.querySelectorAll('audio, video')) {
      const s = el.srcObject;
      if (!s || !s.getAudioTracks().length) continue;
      const id = s.getAudioTracks()[0].id;
      if (probe.seen.has(id)) continue;
      probe.seen.add(id);
      const a = probe.ctx.createAnalyser();
      a.fftSize = 256;
      probe.ctx.createMediaStreamSource(s).connect(a);
      analysers.push(a);
    }
    let rms = 0;
    for (const a of analysers) {
      a.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      rms = Math.max(rms, Math.sqrt(sum / buf.length));
    }
    const now = performance.timeOrigin + performance.now();
    if (rms > 0.02) {
      if (!loud && now - quietSince > 500) probe.onsets.push(now / 1000);
      loud = true;
    } else {
      if (loud) quietSince = now;
      loud = false;
    }
  }, 2);
}"""


def stream_file(folder: Path, bursts: int) -> Path:
    """Raw 8 kHz u-law: LEAD_S of silence, then `bursts` of silence and a 440 Hz burst."""
    raw = folder / "bursts.ulaw"
    period = ["synth", str(SILENCE_S), "sine", "0", "vol", "0", ":",
              "synth", str(BURST_S), "sine", "440", "vol", "0.5"]  # fmt: skip
    parts: list[str] = []
    for _ in range(bursts):
        parts += [":", *period]
    subprocess.run(  # noqa: S603  # our own command line
        [SOX, "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(raw),
         "synth", str(LEAD_S), "sine", "0", "vol", "0", *parts],
        check=True,
    )  # fmt: skip
    return raw


def scenario(folder: Path, raw: Path, seconds: float) -> Path:
    """A SIPp caller that dials the code directly, streams `raw` and hangs up after it."""
    times = folder / "sent.txt"
    text = (
        sipp_call_opening("+4930555509999", "latency caller")
        + f"""<nop><action><exec command="date +%s.%N > {times}"/>
<exec rtp_stream="{raw},1,0"/></action></nop>
<pause milliseconds="{int(seconds * 1000) + 1000}"/>
"""
        + sipp_hang_up("+4930555509999")
    )
    path = folder / "latency.xml"
    path.write_text(text)
    return path


def room_tone(folder: Path) -> Path:
    """The browser's fake microphone: a 1 kHz burst of BURST_S, then SILENCE_S (looped)."""
    path = folder / "room-bursts.wav"
    subprocess.run(  # noqa: S603  # our own command line
        [SOX, "-n", "-r", "48000", "-c", "1", "-b", "16", str(path),
         "synth", str(BURST_S), "sine", "1000", "vol", "0.5", ":",
         "synth", str(SILENCE_S), "sine", "0", "vol", "0"],
        check=True,
    )  # fmt: skip
    return path


class Listener:
    """The second call's ear: a UDP port the bridge sends the call's RTP to. Notes when
    each burst is heard (arrival of the packet plus the first loud sample's offset)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.5)
        self.port = int(self.sock.getsockname()[1])
        self.packets: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            self.packets.append((time.time(), data))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def onsets(self, threshold: int = 2000) -> list[float]:
        import numpy as np

        table = _ulaw_table()
        found: list[float] = []
        loud_until = 0.0
        for arrived, data in self.packets:
            payload = data[12 + 4 * (data[0] & 0x0F) :] if len(data) > 12 else b""
            if (data[1] & 0x7F) != 0 or not payload:
                continue
            samples = table[np.frombuffer(payload, dtype=np.uint8)]
            loud = np.nonzero(np.abs(samples) > threshold)[0]
            if loud.size == 0:
                continue
            at = arrived + float(loud[0]) / 8000
            if at - loud_until > 0.5:
                found.append(at)
            loud_until = arrived + float(loud[-1]) / 8000
        return found


def _ulaw_table() -> Any:
    import numpy as np

    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    magnitude = (((codes & 0x0F) << 3) + 0x84) << ((codes & 0x70) >> 4)
    return np.where(codes & 0x80, 0x84 - magnitude, magnitude - 0x84)


def listening_scenario(folder: Path, port: int, seconds: float) -> Path:
    """A SIPp caller that dials the code, names `port` as its media address, sends no
    media itself (so the bridge keeps sending there), and hangs up after `seconds`."""
    times = folder / "answered.txt"
    opening = sipp_call_opening("+4930555508888", "listening caller").replace(
        "m=audio [media_port] RTP/AVP 0", f"m=audio {port} RTP/AVP 0"
    )
    text = (
        opening
        + f"""<nop><action><exec command="date +%s.%N > {times}"/></action></nop>
<pause milliseconds="{int(seconds * 1000)}"/>
"""
        + sipp_hang_up("+4930555508888")
    )
    path = folder / "listening.xml"
    path.write_text(text)
    return path


def room_delays(answered: float, captured: list[float], heard: list[float]) -> list[float]:
    """Each captured burst (after the prompt) to the first burst the caller heard after
    it, within one period."""
    found = []
    for sent in captured:
        if sent < answered + ROOM_LEAD_S:
            continue
        later = [t - sent for t in heard if 0 <= t - sent < PERIOD_S * 0.75]
        if later:
            found.append(min(later))
    return found


def summary(label: str, found: list[float], of: int) -> str:
    ms = sorted(round(d * 1000) for d in found)
    return (
        f"{label}, {len(ms)} of {of} bursts: "
        f"median {statistics.median(ms):.0f} ms, worst {ms[-1]} ms, all {ms}"
    )


def delays(start: float, onsets: list[float], bursts: int) -> list[float]:
    """Each burst's arrival minus its place in the stream (bursts not heard are left out)."""
    found = []
    for k in range(bursts):
        sent = start + LEAD_S + k * PERIOD_S + SILENCE_S
        heard = [t - sent for t in onsets if 0 <= t - sent < PERIOD_S]
        if heard:
            found.append(min(heard))
    return found


def enter(rig: Rig, session: dict[str, Any]) -> Any:
    """The host's page in the room, its captured microphone noted (`CAPTURED`)."""
    link = str(session["host"])
    link = link.replace(link.split("/")[2], f"127.0.0.1:{rig.server.port}")
    context = rig.browser.new_context()
    context.add_init_script(f"({CAPTURED})()")
    page = context.new_page()
    page.goto(link)
    page.click("#enter")
    page.wait_for_url("**/room/**")
    return page


def sipp_run(
    work: Path, path: Path, sip_port: int, session: dict[str, Any], seconds: float
) -> None:
    """One SIPp call to `sip:<code>@bridge` with the scenario at `path`."""
    sipp = subprocess.run(  # noqa: S603  # our own command line
        [SIPP, f"{HOST}:{sip_port}", "-sf", str(path),
         "-s", str(session["code"]), "-m", "1", "-i", HOST, "-p", str(free_port()),
         "-mi", HOST, "-mp", str(free_port() & ~1), "-nostdin", "-nd", "-trace_err"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=seconds + 60, check=False, cwd=work,
    )  # fmt: skip
    if sipp.returncode != 0:
        raise SystemExit(f"sipp failed ({sipp.returncode}): {sipp.stdout}{sipp.stderr}")


@contextlib.contextmanager
def running(
    work: Path, processes: int = 1
) -> Iterator[tuple[Path, JanusProcess, ServerProcess, Popen[bytes], int]]:
    """Janus, `onstream serve` and `onstream phone` (`--processes`) in `work`, the owner's
    account made (`OWNER`, with the bridge); yields them and the bridge's first SIP port
    (its processes listen on the ports after it), stops them after."""
    janus = JanusProcess(work / "janus", recordings_dir=work / "recordings").start()
    sip_port = free_port()
    server = ServerProcess(
        workdir=work,
        database_url=f"sqlite:///{work / 'onstream.db'}",
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_SIP_ADDRESS": f"{HOST}:{sip_port}",
            "ONSTREAM_PHONE_PROMPTS_DIR": str(work / "prompts"),
        },
        port=free_port(),
    )
    login, password = OWNER
    added = server.cli("user", "add", login, "--email", "p@example.com",
                       "--password", password, "--phone-bridge")  # fmt: skip
    assert added.returncode == 0, added.stderr
    server.start()
    with (work / "phone.log").open("ab") as log:
        bridge = subprocess.Popen(  # noqa: S603  # our own command line
            [sys.executable, "-m", "onstream", "phone", "--processes", str(processes)],
            cwd=work, env=server.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: (
                (work / "phone.log").read_text(errors="replace").count("listening") >= processes
            ),
            what="the bridge listening",
        )
        yield work, janus, server, bridge, sip_port
    finally:
        bridge.terminate()
        bridge.wait(20)
        server.stop()
        janus.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="phone-latency-") as name,
        running(Path(name)) as (work, janus, server, bridge, sip_port),
    ):
        login, password = OWNER
        owner = server.api_client(login, password)
        browser_args = [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={room_tone(work)}",
            "--autoplay-policy=no-user-gesture-required",
            "--no-sandbox",
            "--disable-gpu",
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=browser_args)
            rig = Rig(work, janus, server, bridge, sip_port, browser, owner, owner)
            session = rig.session()
            page = enter(rig, session)
            page.evaluate(WATCH)
            raw = stream_file(work, args.bursts)
            seconds = LEAD_S + args.bursts * PERIOD_S
            sipp_run(work, scenario(work, raw, seconds), sip_port, session, seconds)
            onsets = [float(t) for t in page.evaluate("() => window.__latency.onsets")]
            start = float((work / "sent.txt").read_text().strip())
            found = delays(start, onsets, args.bursts)
            if not found:
                raise SystemExit(f"no burst reached the page (onsets {onsets})")
            print(summary("caller -> browser", found, args.bursts))

            page.evaluate(WATCH_CAPTURED)
            listener = Listener()
            seconds = ROOM_LEAD_S + args.bursts * PERIOD_S
            try:
                listening = listening_scenario(work, listener.port, seconds)
                sipp_run(work, listening, sip_port, session, seconds)
            finally:
                listener.stop()
            captured = [float(t) for t in page.evaluate("() => window.__capture.onsets")]
            browser.close()
        owner.close()
        answered = float((work / "answered.txt").read_text().strip())
        found = room_delays(answered, captured, listener.onsets())
        if not found:
            raise SystemExit(
                f"no burst reached the caller ({len(listener.packets)} packets, "
                f"captured {captured}, heard {listener.onsets()})"
            )
        print(summary("browser -> caller", found, args.bursts))


if __name__ == "__main__":
    main()
