"""What people do in the room page, with real media (Janus, `onstream serve`, Chromium):
sharing a screen and stopping it, the stage and its grid, mute state, raising a hand,
joining without a camera, the end screen and coming back after Janus restarts.

Like `test_room.py` these run inside `scripts/in-netns` (`-m media`); each takes pictures at
desktop (1280 by 800) and phone (390 by 844) size into `test-output/`.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize
from tests.meetings.test_room import (
    OUTPUT,
    OWNER,
    Rig,
    close,
    invitees,
    local,
    receives,
    rig,
    room_state,
    screenshot,
)
from tests.support.api import ok, rest
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]
__all__ = ["rig"]  # the module's Janus, server and browser, shared by these tests

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def rtp(page: Page) -> dict[str, Any]:
    """The page's RTP counters: {"outbound": {kind: {packets, frames}}, "inbound": {feed: ...}}."""
    found: dict[str, Any] = page.evaluate("() => onstreamRoomRtp()")
    return found


def frames_from(page: Page, feed: int) -> int:
    return int(rtp(page)["inbound"].get(str(feed), {}).get("video", {}).get("frames", 0))


def sent(page: Page, kind: str, what: str = "packets") -> int:
    return int(rtp(page)["outbound"].get(kind, {}).get(what, 0))


def keeps_growing(read: Any, what: str, by: int = 15) -> None:
    """Wait until the counter `read()` has grown by `by` from now."""
    start = read()
    wait_until(lambda: read() >= start + by, what=what)


NAMES_CUT = """() => [...document.querySelectorAll('.tile .label .name')].filter((n) => {
    if (n.offsetParent === null) return false;
    const range = document.createRange();
    range.selectNodeContents(n);
    const label = n.closest('.label');
    const padding = parseFloat(getComputedStyle(label).paddingRight);
    const end = label.getBoundingClientRect().right - padding;
    return range.getBoundingClientRect().right > end + 1 || n.scrollWidth > n.clientWidth;
  }).map((n) => n.textContent)"""
"""The names a visible tile's label shows cut off (its role gives way first)."""


def both_sizes(page: Page, name: str) -> None:
    """Pictures at desktop and phone width (the page is laid out again for each); on a phone
    every tile still shows its person's whole name."""
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(400)  # the tiles' move is animated for 0.2 s
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    assert page.evaluate(NAMES_CUT) == [], "a tile's label cuts a name off"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def my_id(page: Page) -> int:
    return int(page.evaluate("() => onstreamRoom.myId"))


def tile(page: Page, participant: int) -> Any:
    return page.locator(f"#tile-{participant}")


def three(rig: Rig) -> tuple[Page, Page, Page]:
    _, links = rig.session(
        topic="Product review",
        invited_participants=invitees(
            ("ann@example.com", 2), ("ben@example.com", 2), ("cal@example.com", 2)
        ),
    )
    pages = tuple(
        rig.enter(local(links[f"{n}@example.com"], rig.server)) for n in ("ann", "ben", "cal")
    )
    for page in pages:
        wait_until(partial(receives, page, 2), what="everybody receives the two others")
    return pages  # type: ignore[return-value]


def camera_label(page: Page) -> str:
    label: str = page.evaluate(
        "() => document.getElementById('local-video').srcObject.getVideoTracks()[0].label"
    )
    return label


