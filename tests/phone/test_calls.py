"""The telephone bridge with real parts: Janus, `onstream serve`, `onstream phone`, SIPp and
baresip as phones, and Chromium in the room with a fake microphone.

All SIP and RTP runs inside the private network namespace of `scripts/in-netns` (the bridge
and the phones on 10.99.0.1), like the room's other media tests: `scripts/test` runs them
with `-m media`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from onstream.cli.phone import RESTART_WITHIN_SECONDS
from onstream.janus.process import JanusProcess
from tests.phone.callers import (
    HOST,
    Baresip,
    dominant_hz,
    sipp_info_call,
    trunk_scenario,
)
from tests.support.api import ok, rest
from tests.support.browser import CHROMIUM
from tests.support.receiver import Receiver
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]

OWNER = ("paula", "paula-password-1")
PLAIN = ("quinn", "quinn-password-1")
CALLER_HZ = 440
PAGE_HZ = 1000
OTHER_HZ = 700


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
    while not port_free(sip_port + 1):  # the second bridge process listens there
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
            "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the webhook receiver
        },
        port=free_port(),
    )
    for (login, password), has_bridge in ((OWNER, True), (PLAIN, False)):
        args = ["user", "add", login, "--email", f"{login}@example.com", "--password", password]
        result = server.cli(*args, *(["--phone-bridge"] if has_bridge else []))
        assert result.returncode == 0, result.stderr
    server.start()
    with (work / "phone.log").open("ab") as log:
        # the bridge counts wrong codes for real: 7 a minute from one number
        env = {**server.env, "ONSTREAM_RATE_LIMIT_ADDRESS": "7/minute"}
        bridge = subprocess.Popen(
            [sys.executable, "-m", "onstream", "phone", "--processes", "2"],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_until(
        lambda: (
            (work / "phone.log").read_text(errors="replace").count("listening") >= 2
            or bridge.poll() is not None
        ),
        what="both bridge processes listening",
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


def port_free(port: int) -> bool:
    """Whether nothing listens on `port` (UDP and TCP) of the bridge's address."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                return False
    return True


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
        phone.command("sndcode", "*6")  # the caller mutes themselves ...
        wait_until(lambda: not page_hears(host, CALLER_HZ), what="the caller silent")
        phone.command("sndcode", "*6")  # ... and speaks again
        wait_until(lambda: page_hears(host, CALLER_HZ), what="the caller heard again")
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


def people(page: Page) -> list[dict[str, Any]]:
    """The room's people list as the page gets it (name, role, Janus id)."""
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await (await fetch(location.pathname + '/people')).json()).people"
    )
    return found


def moderate(page: Page, **action: Any) -> None:
    """A moderator's action, as the room page sends it."""
    status = page.evaluate(
        """async (body) => (await fetch(location.pathname + '/moderate', {method: 'POST',
             headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})).status""",
        action,
    )
    assert status == 200, status


def caller_in(page: Page, label: str) -> dict[str, Any]:
    """The caller's entry in the people list; empty when not listed."""
    return next((p for p in people(page) if p["name"] == label), {})


def call_in(
    rig: Rig,
    session: dict[str, Any],
    name: str,
    number: str,
    *,
    direct: bool = False,
    tone_hz: int = CALLER_HZ,
) -> Baresip:
    """A baresip phone that dials the bridge and enters the code (or dials the code)."""
    phone = Baresip.start(rig.work / name, number=number, tone_hz=tone_hz)
    target = session["code"] if direct else "bridge"
    phone.command("dial", f"sip:{target}@{HOST}:{rig.sip_port}")
    if not direct:
        wait_until(lambda: "audio: Set audio encoder" in phone.log(), what="the bridge answers")
        phone.command("sndcode", f"{session['code']}#")
    return phone


def test_two_callers_without_a_browser_hear_each_other(rig: Rig) -> None:
    session = rig.session()
    first = call_in(rig, session, "phone-pair-a", "+4930555502001", direct=True)
    second = None
    try:
        wait_until(
            lambda: f"code accepted, session {session['id']}" in rig.bridge_log(),
            what="the first caller in the meeting",
        )
        second = call_in(
            rig, session, "phone-pair-b", "+4930555502002", direct=True, tone_hz=OTHER_HZ
        )
        wait_until(
            lambda: _phone_hears(second, CALLER_HZ),  # type: ignore[arg-type]
            what="the second caller hears the first",
            seconds=60,
        )
        wait_until(
            lambda: _phone_hears(first, OTHER_HZ),
            what="the first caller hears the second",
            seconds=60,
        )
    finally:
        for phone in (first, second):
            if phone is not None:
                phone.command("hangup")
                phone.stop()


