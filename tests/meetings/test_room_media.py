"""What video travels in the room, with real media (Janus, `onstream serve`, Chromium): the
camera goes out in simulcast layers, each tile receives the layer that fits it, and a page
receives the video of at most `ONSTREAM_ROOM_LAST_N` people, whoever speaks first.

Like `test_room.py` these run inside `scripts/in-netns` (`-m media`). Every page here has a
silent microphone (a WAV file of silence), except the speaker's, whose microphone plays a tone:
Chromium's own fake microphone beeps, which would make everybody a speaker.
"""

from __future__ import annotations

import math
import struct
import subprocess
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from tests.meetings.test_room import MEDIA_ARGS, Rig, close, invitees, local, running_rig
from tests.support.browser import CHROMIUM
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]

LAST_N = 2


def write_wav(path: Path, *, tone: bool) -> Path:
    """Two seconds of 48 kHz mono: a 440 Hz tone, or silence."""
    rate = 48_000
    samples = (
        int(12_000 * math.sin(2 * math.pi * 440 * i / rate)) if tone else 0 for i in range(rate * 2)
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@dataclass
class Rooms:
    """The rig (its browser's microphones are silent) and a browser whose microphone plays
    a tone."""

    rig: Rig
    speaking: Browser


@pytest.fixture(scope="module")
def rooms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rooms]:
    work = tmp_path_factory.mktemp("media")
    silence = write_wav(work / "silence.wav", tone=False)
    tone = write_wav(work / "tone.wav", tone=True)
    env = {"ONSTREAM_ROOM_LAST_N": str(LAST_N)}
    audio = f"--use-file-for-fake-audio-capture={silence}"
    with running_rig(work, env=env, args=[audio]) as rig:
        speaking = rig.browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[*MEDIA_ARGS, f"--use-file-for-fake-audio-capture={tone}"],
        )
        yield Rooms(rig, speaking)
        speaking.close()


def video(page: Page) -> dict[str, Any]:
    """{"outbound": [{rid, bytes, width}], "inbound": {feed: {frames, width}}, "chosen": ...}"""
    found: dict[str, Any] = page.evaluate("() => onstreamRoomVideo()")
    return found


def my_id(page: Page) -> int:
    return int(page.evaluate("() => onstreamRoom.myId"))


def decoding(page: Page) -> set[int]:
    """The people whose video frames this page decodes now (over half a second)."""
    before = video(page)["inbound"]
    page.wait_for_timeout(500)
    after = video(page)["inbound"]
    return {
        int(feed)
        for feed, now in after.items()
        if feed in before and now["frames"] > before[feed]["frames"]
    }


def hearing(page: Page) -> set[int]:
    found = page.evaluate(
        "() => onstreamRoomStats().filter((s) => s.kind === 'audio' && s.readyState === 'live')"
        ".map((s) => s.feed)"
    )
    return set(found)


def layers_sent(page: Page) -> set[str]:
    """The simulcast layers (rids) whose bytes grow over half a second."""
    before = {o["rid"]: o["bytes"] for o in video(page)["outbound"]}
    page.wait_for_timeout(500)
    return {
        o["rid"]
        for o in video(page)["outbound"]
        if o["rid"] and o["bytes"] > before.get(o["rid"], o["bytes"])
    }


WATCH = """([eve, before]) => {
  window.watched = {};
  const timer = setInterval(async () => {
    const heard = onstreamRoomStats().some((s) => s.feed === eve && s.kind === "audio" && s.live);
    if (heard && !watched.heard) watched.heard = performance.now();
    if (onstreamRoom.activeSpeaker === eve && !watched.speaker) watched.speaker = performance.now();
    if (onstreamRoom.media.video.includes(eve) && !watched.asked) watched.asked = performance.now();
    const seen = (await onstreamRoomVideo()).inbound[eve];
    if (watched.heard && seen && seen.frames > before) {
      watched.seen = performance.now();
      clearInterval(timer);
    }
  }, 50);
}"""
"""Run in a page: when it first has `eve`'s audio, then when it decodes her video (its clock,
so a slow round trip from the test does not count)."""


def enter(rooms: Rooms, link: str, *, speaker: bool = False, microphone: bool = True) -> Page:
    browser = rooms.speaking if speaker else rooms.rig.browser
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(local(link, rooms.rig.server))
    if not microphone:
        page.uncheck("#use-microphone")
    page.click("#enter")
    page.wait_for_url("**/room/**")
    return page