def test_stopping_a_screen_share_brings_the_camera_back_for_everyone(rig: Rig) -> None:
    ann, ben, cal = three(rig)
    ann_id = my_id(ann)
    ann.click("#screen")
    wait_until(lambda: ann.locator("#screen").inner_text() == "Stop sharing", what="sharing")
    assert "screen" in camera_label(ann)
    # the others show the screen large, above a strip of people, uncropped
    shared = tile(ben, ann_id)
    wait_until(lambda: "featured" in (shared.get_attribute("class") or ""), what="the stage")
    box = shared.bounding_box()
    assert box is not None
    assert box["width"] > 700, box
    fit = "() => getComputedStyle(document.querySelector('.tile.featured video')).objectFit"
    assert ben.evaluate(fit) == "contain"
    for other in (my_id(ben), my_id(cal)):
        small = tile(ben, other).bounding_box()
        assert small is not None
        assert small["y"] > box["y"] + box["height"] - 1, small
    keeps_growing(lambda: frames_from(ben, ann_id), "Ben receives Ann's screen")
    # for the README's picture: a hand up, a muted microphone, a word in the chat
    cal_tile = tile(ben, my_id(cal))
    cal.click("#hand")
    cal.click("#mic")
    ann.fill("#chat-text", "This is the plan for May")
    ann.press("#chat-text", "Enter")
    wait_until(lambda: cal_tile.locator(".hand-badge").is_visible(), what="Cal's hand")
    wait_until(lambda: cal_tile.locator(".mic-off").is_visible(), what="Cal muted")
    wait_until(lambda: "plan for May" in ben.locator("#messages").inner_text(), what="chat")
    both_sizes(ben, "room-three-people-sharing")
    shutil.copyfile(OUTPUT / "room-three-people-sharing.png", DOCS / "room.png")

    # the button stops the share: the camera comes back, for Ann and for the others
    ann.click("#screen")
    wait_until(lambda: ann.locator("#screen").inner_text() == "Share screen", what="button")
    assert "screen" not in camera_label(ann)
    wait_until(lambda: "featured" not in (shared.get_attribute("class") or ""), what="grid")
    keeps_growing(lambda: frames_from(ben, ann_id), "Ben receives Ann's camera again")
    keeps_growing(lambda: sent(ann, "video", "frames"), "Ann sends video again")

    # the browser's own "stop sharing" ends the track: the same
    ann.click("#screen")
    wait_until(lambda: "screen" in camera_label(ann), what="sharing again")
    ann.evaluate("() => onstreamRoom.local.screen.dispatchEvent(new Event('ended'))")
    wait_until(lambda: ann.locator("#screen").inner_text() == "Share screen", what="stopped")
    assert "screen" not in camera_label(ann)
    keeps_growing(lambda: frames_from(cal, ann_id), "Cal receives Ann's camera again")
    keeps_growing(lambda: sent(ann, "video", "frames"), "Ann sends video again")
    close(ann, ben, cal)


def test_three_people_fill_the_stage_and_a_camera_off_tile_shows_the_name(rig: Rig) -> None:
    ann, ben, cal = three(rig)
    for page in (ann, ben, cal):
        for el in page.locator("#stage .tile").all():
            box = el.bounding_box()
            assert box is not None
            assert box["width"] >= 400, box
    ann_id = my_id(ann)
    ann.click("#cam")
    wait_until(lambda: ann.locator("#cam").inner_text() == "Start video", what="camera off")
    off = tile(ben, ann_id)
    wait_until(lambda: "camera-off" in (off.get_attribute("class") or ""), what="Ben sees it")
    assert off.locator(".initials").inner_text() == "AN"
    assert off.locator(".avatar-name").is_visible()
    # somebody speaks (the fake microphone beeps): a highlight, and the speaker view
    wait_until(lambda: ben.locator("#stage .tile.speaking").count() > 0, what="a speaker")
    ben.click("#speaker-view")
    wait_until(lambda: ben.locator("#stage .tile.featured").count() == 1, what="speaker view")
    ben.click("#speaker-view")
    wait_until(lambda: ben.locator("#stage .tile.featured").count() == 0, what="grid again")
    # a viewer pins anyone to the stage
    cal_tile = tile(ben, my_id(cal))
    cal_tile.hover()
    cal_tile.locator(".pin").click()
    wait_until(lambda: "featured" in (cal_tile.get_attribute("class") or ""), what="pinned")
    cal_tile.locator(".pin").click()
    wait_until(lambda: "featured" not in (cal_tile.get_attribute("class") or ""), what="unpinned")
    both_sizes(ben, "room-three-people")
    # on a phone: one's own view floats small, people and chat in tabs, the input visible
    ben.set_viewport_size(PHONE)
    own = tile(ben, my_id(ben))
    wait_until(lambda: "floating" in (own.get_attribute("class") or ""), what="picture in picture")

    def small() -> bool:
        box = own.bounding_box()
        return box is not None and box["width"] <= 150

    wait_until(small, what="one's own view small (it moves in 0.2 s)")
    ben.click("#tab-chat")
    assert ben.locator("#people").is_hidden()
    uncovered = """() => { const input = document.getElementById('chat-text');
        const r = input.getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === input; }"""
    wait_until(lambda: ben.evaluate(uncovered), what="the chat input is not covered")
    assert ben.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(ben, "room-phone-chat")
    # a stage too small for three tiles of a readable size shows them in pages
    ben.set_viewport_size({"width": 1000, "height": 380})
    wait_until(lambda: ben.locator("#pager").is_visible(), what="pages of tiles")
    first = ben.locator("#page-number").inner_text()
    assert first.startswith("Page 1 of ")
    ben.click("#page-next")
    wait_until(lambda: ben.locator("#page-number").inner_text().startswith("Page 2"), what="next")
    screenshot(ben, "room-pages")
    close(ann, ben, cal)