def refusals(rig: Rig, number: str) -> list[str]:
    return [
        line.rsplit("refused: ", 1)[1].strip()
        for line in rig.bridge_log().splitlines()
        if f"from {number} refused" in line
    ]


def keypad_call(
    rig: Rig,
    name: str,
    number: str,
    entries: list[str],
    *,
    to: str = "bridge",
    port: int | None = None,
) -> list[str]:
    """Call (the bridge's first port unless told), type each entry (waiting for the bridge
    to refuse it), and wait for the bridge to hang up; the refusals of this number the call
    added."""
    before = len(refusals(rig, number))
    phone = Baresip.start(rig.work / name, number=number, tone_hz=CALLER_HZ)
    try:
        phone.command("dial", f"sip:{to}@{HOST}:{port or rig.sip_port}")
        for typed, entry in enumerate(entries, start=1):
            wait_until(lambda: "audio: Set audio encoder" in phone.log(), what="answered")
            if "terminated" in phone.log():
                break
            phone.command("sndcode", entry)
            wait_until(
                lambda n=typed: (
                    len(refusals(rig, number)) >= before + n  # type: ignore[misc]
                    or "terminated" in phone.log()
                ),
                what="the bridge's answer",
            )
        wait_until(lambda: "terminated" in phone.log(), what="the bridge hangs up")
    finally:
        phone.stop()
    return refusals(rig, number)[before:]


def test_a_wrong_code_three_times_is_told_goodbye(rig: Rig) -> None:
    session = rig.session()
    wrong = f"{(int(session['code']) + 1) % 10**9:09d}#"
    told = keypad_call(rig, "phone-wrong", "+4930555500001", [wrong] * 3)
    assert told == ["wrong"] * 3


def test_codes_typed_with_sip_info_count_too(rig: Rig) -> None:
    session = rig.session()
    wrong = f"{(int(session['code']) + 3) % 10**9:09d}#"
    number = "+4930555500004"
    result = sipp_info_call(
        rig.work / "sipp-info", rig.sip_port, number=number, entries=[wrong] * 3
    )
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    assert refusals(rig, number) == ["wrong"] * 3


def test_a_burst_of_wrong_codes_from_one_number_is_refused(rig: Rig) -> None:
    session = rig.session()
    number = "+4930555500002"
    wrong = f"{(int(session['code']) + 7) % 10**9:09d}#"
    for attempt in range(3):
        keypad_call(rig, f"phone-burst-{attempt}", number, [wrong] * 3)
        if "too-many" in refusals(rig, number):
            break
    assert "too-many" in refusals(rig, number)
    # even the right code is refused now, before it is checked
    told = keypad_call(rig, "phone-burst-right", number, [f"{session['code']}#"])
    assert told == ["too-many"]


def test_a_direct_call_joins_and_the_moderator_mutes_and_removes_the_caller(rig: Rig) -> None:
    session = rig.session()
    host = rig.enter_as_host(session)
    phone = call_in(rig, session, "phone-direct", "+4930555505678", direct=True)
    try:
        caller = wait_until(lambda: caller_in(host, "Phone ··· 5678"), what="the caller listed")
        assert caller["role"] == "participant"
        wait_until(lambda: page_hears(host, CALLER_HZ), what="the page hears the caller")
        moderate(host, action="mute", participant=caller["participant"], kind="audio")
        wait_until(lambda: not page_hears(host, CALLER_HZ), what="the caller muted")
        moderate(host, action="remove", participant=caller["participant"])
        wait_until(lambda: "terminated" in phone.log(), what="the bridge hangs up")
        assert not caller_in(host, "Phone ··· 5678")
    finally:
        phone.stop()
    host.context.close()


def test_the_code_of_an_ended_meeting_is_refused(rig: Rig) -> None:
    session = rig.session()
    host = rig.enter_as_host(session)
    moderate(host, action="end")
    host.context.close()
    number = "+4930555500003"
    assert keypad_call(rig, "phone-ended", number, [f"{session['code']}#"]) == ["ended"]
    assert keypad_call(rig, "phone-ended-direct", number, [], to=str(session["code"])) == ["ended"]


