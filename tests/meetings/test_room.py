"""The meeting room with real media: Janus, `onstream serve` and Chromium with fake devices.

Janus gathers no ICE candidates on loopback alone and test traffic must never use the
machine's own interfaces, so these tests run inside a private network namespace that
`scripts/in-netns` makes (lo plus a veth pair on 10.99.0.1/24): `scripts/test` runs them so,
with `-m media`. The pages are opened on http://127.0.0.1 (a secure origin for getUserMedia)
and the media flows over the veth address.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from tests.support.api import ok, rest
from tests.support.browser import CHROMIUM
from tests.support.receiver import Receiver, verify
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

from onstream.janus.process import JanusProcess

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
]
PEER_CONNECTIONS = """(() => {
  const Original = window.RTCPeerConnection;
  window.peerConnections = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    window.peerConnections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();"""
"""Keeps every peer connection a page makes in `window.peerConnections`, for its stats."""
WEB_SOCKETS = """(() => {
  const Original = window.WebSocket;
  window.webSockets = [];
  window.WebSocket = function (...args) {
    const socket = new Original(...args);
    window.webSockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();"""
"""Keeps every WebSocket a page opens in `window.webSockets`: which transport janus.js took."""
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
OWNER = ("olga", "olga-password-1")


@dataclass
class Rig:
    """Janus, the server and a browser, in this network namespace."""

    janus: JanusProcess
    server: ServerProcess
    browser: Browser
    owner: httpx.Client

    def session(self, **fields: Any) -> tuple[int, dict[str, Any]]:
        """A session that started a minute ago, with its invitees' links by e-mail."""
        start = datetime.now(UTC) - timedelta(minutes=1)
        data = {"topic": "Room test", "duration": 30, "timezone": "UTC"}
        data |= {"start_time": f"{start:%Y-%m-%d %H:%M:%S}", **fields}
        session_id = ok(rest(self.owner, "PUT", "session", data), 201)["id"]
        groups = ok(self.owner.get(f"invitees/id/{session_id}/format/json"))
        links = {
            person["email"]: person["personal_session_link"]
            for group in groups.values()
            for person in group
        }
        return session_id, links

    def host_link(self, session_id: int) -> str:
        found = ok(self.owner.get(f"session/id/{session_id}/return/host_link/format/json"))
        return str(found["sessions"][0]["host_link"])

    def enter(self, link: str, *, form: dict[str, str] | None = None) -> Page:
        """Open a lobby in a fresh browser context and press its button."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(PEER_CONNECTIONS)
        context.add_init_script(WEB_SOCKETS)
        page = context.new_page()
        page.goto(link)
        for name, value in (form or {}).items():
            page.fill(f"#{name}", value)
        page.click("#enter")
        page.wait_for_url("**/room/**")
        return page


def local(link: str, server: ServerProcess) -> str:
    """The link as a browser here opens it (on 127.0.0.1, a secure origin)."""
    return link.replace(link.split("/")[2], f"127.0.0.1:{server.port}")


NOT_YET = {"status": None, "error": None, "feeds": [], "publishing": False}
"""The state of a page whose room script has not run yet (its document still loading)."""


def room_state(page: Page) -> dict[str, Any]:
    """The room's state as its script keeps it; `NOT_YET` before the script has run, so that
    a wait on a busy machine polls on instead of failing."""
    state: dict[str, Any] | None = page.evaluate(
        "() => window.onstreamRoom ? {status: onstreamRoom.status, error: onstreamRoom.error, "
        "feeds: Object.keys(onstreamRoom.feeds).map(Number), publishing: onstreamRoom.publishing}"
        " : null"
    )
    return state if state is not None else dict(NOT_YET)


def receives(page: Page, count: int) -> bool:
    """Whether the page plays `count` remote videos (width > 0, time advancing) and audio."""
    stats = "() => window.onstreamRoomStats ? onstreamRoomStats() : []"  # [] before it runs
    before = {s["mid"]: s for s in page.evaluate(stats)}
    page.wait_for_timeout(500)
    after = page.evaluate(stats)
    videos = {
        s["feed"]
        for s in after
        if s["kind"] == "video"
        and s["videoWidth"] > 0
        and s["mid"] in before
        and s["currentTime"] > before[s["mid"]]["currentTime"]
    }
    audio = {s["feed"] for s in after if s["kind"] == "audio" and s["readyState"] == "live"}
    return len(videos) >= count and len(audio & videos) >= count


def screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"))


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    with running_rig(tmp_path_factory.mktemp("room")) as started:
        yield started


@contextmanager
def running_rig(
    work: Path, *, env: dict[str, str] | None = None, args: Sequence[str] = ()
) -> Iterator[Rig]:
    """Janus, a server (with `env` added to its settings) and a Chromium (with `args` added
    to its flags), stopped on the way out."""
    in_the_namespace()
    recordings = work / "recordings"
    janus = JanusProcess(work / "janus", recordings_dir=recordings).start()
    server = ServerProcess(
        workdir=work,
        database_url=f"sqlite:///{work / 'onstream.db'}",
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_WEBSOCKET_URLS": janus.ws_url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_RECORDINGS_DIR": str(recordings),
            "ONSTREAM_ROOM_TOKEN_SECONDS": "8",
            "ONSTREAM_RECORDING_LEASE_SECONDS": "6",
            "ONSTREAM_RECORDING_POLL_SECONDS": "1",
            "ONSTREAM_BASE_URL": "http://127.0.0.1:{port}",
            "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the receiver's
            **(env or {}),
        },
        port=free_port(),
    )
    server.extra_env = {
        **server.extra_env,
        "ONSTREAM_BASE_URL": f"http://127.0.0.1:{server.port}",
    }
    with serving(server, janus, args) as rig:
        yield rig
    janus.stop()


def in_the_namespace() -> None:
    """Fail at once outside scripts/in-netns: WebRTC there has its address."""
    addresses = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    assert "10.99.0.1" in addresses, "run the media tests through scripts/in-netns"


@contextmanager
def serving(server: ServerProcess, janus: JanusProcess, args: Sequence[str] = ()) -> Iterator[Rig]:
    """The owner's account on `server`, the server started and a Chromium (with `args` added
    to its flags): the rig on `janus`; the browser and the server stopped on the way out."""
    login, password = OWNER
    result = server.cli("user", "add", login, "--email", "olga@example.com", "--password", password)
    assert result.returncode == 0, result.stderr
    server.start()
    owner = httpx.Client(base_url=f"{server.base_url}/api/2/{login}/", auth=OWNER, timeout=30)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*MEDIA_ARGS, *args])
        yield Rig(janus=janus, server=server, browser=browser, owner=owner)
        browser.close()
    owner.close()
    server.stop()


def invitees(*people: tuple[str, int]) -> list[dict[str, Any]]:
    return [
        {"email": email, "first_name": email.split("@")[0].title(), "role": role,
         "send_email_invitation": 0}
        for email, role in people
    ]  # fmt: skip


def close(*pages: Page) -> None:
    for page in pages:
        context: BrowserContext = page.context
        context.close()


def test_two_invitees_see_and_hear_each_other(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("ann@example.com", 2), ("ben@example.com", 2))
    )
    ann = rig.enter(local(links["ann@example.com"], rig.server))
    ben = rig.enter(local(links["ben@example.com"], rig.server))
    wait_until(lambda: receives(ann, 1), what="Ann receives Ben")
    wait_until(lambda: receives(ben, 1), what="Ben receives Ann")
    wait_until(lambda: ann.locator("#people li").count() == 2, what="two people listed")
    wait_until(lambda: ann.locator("#chat-text").is_enabled(), what="Ann's chat is ready")
    wait_until(lambda: ben.locator("#chat-text").is_enabled(), what="Ben's chat is ready")
    ann.fill("#chat-text", "Hello <b>Ben</b>")
    ann.press("#chat-text", "Enter")
    wait_until(lambda: "Hello <b>Ben</b>" in ben.locator("#messages").inner_text(), what="chat")
    assert ben.locator("#messages b").count() == 0  # text, never markup
    screenshot(ann, "room-two-people")
    close(ann, ben)


def test_pages_reach_janus_over_the_websocket_relay(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("ida@example.com", 2), ("jon@example.com", 3))
    )
    ida = rig.enter(local(links["ida@example.com"], rig.server))
    jon = rig.enter(local(links["jon@example.com"], rig.server))
    wait_until(lambda: receives(jon, 1), what="the observer receives Ida's video")
    for page in (ida, jon):
        room = urlsplit(page.url).path
        assert janus_sockets(page) == [
            {"path": f"{room}/janus/0/ws", "open": True, "protocol": "janus-protocol"}
        ]
    close(ida, jon)


def test_without_the_websocket_the_page_joins_by_long_polls(rig: Rig, tmp_path: Path) -> None:
    # A second server on the same Janus, told of a Janus WebSocket address nothing answers
    # on: its relay refuses the browser's socket, and janus.js falls back to the long polls.
    dead = f"ws://127.0.0.1:{free_port()}"
    server = ServerProcess(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        extra_env={**rig.server.extra_env, "ONSTREAM_JANUS_WEBSOCKET_URLS": dead},
        port=free_port(),
    )
    server.extra_env = {**server.extra_env, "ONSTREAM_BASE_URL": server.base_url}
    login, password = OWNER
    result = server.cli("user", "add", login, "--email", "olga@example.com", "--password", password)
    assert result.returncode == 0, result.stderr
    server.start()
    try:
        with httpx.Client(base_url=f"{server.base_url}/api/2/{login}/", auth=OWNER) as owner:
            other = Rig(janus=rig.janus, server=server, browser=rig.browser, owner=owner)
            _, links = other.session(
                invited_participants=invitees(("kai@example.com", 2), ("lu@example.com", 2))
            )
            kai = other.enter(local(links["kai@example.com"], server))
            lu = other.enter(local(links["lu@example.com"], server))
            wait_until(lambda: receives(lu, 1) and receives(kai, 1), what="both receive")
            assert [s["open"] for s in janus_sockets(lu)] == [False]
            close(kai, lu)
    finally:
        server.stop()


def test_observer_receives_both_and_publishes_nothing(rig: Rig) -> None:
    session_id, links = rig.session(
        invited_participants=invitees(
            ("cat@example.com", 2), ("dan@example.com", 2), ("eve@example.com", 3)
        )
    )
    cat = rig.enter(local(links["cat@example.com"], rig.server))
    dan = rig.enter(local(links["dan@example.com"], rig.server))
    eve = rig.enter(local(links["eve@example.com"], rig.server))
    wait_until(lambda: receives(eve, 2), what="the observer receives both")
    assert room_state(eve)["publishing"] is False
    assert eve.locator("#mic").is_hidden()
    publishers = wait_until(lambda: janus_publishers(rig, session_id), what="Janus's list")
    assert len(publishers) == 2
    # she only subscribes: Janus has no publisher of hers, her browser sends no media
    eve_id = eve.evaluate("() => onstreamRoom.myId")
    assert eve_id not in [p["id"] for p in janus_participants(rig, session_id)]
    assert outbound_rtp(eve) == []
    assert janus_join(eve, own_token(eve)) == "refused"  # the relay refuses her as a publisher
    assert janus_join(eve, own_token(eve), "websocket") == "refused"  # over either transport
    screenshot(eve, "room-observer")
    close(cat, dan, eve)


def test_a_moderator_brings_an_observer_on_stage_and_back(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("obi@example.com", 3)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    obi = rig.enter(local(links["obi@example.com"], rig.server))
    wait_until(lambda: receives(obi, 1), what="the observer receives the host")
    assert outbound_rtp(obi) == []
    assert obi.locator("#mic").is_hidden()
    obi_id = obi.evaluate("() => onstreamRoom.myId")
    row = host.locator(f'#people li[data-participant="{obi_id}"]')
    row.locator('button[data-action="stage"]').click()  # "Bring on stage"
    wait_until(lambda: receives(host, 1), seconds=60, what="the host receives Obi on stage")
    assert obi.locator("#mic").is_visible()
    assert obi_id in [p["id"] for p in janus_publishers(rig, session_id)]
    assert outbound_rtp(obi) != []

    wait_until(lambda: row.locator("button[data-action=stage]").inner_text() == "Back to audience",
               what="the host's button turns")  # fmt: skip
    row.locator('button[data-action="stage"]').click()
    wait_until(
        lambda: obi_id not in [p["id"] for p in janus_participants(rig, session_id)],
        what="Obi's publisher is put out",
    )
    wait_until(lambda: not receives(host, 1), what="the host no longer receives Obi")
    wait_until(lambda: receives(obi, 1), seconds=60, what="Obi watches again")
    assert obi.locator("#mic").is_hidden()
    assert outbound_rtp(obi) == []
    close(host, obi)


def janus_publishers(rig: Rig, session_id: int) -> list[dict[str, Any]]:
    """The publishers Janus lists in the session's room."""
    return [p for p in janus_participants(rig, session_id) if p.get("publisher")]


def outbound_rtp(page: Page) -> list[dict[str, Any]]:
    """The outbound-rtp stats of every peer connection the page made (see PEER_CONNECTIONS)."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const out = [];
            for (const pc of window.peerConnections || []) {
              if (pc.signalingState === "closed") continue;  // an earlier connection's
              (await pc.getStats()).forEach((s) => { if (s.type === "outbound-rtp") out.push(s); });
            }
            return out;
        }"""
    )
    return found


def own_token(page: Page) -> str:
    token: str = page.evaluate(
        "() => JSON.parse(document.getElementById('room-config').textContent).token"
    )
    return token


def janus_participants(rig: Rig, session_id: int) -> list[dict[str, Any]]:
    """The participants Janus itself lists in the session's room (over its HTTP API; sync,
    since Playwright's sync API owns this thread's event loop)."""
    with sqlite3.connect(rig.server.workdir / "onstream.db") as db:
        query = "SELECT janus_room FROM rooms WHERE session_id = ?"
        (room,) = db.execute(query, (session_id,)).fetchone()
    url = rig.janus.url
    with httpx.Client(timeout=10) as http:
        session = http.post(url, json={"janus": "create", "transaction": "t1"}).json()
        session_url = f"{url}/{session['data']['id']}"
        attach = {"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "t2"}
        handle = http.post(session_url, json=attach).json()["data"]["id"]
        body = {"request": "listparticipants", "room": int(room)}
        message = {"janus": "message", "body": body, "transaction": "t3"}
        answer = http.post(f"{session_url}/{handle}", json=message).json()
        http.post(session_url, json={"janus": "destroy", "transaction": "t4"})
    people: list[dict[str, Any]] = answer["plugindata"]["data"]["participants"]
    return people


def janus_join(page: Page, token: str, via: str = "http") -> Any:
    """From inside a room page, join its Janus room with another token, as a hand-made
    client would, through the relay's long polls or (`via="websocket"`) its WebSocket; the
    answer is Janus's error code, or "joined"."""
    return page.evaluate(
        """([token, via]) => new Promise((resolve) => {
            const config = JSON.parse(document.getElementById("room-config").textContent);
            const server = via === "http" ? config.janus
              : "ws://" + location.host + config.janusWebSocket;
            const janus = new Janus({server, success() {
              janus.attach({plugin: "janus.plugin.videoroom", success(h) {
                h.send({message: {request: "join", ptype: "publisher", room: config.room,
                                  display: "Mallory", token},
                        error() { resolve("refused"); janus.destroy(); }});
              }, onmessage(msg) {
                if (msg.error_code) { resolve(msg.error_code); janus.destroy(); }
                else if (msg.videoroom === "joined") { resolve("joined"); janus.destroy(); }
              }});
            }, error(e) { resolve(String(e)); }});
        })""",
        [token, via],
    )


def janus_sockets(page: Page) -> list[dict[str, Any]]:
    """The WebSockets the page opened to the relay: their path, state and subprotocol."""
    sockets: list[dict[str, Any]] = page.evaluate(
        "() => webSockets.map((s) => ({path: new URL(s.url).pathname, open: s.readyState === 1,"
        " protocol: s.protocol}))"
    )
    return sockets


def test_janus_refuses_made_up_and_expired_tokens(rig: Rig) -> None:
    _, links = rig.session(invited_participants=invitees(("fay@example.com", 2)))
    fay = rig.enter(local(links["fay@example.com"], rig.server))
    wait_until(lambda: room_state(fay)["publishing"], what="Fay publishes")
    assert janus_join(fay, "made-up-token") == 433
    own = fay.evaluate("() => JSON.parse(document.getElementById('room-config').textContent).token")
    # Fay's own token was minted for her one join; once it expired, it lets nobody in.
    wait_until(lambda: janus_join(fay, own) == 433, seconds=60, what="the token expires")
    close(fay)


def test_public_page_refuses_a_wrong_passcode_and_a_room_not_open_yet(rig: Rig) -> None:
    _, _ = rig.session(friendly_url="open-now", password="right")
    url = f"{rig.server.base_url}/{OWNER[0]}/open-now"
    wrong = httpx.post(url, data={"name": "Gus", "passcode": "wrong"})
    assert wrong.status_code == 403
    right = httpx.post(url, data={"name": "Gus", "passcode": "right"}, follow_redirects=False)
    assert right.status_code == 303
    assert "/room/" in right.headers["location"]
    later = datetime.now(UTC) + timedelta(hours=2)
    data = {"topic": "Later", "duration": 30, "timezone": "UTC", "friendly_url": "later"}
    data["start_time"] = f"{later:%Y-%m-%d %H:%M:%S}"
    ok(rest(rig.owner, "PUT", "session", data), 201)
    early = httpx.post(f"{rig.server.base_url}/{OWNER[0]}/later", data={"name": "Gus"})
    assert early.status_code == 409
    assert "not open yet" in early.text


def test_moderator_mutes_removes_and_ends(rig: Rig) -> None:
    session_id, links = rig.session(
        invited_participants=invitees(("hal@example.com", 2), ("ivy@example.com", 2))
    )
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    hal = rig.enter(local(links["hal@example.com"], rig.server))
    ivy = rig.enter(local(links["ivy@example.com"], rig.server))
    wait_until(lambda: receives(host, 2), what="the host receives both")
    hal_id = hal.evaluate("() => onstreamRoom.myId")
    row = host.locator(f'#people li[data-participant="{hal_id}"]')
    row.locator('button[data-action="mute"]').click()
    wait_until(
        lambda: hal.evaluate("() => onstreamRoom.mutedByModerator['0'] === true"), what="muted"
    )
    screenshot(host, "room-moderator")
    row.locator('button[data-action="remove"]').click()
    wait_until(lambda: room_state(hal)["status"] == "removed", what="Hal removed")
    assert hal.reload().status == 404  # his admission is revoked: no way back in
    host.click("#end")
    host.click("#end")
    wait_until(lambda: room_state(ivy)["status"] == "ended", what="the meeting ends for Ivy")
    wait_until(lambda: room_state(host)["status"] == "ended", what="and for the host")
    assert ivy.reload().status in (404, 410)
    close(host, hal, ivy)


def record_a_meeting(rig: Rig, seconds: float) -> tuple[int, float]:
    """A recorded meeting of the host and one participant, ended by the host after about
    `seconds`; its session id and its length as the host's page lived it."""
    session_id, links = rig.session(
        auto_record=1, invited_participants=invitees(("jo@example.com", 2))
    )
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    wait_until(lambda: room_state(host)["publishing"], what="the host publishes")
    started = time.monotonic()
    jo = rig.enter(local(links["jo@example.com"], rig.server))
    wait_until(lambda: receives(jo, 1), what="Jo receives the host")
    assert host.locator("#recording").is_visible()
    host.wait_for_timeout(max(0.0, seconds - (time.monotonic() - started)) * 1000)
    host.click("#end")
    host.click("#end")
    ended = time.monotonic()
    wait_until(lambda: room_state(jo)["status"] == "ended", what="the meeting ends")
    close(host, jo)
    return session_id, ended - started


def recordings_of(rig: Rig, session_id: int) -> list[dict[str, Any]]:
    found = ok(rig.owner.get(f"recordings/session/{session_id}/format/json"))
    return list(found["recordings"])


PLAYABLE_WITHIN_SECONDS = 60


def test_a_recorded_meeting_plays_within_a_minute_and_downloads_after(
    rig: Rig, tmp_path: Path
) -> None:
    session_id, length = record_a_meeting(rig, 10)
    ended = time.monotonic()  # the host pressed End a moment before
    (recording,) = wait_until(
        lambda: recordings_of(rig, session_id),
        seconds=PLAYABLE_WITHIN_SECONDS,
        what="the recording to be listed, playable",
    )
    assert time.monotonic() - ended <= PLAYABLE_WITHIN_SECONDS
    assert abs(recording["duration"] / 1000 - length) <= 2, (recording["duration"], length)
    context = rig.browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(local(recording["recording_link"], rig.server))
    page.fill("#name", "Viewer")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Play").click()
    # Both people's tracks play: their videos advance and decode frames, side by side.
    wait_until(
        lambda: page.evaluate(
            "() => { const shown = [...document.querySelectorAll('video.clip')]"
            ".filter((v) => !v.hidden); return shown.length === 2 && shown.every((v) =>"
            " v.currentTime > 1 && v.videoWidth > 0"
            " && v.getVideoPlaybackQuality().totalVideoFrames > 5); }"
        ),
        seconds=60,
        what="both people's videos to play and show frames",
    )
    assert page.evaluate("document.querySelectorAll('audio.clip').length") == 2
    screenshot(page, "recording-playback")
    # The one file for download follows: 409 "being prepared" until it is composed.
    media = local(f"{rig.server.base_url}/play/{recording['id']}/media", rig.server)

    def composed() -> bytes | None:
        answer = page.request.get(media)
        assert answer.status in (200, 409), answer.status
        return answer.body() if answer.status == 200 else None

    body = wait_until(composed, seconds=180, what="the composed file")
    path = tmp_path / "recording.webm"
    path.write_bytes(body)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(probe.stdout)
    assert {s["codec_type"] for s in found["streams"]} == {"audio", "video"}
    assert abs(float(found["format"]["duration"]) - length) <= 2.5
    context.close()


def test_a_killed_server_still_makes_exactly_one_recording(rig: Rig) -> None:
    session_id, _ = record_a_meeting(rig, 6)
    database = rig.server.workdir / "onstream.db"

    def job() -> tuple[Any, ...] | None:
        db = sqlite3.connect(database)
        try:
            query = (
                "SELECT status, attempts, lease_until, last_error FROM recording_jobs"
                " WHERE session_id = ?"
            )
            row: tuple[Any, ...] | None = db.execute(query, (session_id,)).fetchone()
        finally:
            db.close()
        return row

    def composing() -> bool:
        """A worker holds the job and composes (a job whose files Janus is still closing is
        held only for an instant, then postponed for a few seconds)."""
        row = job()
        assert row is None or row[0] == "pending", f"job {row}; log:\n{rig.server.log()[-3000:]}"
        work = rig.server.workdir / "recordings"
        return row is not None and row[2] is not None and any(work.glob(".compose-*"))

    try:
        wait_until(composing, seconds=120, what="the job to be composed")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; job {job()}; log:\n{rig.server.log()[-3000:]}") from exc
    assert rig.server.process is not None
    rig.server.process.kill()
    rig.server.process.wait()
    rig.server.start()
    # Killed in either step (the tracks, or the composition), the job is done once, after.
    wait_until(lambda: (job() or ("",))[0] == "done", seconds=180, what="the job to be done")
    (recording,) = recordings_of(rig, session_id)
    assert recording["duration"] > 3000
    with sqlite3.connect(database) as db:
        query = "SELECT status, recording_id FROM recording_jobs WHERE session_id = ?"
        jobs = db.execute(query, (session_id,)).fetchall()
    assert jobs == [("done", recording["id"])]
    assert len(recordings_of(rig, session_id)) == 1


def test_lobby_checks_devices_and_the_room_opens_shared_files_on_a_phone(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("kim@example.com", 2)))
    link = ok(rest(rig.owner, "PUT", "file", {"file_link": f"{rig.server.base_url}/health"}), 201)
    share = {"file_id": link["id"], "session_id": session_id, "is_auto_opening": 1}
    ok(rest(rig.owner, "PUT", "file_in_session", share), 201)
    context = rig.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(local(links["kim@example.com"], rig.server))
    page.click("#check")
    preview = "() => document.getElementById('preview').videoWidth > 0"
    wait_until(lambda: page.evaluate(preview), what="the camera preview")
    screenshot(page, "lobby-phone")
    page.click("#enter")
    page.wait_for_url("**/room/**")
    wait_until(lambda: room_state(page)["publishing"], what="Kim publishes")
    viewer = page.locator("#viewer")
    assert viewer.is_visible()
    assert viewer.get_attribute("src") == f"{rig.server.base_url}/health"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "room-phone")
    context.close()


def test_deleting_the_session_or_changing_its_passcode_acts_on_the_room(rig: Rig) -> None:
    session_id, links = rig.session(
        friendly_url="changing",
        password="first",
        invited_participants=invitees(("lea@example.com", 2)),
    )
    lea = rig.enter(local(links["lea@example.com"], rig.server))
    guest = rig.enter(
        f"{rig.server.base_url}/{OWNER[0]}/changing", form={"name": "Guest", "passcode": "first"}
    )
    wait_until(lambda: receives(lea, 1), what="Lea receives the guest")
    ok(rest(rig.owner, "POST", "session", {"id": session_id, "password": "second"}))
    wait_until(lambda: room_state(guest)["status"] == "removed", what="the guest is let out")
    assert room_state(lea)["status"] == "publishing"  # her personal link needs no passcode
    ok(rest(rig.owner, "DELETE", "session", {"id": session_id}))
    wait_until(lambda: room_state(lea)["status"] == "ended", what="the room closes")
    close(lea, guest)


def test_a_moderator_records_part_of_a_meeting_and_people_leave(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("max@example.com", 2)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    max_ = rig.enter(local(links["max@example.com"], rig.server))
    wait_until(lambda: receives(host, 1), what="the host receives Max")
    assert host.locator("#recording").is_hidden()
    host.click("#record")
    wait_until(lambda: host.locator("#recording").is_visible(), what="recording shown")
    started = time.monotonic()
    host.wait_for_timeout(6000)
    host.click("#record")
    wait_until(lambda: host.locator("#recording").is_hidden(), what="recording stopped")
    recorded = time.monotonic() - started
    max_.click("#leave")
    wait_until(lambda: room_state(max_)["status"] == "left", what="Max left")
    wait_until(lambda: room_state(host)["feeds"] == [], what="the host sees Max leave")
    host.click("#end")
    host.click("#end")
    (recording,) = wait_until(lambda: recordings_of(rig, session_id), seconds=180, what="recording")
    assert abs(recording["duration"] / 1000 - recorded) <= 2, (recording["duration"], recorded)
    close(host, max_)


def test_a_receiver_hears_who_joins_and_leaves_a_real_room(rig: Rig) -> None:
    receiver = Receiver().start()
    events = "participant.joined;participant.left;meeting.ended"
    hook = ok(rest(rig.owner, "PUT", "webhook", {"url": receiver.url, "events": events}), 201)
    try:
        session_id, links = rig.session(invited_participants=invitees(("kim@example.com", 2)))

        def told() -> list[tuple[str, str]]:
            return [
                (r.event["type"], r.event["data"].get("name", ""))
                for r in receiver.received
                if r.event["data"]["session_id"] == session_id
            ]

        host = rig.enter(local(rig.host_link(session_id), rig.server))
        wait_until(lambda: told(), seconds=60, what="the host's participant.joined")
        kim = rig.enter(local(links["kim@example.com"], rig.server))
        wait_until(lambda: room_state(kim)["publishing"], what="Kim publishes")
        wait_until(lambda: len(told()) == 2, seconds=60, what="Kim's participant.joined")
        kim_id = kim.evaluate("() => onstreamRoom.myId")
        kim.click("#leave")
        wait_until(lambda: len(told()) == 3, seconds=60, what="Kim's participant.left")
        host.click("#end")
        host.click("#end")
        wait_until(lambda: len(told()) == 5, seconds=60, what="the host leaves as it ends")
        assert told()[1:] == [
            ("participant.joined", "Kim"),
            ("participant.left", "Kim"),
            ("participant.left", told()[0][1]),
            ("meeting.ended", ""),
        ]
        mine = [r for r in receiver.received if r.event["data"]["session_id"] == session_id]
        assert all(verify(hook["secret"], r.signature, r.body) for r in mine)
        joined, left = mine[1].event["data"], mine[2].event["data"]
        assert joined["participant"] == left["participant"] == kim_id
        assert (joined["role"], joined["left_at"]) == ("participant", None)
        assert left["joined_at"] == joined["joined_at"] <= left["left_at"]
        assert mine[0].event["data"]["role"] == "moderator"
        close(host, kim)
    finally:
        rest(rig.owner, "DELETE", "webhook", {"id": hook["id"]})
        receiver.stop()
