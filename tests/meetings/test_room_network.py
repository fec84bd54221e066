"""The room page when the network breaks under a live connection, with real media (Janus,
`onstream serve`, Chromium) inside `scripts/in-netns` (`-m media`).

The cut is an `iptables` rule in the test's own network namespace that drops the ICE checks
of the connections a page uses now: every UDP packet carrying their ICE usernames
(`remote-ufrag:local-ufrag`, both ways). Media keeps its address and port, yet once the
checks go unanswered Chromium stops trusting the path and no media flows on it again, as
when a laptop's Wi-Fi changes; only an ICE restart (new credentials, whose checks pass)
brings it back. A page that waited for the old path stays silent: without the restart,
Lee's count of frames from Kim stopped within 10 s of the cut and had not moved 75 s later,
both connections "disconnected" throughout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Page
from tests.meetings.test_room import Rig, close, invitees, local, receives, rig
from tests.meetings.test_room_client import frames_from, keeps_growing, my_id
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.media, pytest.mark.timeout(300)]
__all__ = ["rig"]  # the module's Janus, server and browser


def ice(page: Page) -> dict[str, Any]:
    """{"pub": {state, local, remote}, "sub": {...}, "restarts": n} of the page."""
    found: dict[str, Any] = page.evaluate("() => onstreamRoomIce()")
    return found


@contextmanager
def dropped(usernames: list[str]) -> Iterator[None]:
    """Every UDP packet that carries one of these ICE usernames is dropped, until the end."""
    rules = [
        ["OUTPUT", "-p", "udp", "-m", "string", "--algo", "bm", "--string", name, "-j", "DROP"]
        for name in usernames
    ]
    for rule in rules:
        subprocess.run(["iptables", "-I", *rule], check=True)
    try:
        yield
    finally:
        for rule in rules:
            subprocess.run(["iptables", "-D", *rule], check=True)


def usernames(page: Page) -> list[str]:
    """The ICE usernames of both the page's connections, in both directions."""
    found = ice(page)
    names = []
    for pc in (found["pub"], found["sub"]):
        names += [f"{pc['remote']}:{pc['local']}", f"{pc['local']}:{pc['remote']}"]
    return names


def test_a_cut_media_path_comes_back_by_an_ice_restart_without_a_click(rig: Rig) -> None:
    _, links = rig.session(
        invited_participants=invitees(("kim@example.com", 2), ("lee@example.com", 2))
    )
    kim = rig.enter(local(links["kim@example.com"], rig.server))
    lee = rig.enter(local(links["lee@example.com"], rig.server))
    wait_until(lambda: receives(kim, 1) and receives(lee, 1), what="both receive")
    kim_id, lee_id = my_id(kim), my_id(lee)
    session = kim.evaluate("() => onstreamRoom.privateId")
    before = ice(kim)
    assert before["restarts"] == 0
    with dropped(usernames(kim)):
        wait_until(lambda: ice(kim)["pub"]["state"] != "connected", what="the cut is felt")

        def fresh(which: str) -> bool:
            now = ice(kim)[which]
            return bool(now and now["local"] != before[which]["local"])

        wait_until(lambda: fresh("pub") and fresh("sub"), seconds=90, what="an ICE restart")
        assert ice(kim)["restarts"] >= 1
        # media again both ways, on the same Janus session: no reconnect, no click
        keeps_growing(lambda: frames_from(lee, kim_id), "Lee receives Kim's video again")
        keeps_growing(lambda: frames_from(kim, lee_id), "Kim receives Lee's video again")
        wait_until(lambda: receives(kim, 1) and receives(lee, 1), what="both play again")
    assert kim.evaluate("() => onstreamRoom.privateId") == session
    assert kim.evaluate("() => onstreamRoom.status") == "publishing"
    close(kim, lee)