def test_the_camera_goes_out_in_layers_and_a_pinned_tile_gets_a_larger_one(rooms: Rooms) -> None:
    _, links = rooms.rig.session(
        invited_participants=invitees(
            ("ann@example.com", 2), ("ben@example.com", 2), ("cal@example.com", 2)
        )
    )
    ann, ben, cal = (enter(rooms, links[f"{n}@example.com"]) for n in ("ann", "ben", "cal"))
    ann_id, ben_id = my_id(ann), my_id(ben)
    wait_until(lambda: len(layers_sent(ann)) >= 2, what="Ann sends two or more layers")
    wait_until(lambda: decoding(cal) == {ann_id, ben_id}, what="Cal decodes Ann and Ben")

    # Cal pins Ann: Ann's tile is large, Ben's a thumbnail in the strip below
    cal.click(f"#tile-{ann_id} .pin")

    def pinned_is_sharper() -> bool:
        inbound = video(cal)["inbound"]
        large, small = inbound[str(ann_id)]["width"], inbound[str(ben_id)]["width"]
        return 0 < small < large

    wait_until(pinned_is_sharper, what="Ann's pinned video wider than Ben's thumbnail")
    widths = {feed: v["width"] for feed, v in video(cal)["inbound"].items()}
    print(f"Ann sends layers {sorted(layers_sent(ann))}; Cal receives widths {widths}")
    close(ann, ben, cal)


def test_at_most_n_videos_are_received_and_a_new_speaker_is_seen_at_once(rooms: Rooms) -> None:
    names = ("ann", "ben", "cal", "dan", "eve")
    _, links = rooms.rig.session(
        invited_participants=invitees(*((f"{n}@example.com", 2) for n in names))
    )
    ann, ben, cal, dan = (enter(rooms, links[f"{n}@example.com"]) for n in names[:4])
    others = {my_id(p) for p in (ben, cal, dan)}
    wait_until(lambda: hearing(ann) == others, what="Ann hears all three others")

    def last_n_decoded() -> set[int]:
        now = decoding(ann)
        return now if len(now) == LAST_N else set()

    # the set seen, not a second look: a frame late by half a second would change it
    shown = wait_until(last_n_decoded, what=f"Ann decodes {LAST_N} videos")
    (paused,) = others - shown
    assert "video-paused" in (ann.locator(f"#tile-{paused}").get_attribute("class") or "")
    assert ann.locator(f"#tile-{paused} .avatar").is_visible()  # the name instead of video

    # Eve comes in with her microphone off (her tile shows her name), then speaks
    eve = enter(rooms, links["eve@example.com"], speaker=True, microphone=False)
    eve_id = my_id(eve)
    wait_until(lambda: ann.locator(f"#tile-{eve_id}").count() == 1, what="Eve's tile")
    wait_until(lambda: eve_id not in decoding(ann), what="Eve's video paused for Ann")
    before = video(ann)["inbound"].get(str(eve_id), {"frames": 0})["frames"]
    ann.evaluate(WATCH, [eve_id, before])
    eve.click("#mic")
    watched = wait_until(lambda: ann.evaluate("() => window.watched.seen && window.watched"),
                         what="Ann hears Eve, then receives her video")  # fmt: skip
    took = (watched["seen"] - watched["heard"]) / 1000
    steps = {k: round((v - watched["heard"]) / 1000, 2) for k, v in watched.items()}
    print(f"Eve's video decoded {took:.2f} s after her audio reached Ann: {steps}")
    # The goal is 2 s on an idle machine (docs/rooms.md keeps the measured figures); the
    # bound here is generous so that a busy test machine does not fail a working switch.
    assert took < 10.0, took
    assert ann.evaluate("() => onstreamRoom.activeSpeaker") == eve_id
    wait_until(lambda: len(decoding(ann)) <= LAST_N, what=f"at most {LAST_N} videos again")
    assert eve_id in decoding(ann)
    close(ann, ben, cal, dan, eve)


@contextmanager
def udp_loss(percent: int) -> Iterator[None]:
    """Drop `percent` % of the UDP packets in this network namespace (the media; HTTP and
    Janus's API go over TCP, untouched), until the block ends."""
    rule = ["INPUT", "-p", "udp", "-m", "statistic", "--mode", "random"]
    rule += ["--probability", str(percent / 100), "-j", "DROP"]
    subprocess.run(["iptables", "-A", *rule], check=True)
    try:
        yield
    finally:
        subprocess.run(["iptables", "-D", *rule], check=True)


def test_a_video_that_loses_packets_gets_a_lower_layer_then_its_own_back(rooms: Rooms) -> None:
    _, links = rooms.rig.session(
        invited_participants=invitees(("ann@example.com", 2), ("ben@example.com", 2))
    )
    ann, ben = (enter(rooms, links[f"{n}@example.com"]) for n in ("ann", "ben"))
    ann_id = my_id(ann)
    wait_until(lambda: decoding(ben) == {ann_id}, what="Ben decodes Ann")
    ben.click(f"#tile-{ann_id} .pin")

    def layer() -> int:
        return int(video(ben)["chosen"]["layers"].get(str(ann_id), -1))

    # the tile wants the highest layer; a device that cannot decode it all gets less
    wait_until(lambda: layer() > 0, what="Ben asks for more than Ann's lowest layer")
    with udp_loss(30):
        wait_until(lambda: layer() == 0, what="the lowest layer while packets are lost")
    wait_until(lambda: layer() > 0, what="a higher layer back", seconds=90)
    assert ann_id in decoding(ben)
    close(ann, ben)
