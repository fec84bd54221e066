"""One room's audience over two Janus servers, with real media: two Janus processes,
`onstream serve` and Chromium. With `ONSTREAM_ROOM_VIEWERS_PER_JANUS=0` every observer is
placed on the server that does not hold the room, where the room's publishers are relayed as
remote publishers; the observer's page receives the presenter's video and audio from there,
and nobody can publish there.

Run inside `scripts/in-netns` (`-m media`), like `test_room.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page
from tests.meetings.test_recovery import joins
from tests.meetings.test_room import (
    Rig,
    close,
    in_the_namespace,
    invitees,
    janus_join,
    local,
    own_token,
    serving,
)
from tests.meetings.test_room_client import DENY_CAMERA
from tests.support.api import ok, rest
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

from onstream.janus.process import JanusProcess

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]


@dataclass
class TwoJanus:
    """The rig on the room's Janus (the first listed) and both Janus processes, in the
    order `ONSTREAM_JANUS_URLS` lists them (the `/janus/{n}` index of the pages' config)."""

    rig: Rig
    pair: list[JanusProcess]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoJanus]:
    work = tmp_path_factory.mktemp("cascade")
    in_the_namespace()
    recordings = work / "recordings"
    pair = [
        JanusProcess(work / f"janus{n}", recordings_dir=recordings, admin_key="cascade-key")
        for n in (1, 2)
    ]
    for janus in pair:
        janus.start()
    server = ServerProcess(
        workdir=work,
        database_url=f"sqlite:///{work / 'onstream.db'}",
        extra_env={
            "ONSTREAM_JANUS_URLS": ",".join(janus.url for janus in pair),
            "ONSTREAM_JANUS_ADMIN_KEY": "cascade-key",
            "ONSTREAM_RECORDINGS_DIR": str(recordings),
            "ONSTREAM_ROOM_VIEWERS_PER_JANUS": "0",
        },
        port=free_port(),
    )
    server.extra_env = {**server.extra_env, "ONSTREAM_BASE_URL": f"http://127.0.0.1:{server.port}"}
    with serving(server, pair[0]) as rig:
        yield TwoJanus(rig, pair)
    for janus in pair:
        janus.stop()


def config_of(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        "() => JSON.parse(document.getElementById('room-config').textContent)"
    )
    return found


INBOUND = """async () => {
  const found = {video: {frames: 0, width: 0}, audio: {packets: 0}};
  for (const pc of window.peerConnections || []) {
    if (pc.signalingState === "closed") continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "video") {
        found.video.frames += s.framesDecoded || 0;
        found.video.width = Math.max(found.video.width, s.frameWidth || 0);
      } else {
        found.audio.packets += s.packetsReceived || 0;
      }
    });
  }
  return found;
}"""
"""What the page receives over all its peer connections (inbound-rtp): video frames decoded,
the widest frame, audio packets."""


def inbound(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(INBOUND)
    return found


def receiving(page: Page) -> bool:
    """Whether video frames are decoded and audio packets arrive now (over half a second)."""
    before = inbound(page)
    page.wait_for_timeout(500)
    after = inbound(page)
    return (
        after["video"]["frames"] > before["video"]["frames"] > 0
        and after["video"]["width"] > 0
        and after["audio"]["packets"] > before["audio"]["packets"] > 0
    )


def publisher_joins(janus: JanusProcess, room: int, token: str) -> bool:
    """Whether a publisher join with this token gets into the room on this Janus, straight
    (in a thread of its own: Playwright's sync API owns this one's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(joins, janus, room, token).result()


def end_meeting(rig: Rig, session_id: int) -> None:
    """Delete the session and wait for its room to end: its viewers count no more when the
    next test's observers are placed."""
    ok(rest(rig.owner, "DELETE", "session", {"id": session_id}))

    def ended() -> bool:
        with sqlite3.connect(rig.server.workdir / "onstream.db") as db:
            query = "SELECT count(*) FROM rooms WHERE session_id = ? AND ended_at IS NULL"
            (open_rooms,) = db.execute(query, (session_id,)).fetchone()
        return open_rooms == 0

    wait_until(ended, what="the room ends")


def server_index(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def test_an_observer_on_the_second_janus_receives_the_presenter(two: TwoJanus) -> None:
    rig = two.rig
    session_id, links = rig.session(invited_participants=invitees(("vic@example.com", 3)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    vic = rig.enter(local(links["vic@example.com"], rig.server))
    config = config_of(vic)
    watching, room_server = server_index(config["janus"]), server_index(config["chatJanus"])
    assert watching != room_server  # placed on the server that does not hold the room
    assert server_index(config_of(host)["janus"]) == room_server  # the presenter stays

    wait_until(lambda: receiving(vic), seconds=30, what="the observer receives the presenter")
    # the presenter's tile and the people list, as on the room's own server
    wait_until(lambda: vic.locator("#people li").count() == 2, what="both listed to the observer")

    # nobody publishes on the second server: the relay refuses her, and Janus there lets no
    # token in, not even hers, which the room's own Janus takes
    token = own_token(vic)
    assert janus_join(vic, token) == "refused"
    assert not publisher_joins(two.pair[watching], config["room"], token)
    assert publisher_joins(two.pair[room_server], config["room"], token)
    close(host, vic)
    end_meeting(rig, session_id)


def test_a_later_presenter_and_a_restarted_second_janus_reach_the_observer(
    two: TwoJanus,
) -> None:
    rig = two.rig
    session_id, links = rig.session(invited_participants=invitees(("wes@example.com", 3)))
    wes = rig.enter(local(links["wes@example.com"], rig.server))  # before anybody publishes
    watching = server_index(config_of(wes)["janus"])
    assert watching != server_index(config_of(wes)["chatJanus"])
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    # the room sweeper relays the new publisher to the observer's server
    wait_until(lambda: receiving(wes), seconds=30, what="the observer receives the presenter")

    two.pair[watching].restart()  # the relayed room and its remote publisher are gone
    wait_until(
        lambda: wes.evaluate("() => onstreamRoom.status") == "reconnecting",
        what="the observer's page notices",
    )
    wait_until(lambda: receiving(wes), seconds=60, what="the observer receives her again")
    close(host, wes)
    end_meeting(rig, session_id)


def test_a_presenter_who_starts_a_screen_share_without_a_camera_reaches_the_observer(
    two: TwoJanus,
) -> None:
    rig = two.rig
    session_id, links = rig.session(invited_participants=invitees(("xia@example.com", 3)))
    xia = rig.enter(local(links["xia@example.com"], rig.server))
    # the presenter's camera is refused: she publishes her microphone alone
    context = rig.browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(DENY_CAMERA)
    host = context.new_page()
    host.goto(local(rig.host_link(session_id), rig.server))
    host.click("#enter")
    host.wait_for_url("**/room/**")

    def grows(kind: str, field: str) -> bool:
        before = inbound(xia)[kind][field]
        xia.wait_for_timeout(500)
        return bool(inbound(xia)[kind][field] > before)

    wait_until(lambda: grows("audio", "packets"), seconds=30, what="the observer hears her")
    assert inbound(xia)["video"]["frames"] == 0
    # her screen is a stream the relayed room did not have: it is announced there again
    host.click("#screen")
    wait_until(lambda: grows("video", "frames"), seconds=30, what="the observer sees the screen")
    wait_until(lambda: grows("audio", "packets"), seconds=30, what="and still hears her")
    close(host, xia)
    end_meeting(rig, session_id)
