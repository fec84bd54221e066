"""Mouth-to-ear delay through the telephone bridge: a caller's voice to a browser in the room.

    scripts/in-netns .venv/bin/python -m bench.phone_latency [--bursts 10]

Starts Janus, `onstream serve`, `onstream phone` and Chromium as the phone tests do
(`tests/phone/test_calls.py`), lets the host into a meeting, and calls the bridge with SIPp
at `sip:<access code>@`. SIPp sends one continuous G.711 stream: silence with a 440 Hz
burst every 2 s, written at a wall-clock time it logs just before it starts. The host's page
watches the caller's remote stream with a WebAudio analyser (time domain, 256 samples) and
notes when each burst arrives. Each burst's delay is its arrival minus its place in the
stream; the figure is their median (and the worst).

What it includes: SIPp's packetisation, PJSIP's jitter buffer and G.711 decode, the
bridge's resampling and aiortc's Opus encoding, Janus, Chromium's jitter buffer and decode.
What it leaves out: the telephone network and the trunk, a real phone's own buffers, and
the output device (the page's analyser sees the audio as it is rendered).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.phone.callers import HOST, sipp_call_opening
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
<send><![CDATA[

BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+4930555509999@[local_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
"""
    )
    path = folder / "latency.xml"
    path.write_text(text)
    return path


def delays(start: float, onsets: list[float], bursts: int) -> list[float]:
    """Each burst's arrival minus its place in the stream (bursts not heard are left out)."""
    found = []
    for k in range(bursts):
        sent = start + LEAD_S + k * PERIOD_S + SILENCE_S
        heard = [t - sent for t in onsets if 0 <= t - sent < PERIOD_S]
        if heard:
            found.append(min(heard))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="phone-latency-") as name:
        work = Path(name)
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
            bridge = subprocess.Popen(
                [sys.executable, "-m", "onstream", "phone"],
                cwd=work, env=server.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_until(
                lambda: "listening" in (work / "phone.log").read_text(errors="replace"),
                what="the bridge listening",
            )
            owner = server.api_client(login, password)
            browser_args = [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                "--no-sandbox",
                "--disable-gpu",
            ]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=browser_args)
                rig = Rig(work, janus, server, bridge, sip_port, browser, owner, owner)
                session = rig.session()
                page = rig.enter_as_host(session)
                page.evaluate(WATCH)
                raw = stream_file(work, args.bursts)
                seconds = LEAD_S + args.bursts * PERIOD_S
                sipp = subprocess.run(  # noqa: S603  # our own command line
                    [SIPP, f"{HOST}:{sip_port}", "-sf", str(scenario(work, raw, seconds)),
                     "-s", str(session["code"]), "-m", "1", "-i", HOST, "-p", str(free_port()),
                     "-mi", HOST, "-mp", str(free_port() & ~1), "-nostdin", "-nd",
                     "-trace_err"],
                    stdin=subprocess.DEVNULL, capture_output=True, text=True,
                    timeout=seconds + 60, check=False, cwd=work,
                )  # fmt: skip
                onsets = [float(t) for t in page.evaluate("() => window.__latency.onsets")]
                browser.close()
            owner.close()
            if sipp.returncode != 0:
                raise SystemExit(f"sipp failed ({sipp.returncode}): {sipp.stdout}{sipp.stderr}")
            start = float((work / "sent.txt").read_text().strip())
            found = delays(start, onsets, args.bursts)
            if not found:
                raise SystemExit(f"no burst reached the page (onsets {onsets})")
            ms = sorted(round(d * 1000) for d in found)
            median = statistics.median(ms)
            print(
                f"caller -> browser, {len(ms)} of {args.bursts} bursts: "
                f"median {median:.0f} ms, worst {ms[-1]} ms, all {ms}"
            )
        finally:
            bridge.terminate()
            bridge.wait(20)
            server.stop()
            janus.stop()


if __name__ == "__main__":
    main()