def host_and_ann(rig: Rig) -> tuple[Page, Page, int]:
    session_id, links = rig.session(invited_participants=invitees(("ann@example.com", 2)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    ann = rig.enter(local(links["ann@example.com"], rig.server))
    wait_until(lambda: receives(host, 1), what="the host receives Ann")
    wait_until(lambda: receives(ann, 1), what="Ann receives the host")
    wait_until(lambda: ann.locator("#chat-text").is_enabled(), what="Ann's channel is open")
    wait_until(lambda: host.locator("#chat-text").is_enabled(), what="the host's is open")
    return host, ann, my_id(ann)


def test_mute_state_shows_for_everyone_and_follows_a_moderator(rig: Rig) -> None:
    host, ann, ann_id = host_and_ann(rig)
    row = host.locator(f'#people li[data-participant="{ann_id}"]')
    wait_until(lambda: row.locator('button[data-action="mute"]').count() == 1, what="Mute")
    assert row.locator('button[data-action="unmute"]').count() == 0  # one or the other
    ann.click("#mic")
    wait_until(lambda: ann.locator("#mic").inner_text() == "Unmute", what="Ann muted")
    badge = tile(host, ann_id).locator(".mic-off")
    wait_until(lambda: badge.is_visible(), what="the host sees Ann muted")
    wait_until(lambda: row.locator(".mic-state").inner_text() == "Muted", what="in the list")
    wait_until(lambda: row.locator('button[data-action="unmute"]').count() == 1, what="Unmute")
    assert row.locator('button[data-action="mute"]').count() == 0
    both_sizes(host, "room-muted")
    ann.click("#mic")
    wait_until(lambda: badge.is_hidden(), what="Ann speaks again")
    # a moderator's mute reaches Ann's own button
    row.locator('button[data-action="mute"]').click()
    wait_until(lambda: ann.locator("#mic").inner_text() == "Unmute", what="Ann's button")
    wait_until(lambda: badge.is_visible(), what="shown muted to the host")
    close(host, ann)


def test_a_camera_only_joiner_has_nothing_to_mute_until_the_microphone_is_on(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("mia@example.com", 2)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    mia = rig.browser.new_context(viewport=DESKTOP).new_page()
    mia.goto(local(links["mia@example.com"], rig.server))
    mia.uncheck("#use-microphone")
    mia.click("#enter")
    mia.wait_for_url("**/room/**")
    mia_id = my_id(mia)
    wait_until(lambda: receives_video_from(host, mia_id), what="the host sees Mia")
    row = host.locator(f'#people li[data-participant="{mia_id}"]')
    wait_until(lambda: row.locator(".mic-state").inner_text() == "No microphone", what="said")
    assert row.locator('button[data-action="mute"]').count() == 0  # her stream "0" is video
    assert tile(host, mia_id).locator(".mic-off").inner_text().endswith("No microphone")
    both_sizes(host, "room-camera-only")
    # her microphone comes on as her second stream, and the moderator's mute reaches it
    mia.click("#mic")
    wait_until(lambda: mia.locator("#mic").inner_text() == "Mute", what="Mia speaks")
    wait_until(lambda: row.locator('button[data-action="mute"]').count() == 1, what="Mute")
    row.locator('button[data-action="mute"]').click()
    wait_until(lambda: mia.locator("#mic").inner_text() == "Unmute", what="Mia is muted")
    assert "A moderator muted you" in mia.locator("#status").inner_text()
    keeps_growing(lambda: frames_from(host, mia_id), "the host still sees Mia's camera")
    close(host, mia)


def test_everybody_sees_when_a_moderator_records(rig: Rig) -> None:
    host, ann, _ = host_and_ann(rig)
    banner = ann.locator("#recording-banner")
    assert banner.is_hidden()
    host.click("#record")
    wait_until(lambda: banner.is_visible(), what="Ann sees the meeting is being recorded")
    assert banner.inner_text() == "This meeting is being recorded"
    assert ann.locator("#recording").inner_text() == "● Recording"
    assert ann.locator("#recording").is_visible()
    both_sizes(ann, "room-recorded")
    host.click("#record")
    wait_until(lambda: banner.is_hidden(), what="and that it stopped")
    assert ann.locator("#recording").is_hidden()
    close(host, ann)


def test_a_removed_person_is_let_back_in_by_a_moderator(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("ann@example.com", 2)))
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    link = local(links["ann@example.com"], rig.server)
    ann = rig.enter(link)
    ann_id = my_id(ann)
    wait_until(lambda: receives(host, 1), what="the host receives Ann")
    row = host.locator(f'#people li[data-participant="{ann_id}"]')
    wait_until(lambda: row.locator('button[data-action="remove"]').count() == 1, what="Remove")
    row.locator('button[data-action="remove"]').click()
    wait_until(lambda: room_state(ann)["status"] == "removed", what="Ann removed")
    ann.goto(link)  # her personal link says so and offers no way in
    assert "You were removed from this meeting" in ann.locator("#removed").inner_text()
    assert ann.locator("#enter").count() == 0
    back = host.locator(f'#people li[data-removed="{ann_id}"] button[data-action="readmit"]')
    wait_until(lambda: back.count() == 1, what="the host sees Ann removed")
    assert back.inner_text() == "Let back in"
    screenshot(host, "room-removed")
    back.click()
    wait_until(lambda: back.count() == 0, what="Ann is let back in")
    ann.goto(link)
    ann.click("#enter")
    ann.wait_for_url("**/room/**")
    wait_until(lambda: receives(host, 1), what="the host receives Ann again")
    close(host, ann)


def test_a_raised_hand_is_seen_by_the_moderator_who_lowers_it(rig: Rig) -> None:
    host, ann, ann_id = host_and_ann(rig)
    ann.click("#hand")
    wait_until(lambda: ann.locator("#hand").inner_text() == "Lower hand", what="raised")
    row = host.locator(f'#people li[data-participant="{ann_id}"]')
    wait_until(lambda: row.locator(".hand").is_visible(), what="the host sees the hand")
    assert host.locator("#hands li").all_inner_texts() == ["Ann"]
    assert tile(host, ann_id).locator(".hand-badge").is_visible()
    # marks are drawn (no emoji font needed) and said in words
    assert tile(host, ann_id).locator(".hand-badge svg").count() == 1
    assert tile(host, ann_id).locator(".hand-badge").inner_text() == "Hand raised"
    assert row.locator(".hand").inner_text() == "Hand 1"
    ann.click("#react")
    ann.click("#reactions button >> text=🎉")
    reaction = tile(host, ann_id).locator(".reaction")
    wait_until(lambda: reaction.inner_text() == "🎉", what="the host sees the reaction")
    both_sizes(host, "room-hand-raised")
    row.locator('button[data-action="lower"]').click()
    wait_until(lambda: ann.locator("#hand").inner_text() == "Raise hand", what="lowered")
    wait_until(lambda: host.locator("#hands li").count() == 0, what="the queue empties")
    close(host, ann)


def test_the_sender_sees_a_chat_message_once(rig: Rig) -> None:
    host, ann, _ = host_and_ann(rig)
    ann.fill("#chat-text", "first")
    ann.press("#chat-text", "Enter")
    ann.fill("#chat-text", "second")
    ann.press("#chat-text", "Enter")
    wait_until(lambda: "second" in host.locator("#messages").inner_text(), what="the host reads")
    wait_until(lambda: "second" in ann.locator("#messages").inner_text(), what="Ann reads")
    assert ann.locator("#messages li").all_inner_texts() == [
        "Ann (you): first",
        "Ann (you): second",
    ]
    assert host.locator("#messages li").all_inner_texts() == ["Ann: first", "Ann: second"]
    close(host, ann)


DENY_CAMERA = """(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => c && c.video
    ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : real(c);
})()"""


def test_an_observer_sees_a_screen_shared_by_a_presenter_without_a_camera(rig: Rig) -> None:
    session_id, links = rig.session(invited_participants=invitees(("ola@example.com", 3)))
    ola = rig.enter(local(links["ola@example.com"], rig.server))
    context = rig.browser.new_context(viewport=DESKTOP)
    context.add_init_script(DENY_CAMERA)
    host = context.new_page()
    host.goto(local(rig.host_link(session_id), rig.server))
    host.click("#enter")
    host.wait_for_url("**/room/**")
    host_id = my_id(host)
    keeps_growing(
        lambda: rtp(ola)["inbound"].get(str(host_id), {}).get("audio", {}).get("packets", 0),
        "the observer hears the presenter",
    )
    assert frames_from(ola, host_id) == 0
    # the screen is a stream the observer's subscription to her did not have
    host.click("#screen")
    keeps_growing(lambda: frames_from(ola, host_id), "the observer sees the screen")
    close(host, ola)


def test_a_denied_camera_still_sends_the_microphone(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("dee@example.com", 2), ("eli@example.com", 2))
    )
    context = rig.browser.new_context(viewport=DESKTOP)
    context.add_init_script(DENY_CAMERA)
    dee = context.new_page()
    dee.goto(local(links["dee@example.com"], rig.server))
    dee.click("#enter")
    dee.wait_for_url("**/room/**")
    eli = rig.enter(local(links["eli@example.com"], rig.server))
    wait_until(lambda: room_state(dee)["publishing"], what="Dee publishes")
    keeps_growing(lambda: sent(dee, "audio"), "Dee sends audio")
    assert "video" not in rtp(dee)["outbound"]
    assert "not allowed" in dee.locator("#status").inner_text()
    dee_id = my_id(dee)
    dee_tile = tile(eli, dee_id)
    wait_until(lambda: "no-video" in (dee_tile.get_attribute("class") or ""), what="a name tile")
    wait_until(
        lambda: rtp(eli)["inbound"].get(str(dee_id), {}).get("audio", {}).get("packets", 0) > 0,
        what="Eli hears Dee",
    )
    both_sizes(eli, "room-microphone-only")
    close(dee, eli)


def test_listening_only_then_turning_the_camera_on(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("fay@example.com", 2), ("gil@example.com", 2))
    )
    context = rig.browser.new_context(viewport=DESKTOP)
    fay = context.new_page()
    fay.goto(local(links["fay@example.com"], rig.server))
    fay.uncheck("#use-camera")
    fay.uncheck("#use-microphone")
    fay.click("#enter")
    fay.wait_for_url("**/room/**")
    gil = rig.enter(local(links["gil@example.com"], rig.server))
    wait_until(lambda: receives(fay, 1), what="Fay receives Gil")
    wait_until(lambda: "listening" in fay.locator("#status").inner_text(), what="listening")
    assert fay.locator("#mic").inner_text() == "Unmute"
    assert fay.locator("#cam").inner_text() == "Start video"
    assert rtp(fay)["outbound"] == {}
    fay.click("#devices")  # the pickers of the room
    wait_until(lambda: fay.locator("#pick-camera option").count() > 0, what="cameras listed")
    assert fay.locator("#pick-microphone").is_visible()
    fay.click("#cam")
    wait_until(lambda: fay.locator("#cam").inner_text() == "Stop video", what="camera on")
    keeps_growing(lambda: sent(fay, "video", "frames"), "Fay sends video")
    wait_until(lambda: receives_video_from(gil, my_id(fay)), what="Gil sees Fay")
    close(fay, gil)


