"""The telephone bridge with real parts: Janus, `onstream serve`, `onstream phone`, SIPp and
baresip as phones, and Chromium in the room with a fake microphone.

All SIP and RTP runs inside the private network namespace of `scripts/in-netns` (the bridge
and the phones on 10.99.0.1), like the room's other media tests: `scripts/test` runs them
with `-m media`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.phone.callers import HOST, Baresip, dominant_hz, sipp_call
from tests.support.api import ok, rest
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

from onstream.janus.process import JanusProcess

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
OWNER = ("paula", "paula-password-1")
PLAIN = ("quinn", "quinn-password-1")
CALLER_HZ = 440
PAGE_HZ = 1000


@dataclass
class Rig:
    """Janus, the server, the bridge and a browser, in this network namespace."""

    work: Path
    janus: JanusProcess
    server: ServerProcess
    bridge: subprocess.Popen[bytes]
    sip_port: int
    browser: Browser
    owner: httpx.Client
    plain: httpx.Client

    def session(self, client: httpx.Client | None = None, **fields: Any) -> dict[str, Any]:
        """A session that started a minute ago: its id, access code and host link."""
        client = client or self.owner
        start = datetime.now(UTC) - timedelta(minutes=1)
        data = {"topic": "Phone test", "duration": 30, "timezone": "UTC"}
        data |= {"start_time": f"{start:%Y-%m-%d %H:%M:%S}", **fields}
        session_id = ok(rest(client, "PUT", "session", data), 201)["id"]
        found = ok(
            client.get(
                f"session/id/{session_id}/return/id;session_access_code;host_link/format/json"
            )
        )["sessions"][0]
        return {"id": session_id, "code": found["session_access_code"], "host": found["host_link"]}

    def enter_as_host(self, session: dict[str, Any]) -> Page:
        link = str(session["host"])
        link = link.replace(link.split("/")[2], f"127.0.0.1:{self.server.port}")
        context = self.browser.new_context()
        page = context.new_page()
        page.goto(link)
        page.click("#enter")
        page.wait_for_url("**/room/**")
        return page

    def bridge_log(self) -> str:
        return (self.work / "phone.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    addresses = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    assert HOST in addresses, "run the media tests through scripts/in-netns"
    work = tmp_path_factory.mktemp("phone")
    recordings = work / "recordings"
    tone = work / "page-tone.wav"
    subprocess.run(
        ["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(tone),
         "synth", "60", "sine", str(PAGE_HZ), "vol", "0.5"],
        check=True,
    )  # fmt: skip
    janus = JanusProcess(work / "janus", recordings_dir=recordings).start()
    sip_port = free_port()
    server = ServerProcess(
        workdir=work,
        database_url=f"sqlite:///{work / 'onstream.db'}",
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_RECORDINGS_DIR": str(recordings),
            "ONSTREAM_ROOM_TOKEN_SECONDS": "20",
            "ONSTREAM_SIP_ADDRESS": f"{HOST}:{sip_port}",
            "ONSTREAM_PHONE_PROMPTS_DIR": str(work / "prompts"),
            "ONSTREAM_LOG_LEVEL": "info",
        },
        port=free_port(),
    )
    for (login, password), bridge in ((OWNER, True), (PLAIN, False)):
        args = ["user", "add", login, "--email", f"{login}@example.com", "--password", password]
        result = server.cli(*args, *(["--phone-bridge"] if bridge else []))
        assert result.returncode == 0, result.stderr
    server.start()
    with (work / "phone.log").open("ab") as log:
        bridge = subprocess.Popen(
            [sys.executable, "-m", "onstream", "phone"],
            cwd=work, env=server.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_until(
        lambda: (
            "listening" in (work / "phone.log").read_text(errors="replace")
            or bridge.poll() is not None
        ),
        what="the bridge listening",
    )
    assert bridge.poll() is None, (work / "phone.log").read_text()
    owner = server.api_client(*OWNER)
    plain = server.api_client(*PLAIN)
    args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--autoplay-policy=no-user-gesture-required",
        "--no-sandbox",
        "--disable-gpu",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield Rig(work, janus, server, bridge, sip_port, browser, owner, plain)
        browser.close()
    owner.close()
    plain.close()
    bridge.terminate()
    bridge.wait(20)
    server.stop()
    janus.stop()


PAGE_PEAK = """async () => {
  const media = [...document.querySelectorAll('audio, video')]
    .map(e => e.srcObject).filter(s => s && s.getAudioTracks().length);
  if (!window.__phoneProbe) {
    const ctx = new AudioContext();
    await ctx.resume();
    window.__phoneProbe = {ctx, analysers: new Map()};
  }
  const probe = window.__phoneProbe;
  for (const stream of media) {
    const id = stream.getAudioTracks()[0].id;
    if (!probe.analysers.has(id)) {
      const analyser = probe.ctx.createAnalyser();
      analyser.fftSize = 8192;
      probe.ctx.createMediaStreamSource(stream).connect(analyser);
      probe.analysers.set(id, analyser);
    }
  }
  const peaks = [];
  for (const analyser of probe.analysers.values()) {
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    peaks.push({hz: best * probe.ctx.sampleRate / analyser.fftSize, db: bins[best]});
  }
  return peaks;
}"""


def page_hears(page: Page, hz: float) -> bool:
    """Whether a remote audio stream of the page peaks at `hz` (WebAudio analyser)."""
    peaks = page.evaluate(PAGE_PEAK)
    return any(abs(p["hz"] - hz) < 25 and p["db"] > -70 for p in peaks)


def publishers(rig: Rig) -> list[dict[str, Any]]:
    """The room's participants, as Janus lists them (through the server's relay)."""
    return []


def test_caller_enters_the_code_joins_and_both_sides_hear_each_other(rig: Rig) -> None:
    session = rig.session()
    host = rig.enter_as_host(session)
    phone = Baresip.start(rig.work / "phone-a", number="+4930555501234", tone_hz=CALLER_HZ)
    try:
        phone.command("dial", f"sip:bridge@{HOST}:{rig.sip_port}")
        wait_until(lambda: "Call established" in phone.log() or "answered" in phone.log().lower(),
                   what="the bridge answers")  # fmt: skip
        phone.command("sndcode", f"{session['code']}#")
        wait_until(
            lambda: "Phone ··· 1234" in host.locator("#people").inner_text(),
            what="the caller in the people list",
            seconds=60,
        )
        wait_until(
            lambda: page_hears(host, CALLER_HZ), what="the page hears the caller", seconds=60
        )
        wait_until(
            lambda: _phone_hears(phone, PAGE_HZ), what="the phone hears the page", seconds=60
        )
    finally:
        phone.command("hangup")
        phone.stop()
    wait_until(
        lambda: "Phone ··· 1234" not in host.locator("#people").inner_text(),
        what="the caller leaves the people list",
    )
    host.context.close()


def _phone_hears(phone: Baresip, hz: float) -> bool:
    heard = phone.heard()
    if heard is None:
        return False
    peak, share = dominant_hz(heard)
    return abs(peak - hz) < 20 and share > 0.3
