"""The waiting room with real media (Janus, `onstream serve`, Chromium): a guest of the
public link knocks and waits, a moderator sees the knock and admits them, and the guest
enters by themselves and is seen in the room; a guest the moderator denies is told so.

Like `test_room.py` these run inside `scripts/in-netns` (`-m media`); pictures of the
waiting page and of the moderator's notice at desktop (1280 by 800) and phone (390 by 844)
size go into `test-output/`.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize
from tests.meetings.test_room import Rig, close, local, receives, rig, room_state, screenshot
from tests.support.api import ok
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]
__all__ = ["rig"]  # the module's Janus, server and browser, shared by these tests

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PASSCODE = "knock-knock"


def both_sizes(page: Page, name: str) -> None:
    """Pictures at desktop and phone width (the page is laid out again for each)."""
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(400)  # the tiles' move is animated for 0.2 s
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def public_link(rig: Rig, session_id: int) -> str:
    found = ok(rig.owner.get(f"session/id/{session_id}/return/session_link/format/json"))
    return local(str(found["sessions"][0]["session_link"]), rig.server)


def knock(rig: Rig, session_id: int, name: str) -> Page:
    page = rig.enter(public_link(rig, session_id), form={"name": name, "passcode": PASSCODE})
    wait_until(lambda: room_state(page)["status"] == "waiting", what=f"{name} waits")
    return page


def knocks(page: Page) -> list[str]:
    names: list[str] = page.locator("#knocking li .person-name").all_text_contents()
    return names


def in_room(page: Page, participant: Any) -> bool:
    return page.locator(f'#people li[data-participant="{participant}"]').count() == 1


def test_a_guest_knocks_and_a_moderator_lets_them_in(rig: Rig) -> None:
    session_id, _ = rig.session(topic="Office hours", password=PASSCODE, waiting_room=1)
    host = rig.enter(local(rig.host_link(session_id), rig.server))
    wait_until(lambda: room_state(host)["status"] == "publishing", what="the host is in")

    guest = knock(rig, session_id, "Gus")
    waiting = guest.locator("#waiting-room")
    assert waiting.is_visible()
    assert "Waiting for a moderator to let you in" in waiting.inner_text()
    assert not guest.locator("#stage").is_visible()
    assert guest.evaluate("() => onstreamRoom.publishing") is False
    both_sizes(guest, "waiting-room-guest")

    notice = host.locator("#knock-notice")
    wait_until(notice.is_visible, what="the host sees the knock")
    assert notice.inner_text() == "Gus is waiting to join. Admit or deny in People."
    assert knocks(host) == ["Gus"]
    assert host.locator("#knock-count").inner_text() == "1"
    both_sizes(host, "waiting-room-moderator")
    host.set_viewport_size(PHONE)  # on a phone the notice leads from the chat to the list
    host.click("#tab-chat")
    assert not host.locator("#knocking").is_visible()
    notice.click()
    assert host.locator("#knocking").is_visible()
    host.set_viewport_size(DESKTOP)

    host.locator('#knocking li button[data-action="admit"]').click()
    wait_until(lambda: room_state(guest)["status"] == "publishing", what="Gus enters")
    assert not waiting.is_visible()
    gus = guest.evaluate("() => onstreamRoom.myId")
    wait_until(lambda: receives(host, 1), what="the host receives Gus")
    wait_until(lambda: in_room(host, gus), what="Gus listed in the host's room")
    wait_until(lambda: not notice.is_visible(), what="the notice gone")
    assert knocks(host) == []

    dora = knock(rig, session_id, "Dora")
    wait_until(lambda: knocks(host) == ["Dora"], what="the host sees Dora knock")
    host.locator('#knocking li button[data-action="deny"]').click()
    wait_until(lambda: room_state(dora)["status"] == "denied", what="Dora denied")
    assert dora.locator("#ended-title").inner_text() == "A moderator did not let you in"
    wait_until(lambda: not notice.is_visible(), what="the notice gone again")
    close(host, guest, dora)