def receives_video_from(page: Page, feed: int) -> bool:
    return frames_from(page, feed) > 10


def test_join_now_pressed_early_enters_when_the_room_opens(rig: Rig) -> None:
    start = datetime.now(UTC) + timedelta(minutes=15, seconds=12)
    data = {"topic": "Soon", "duration": 30, "timezone": "UTC", "friendly_url": "soon"}
    data["start_time"] = f"{start:%Y-%m-%d %H:%M:%S}"
    ok(rest(rig.owner, "PUT", "session", data), 201)
    context = rig.browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{rig.server.base_url}/{OWNER[0]}/soon")
    page.fill("#name", "Early")
    page.click("#enter")
    assert page.locator("#waiting").is_visible()
    assert page.locator("#preview").bounding_box() is None  # no black box before the test
    screenshot(page, "lobby-waiting-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "lobby-waiting")
    page.wait_for_url("**/room/**", timeout=60_000)
    wait_until(lambda: room_state(page)["publishing"], what="Early publishes")
    context.close()


def test_the_end_screen_replaces_the_room_and_a_reload_says_it_ended(rig: Rig) -> None:
    session_id, links = rig.session(
        auto_record=1, invited_participants=invitees(("ivy@example.com", 2))
    )
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    ivy = rig.enter(local(links["ivy@example.com"], rig.server))
    wait_until(lambda: receives(ivy, 1), what="Ivy receives the host")
    host.click("#end")
    host.click("#end")
    for page in (host, ivy):
        wait_until(page.locator("#ended").is_visible, what="the end screen")
        assert page.locator("#ended-title").inner_text() == "This meeting has ended"
        assert page.locator(".tile").count() == 0
        assert page.locator("#chat-text").count() == 0
    assert (
        host.locator("#ended-recording").inner_text()
        == "The recording will appear in your account."
    )
    assert ivy.locator("#ended-recording").is_hidden()
    both_sizes(host, "room-ended")
    answer = ivy.reload()
    assert answer is not None
    assert answer.status == 410
    assert "This meeting has ended" in ivy.content()
    assert "removed" not in ivy.content()
    close(host, ivy)


WHILE_RECONNECTING = """() => {
  if (onstreamRoom.status !== "reconnecting") return null;
  const banner = document.getElementById("reconnecting");
  const shown = (el) => el.getBoundingClientRect().width > 0;
  const tiles = {};
  for (const t of document.querySelectorAll("#stage .tile")) {
    if (shown(t)) tiles[t.dataset.participant] = [t.querySelector(".avatar-name").textContent,
      t.querySelector(".initials").textContent];
  }
  return { status: document.getElementById("status").textContent, tiles,
    banner: shown(banner) ? banner.innerText : null };
}"""


def test_the_room_comes_back_by_itself_after_janus_restarts(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("kit@example.com", 2), ("lou@example.com", 2))
    )
    kit = rig.enter(local(links["kit@example.com"], rig.server))
    lou = rig.enter(local(links["lou@example.com"], rig.server))
    wait_until(lambda: receives(kit, 1) and receives(lou, 1), what="both receive")
    lou_id = my_id(lou)
    lou.set_viewport_size(PHONE)
    rig.janus.restart()
    # what the page shows while it reconnects, read at once (the rejoin can take a second)
    seen = wait_until(lambda: kit.evaluate(WHILE_RECONNECTING), seconds=60, what="told")
    assert seen["status"] == "Reconnecting…"
    # a banner over the stage says so, with the next try; Lou's tile keeps his name
    assert seen["banner"] is not None
    assert "Reconnecting to the meeting…" in seen["banner"]
    assert "Trying again" in seen["banner"]
    assert seen["tiles"] == {str(my_id(kit)): ["Kit", "KI"], str(lou_id): ["Lou", "LO"]}
    for page, name in ((kit, "room-reconnecting"), (lou, "room-reconnecting-phone")):
        if room_state(page)["status"] == "reconnecting":  # a picture only: it may be back
            screenshot(page, name)
    for page in (kit, lou):
        wait_until(partial(receives, page, 1), seconds=120, what="media again, no click")
    assert kit.locator("#reconnecting").is_hidden()
    lou_tile = tile(kit, lou_id)
    assert lou_tile.is_visible()
    assert "stale" not in (lou_tile.get_attribute("class") or "")
    assert kit.locator("#stage .tile").count() == 2
    close(kit, lou)