def test_a_meeting_not_open_yet_is_told_with_its_opening_time(rig: Rig) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=30)
    session = rig.session(start_time=f"{start:%Y-%m-%d %H:%M:%S}")
    number = "+4930555500005"
    assert keypad_call(rig, "phone-early", number, [], to=str(session["code"])) == ["early"]
    said = [line for line in rig.bridge_log().splitlines() if "said: " in line]
    assert "It opens tomorrow at 10 15." in said[-1]


def test_a_caller_over_tcp_is_answered_told_and_hung_up_on(rig: Rig) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=16, minute=0)
    session = rig.session(start_time=f"{start:%Y-%m-%d %H:%M:%S}")
    number = "+4930555500006"
    result = sipp_info_call(
        rig.work / "sipp-tcp", rig.sip_port, number=number, entries=[],
        to=str(session["code"]), transport="t1",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    assert refusals(rig, number) == ["early"]
    said = [line for line in rig.bridge_log().splitlines() if "said: " in line]
    assert "It opens tomorrow at 15 45." in said[-1]


def test_eight_callers_on_two_bridge_processes_are_answered_at_once(rig: Rig) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=16, minute=0)
    session = rig.session(start_time=f"{start:%Y-%m-%d %H:%M:%S}")
    number = "+4930555500007"
    folders = [rig.work / f"sipp-four-{index}" for index in (0, 1)]
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda index: sipp_info_call(
                    folders[index], rig.sip_port + index, number=number, entries=[],
                    to=str(session["code"]), calls=4,
                ),
                (0, 1),
            )
        )  # fmt: skip
    for result in results:
        assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    assert refusals(rig, number) == ["early"] * 8
    busy = [p for f in folders for p in f.glob("*errors.log") if "486 Busy" in p.read_text()]
    assert not busy, "a caller was told busy"


def test_webhooks_and_the_recording_include_the_caller(rig: Rig) -> None:
    receiver = Receiver().start()
    events = "participant.joined;participant.left"
    hook = ok(rest(rig.owner, "PUT", "webhook", {"url": receiver.url, "events": events}), 201)
    try:
        session = rig.session(auto_record=1)
        host = rig.enter_as_host(session)
        phone = call_in(rig, session, "phone-recorded", "+4930555509876")
        try:
            caller = wait_until(lambda: caller_in(host, "Phone ··· 9876"), what="listed")
            wait_until(lambda: page_hears(host, CALLER_HZ), what="the page hears the caller")

            def recorded() -> int:
                tracks = (rig.work / "recordings").rglob(f"*{caller['participant']}*audio*")
                return sum(p.stat().st_size for p in tracks)

            wait_until(lambda: recorded() > 40_000, what="seconds of the caller recorded")
            phone.command("hangup")
            wait_until(lambda: "terminated" in phone.log(), what="the call ends")
        finally:
            phone.stop()

        def told() -> list[tuple[str, str]]:
            return [
                (r.event["type"], r.event["data"]["name"])
                for r in receiver.received
                if r.event["data"]["session_id"] == session["id"]
                and r.event["data"]["name"] == "Phone ··· 9876"
            ]

        wait_until(lambda: len(told()) == 2, seconds=60, what="the caller's joined and left")
        assert told() == [
            ("participant.joined", "Phone ··· 9876"),
            ("participant.left", "Phone ··· 9876"),
        ]
        moderate(host, action="end")
        host.context.close()
    finally:
        rest(rig.owner, "DELETE", "webhook", {"id": hook["id"]})
        receiver.stop()
    found = wait_until(
        lambda: ok(rig.owner.get(f"recordings/session/{session['id']}/format/json"))["recordings"],
        seconds=180,
        what="the recording",
    )
    page = rig.server.get(found[0]["recording_link"])
    assert page.status_code == 200
    # played without a screen name, so this test's client needs no pass
    rest(rig.owner, "POST", "recording", {"id": found[0]["id"], "allow_anonymous_playback": 1})
    # the one file for download follows the playable tracks: 409 until it is composed
    media_url = f"{rig.server.base_url}/play/{found[0]['id']}/media"

    def composed() -> bytes | None:
        answer = rig.server.get(media_url)
        assert answer.status_code in (200, 409), answer.status_code
        return answer.content if answer.status_code == 200 else None

    body = wait_until(composed, seconds=180, what="the composed recording")
    assert _recording_has_tone(body, CALLER_HZ)


def _recording_has_tone(media: bytes, hz: float) -> bool:
    """Whether the recording's audio (decoded with ffmpeg) carries the tone: its spectrum
    has a peak at `hz` at least 20 dB above the median."""
    import numpy as np

    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "-", "-ac", "1", "-ar", "8000", "-f", "s16le", "-"],
        input=media, capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = np.frombuffer(decoded, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1 / 8000)
    near = spectrum[(freqs > hz - 5) & (freqs < hz + 5)].max()
    return bool(20 * np.log10(near / np.median(spectrum)) > 20)


def test_the_bridge_registers_at_its_trunk_and_answers_the_calls_it_routes(rig: Rig) -> None:
    """A SIPp registrar plays the operator's trunk: it challenges the REGISTER, accepts
    only the one signed with the trunk account, then routes a call to the registered
    Contact, which types a meeting's code with SIP INFO."""
    session = rig.session()
    folder = rig.work / "trunk"
    folder.mkdir()
    (folder / "trunk.xml").write_text(
        trunk_scenario("onstream-trunk", "trunk-secret-1", str(session["code"]))
    )
    trunk_port = free_port()
    trunk = subprocess.Popen(
        ["sipp", "-sf", str(folder / "trunk.xml"), "-m", "1", "-i", HOST,
         "-p", str(trunk_port), "-mi", HOST, "-mp", str(free_port() & ~1),
         "-nostdin", "-nd", "-trace_err", "-timeout", "90"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        cwd=folder,
    )  # fmt: skip
    env = {
        **rig.server.env,
        "ONSTREAM_SIP_ADDRESS": f"{HOST}:{free_port()}",
        "ONSTREAM_SIP_TRUNK_URI": f"sip:{HOST}:{trunk_port}",
        "ONSTREAM_SIP_TRUNK_USER": "onstream-trunk",
        "ONSTREAM_SIP_TRUNK_PASSWORD": "trunk-secret-1",
    }
    log_path = folder / "bridge.log"
    with log_path.open("ab") as log:
        bridge = subprocess.Popen(
            [sys.executable, "-m", "onstream", "phone"],
            cwd=rig.work, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        out, _ = trunk.communicate(timeout=120)
        told = log_path.read_text(errors="replace")
        assert trunk.returncode == 0, out.decode(errors="replace")[-2000:] + told[-2000:]
        assert "trunk registration: 200" in told
        wait_until(
            lambda: f"code accepted, session {session['id']}" in log_path.read_text(),
            what="the trunk's caller let into the meeting",
        )
    finally:
        if trunk.poll() is None:
            trunk.kill()
            trunk.wait()
        bridge.terminate()
        bridge.wait(20)


def bridge_children(rig: Rig) -> dict[str, int]:
    """The bridge's processes, by the address each listens on."""
    pid = rig.bridge.pid
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        (address,) = [v for v in environ if v.startswith(b"ONSTREAM_SIP_ADDRESS=")]
        found[address.split(b"=", 1)[1].decode()] = int(child)
    return found


def age(pid: int) -> float:
    """Seconds since the process started."""
    started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started / os.sysconf("SC_CLK_TCK")


def test_a_bridge_process_that_crashes_is_started_again_and_answers(rig: Rig) -> None:
    # The second process is the one killed: a killed process keeps no coverage data, and the
    # first one has taken most of this module's calls.
    before = bridge_children(rig)
    first, second = f"{HOST}:{rig.sip_port}", f"{HOST}:{rig.sip_port + 1}"
    # a process that ends as it starts stops the bridge instead (a taken port, say)
    wait_until(
        lambda: age(before[second]) > RESTART_WITHIN_SECONDS,
        what="the process past its start",
        seconds=RESTART_WITHIN_SECONDS + 30,
    )
    listening = rig.bridge_log().count("listening")
    os.kill(before[second], signal.SIGSEGV)
    wait_until(
        lambda: (
            f"the bridge on {second} was killed by SIGSEGV; starting it again" in rig.bridge_log()
        ),
        what="the crash said",
    )
    assert "Fatal Python error: Segmentation fault" in rig.bridge_log()  # every thread's stack
    wait_until(lambda: rig.bridge_log().count("listening") > listening, what="listening again")
    after = bridge_children(rig)
    assert after[first] == before[first], "the other process and its calls are untouched"
    assert after[second] != before[second]
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0)
    session = rig.session(start_time=f"{start:%Y-%m-%d %H:%M:%S}")
    number = "+4930555500009"
    told = keypad_call(
        rig, "phone-again", number, [], to=str(session["code"]), port=rig.sip_port + 1
    )
    assert told == ["early"]
