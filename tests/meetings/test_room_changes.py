"""Room changes Janus does not take are kept and retried, a bounded number of times, and a
newer change of the same thing replaces a kept one. The Janus here is a server nobody
configured, which refuses every call at once."""

from __future__ import annotations

import logging

import pytest

from onstream.config import Settings
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms
from onstream.services import Ejection, Mute, Recording, Relay, RoomHandle

pytestmark = pytest.mark.anyio

ROOM = RoomHandle(server="http://127.0.0.1:9/janus", janus_room=7, secret="room-secret")
OTHER = RoomHandle(server="http://127.0.0.1:9/janus", janus_room=8, secret="other-secret")


def unreachable() -> RoomChanges:
    return RoomChanges(JanusRooms(Settings(janus_urls="http://127.0.0.1:9/elsewhere")), tries=3)


async def test_a_refused_change_is_retried_then_given_up_with_a_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    changes = unreachable()
    with caplog.at_level(logging.WARNING, logger="onstream.meetings"):
        assert not await changes.apply(Recording(ROOM, on=True))
        assert changes.kept == [Recording(ROOM, on=True)]
        await changes.retry()
        assert changes.kept == [Recording(ROOM, on=True)], "the second of three attempts"
        await changes.retry()
    assert changes.kept == []
    messages = [record.getMessage() for record in caplog.records]
    assert (
        "Janus did not take recording on in room 7 on http://127.0.0.1:9/janus in 3 attempts"
        in (messages)
    )
    assert not any("room-secret" in message for message in messages)


async def test_a_newer_change_of_the_same_thing_replaces_a_kept_one() -> None:
    changes = unreachable()
    await changes.apply(Recording(ROOM, on=True))
    await changes.apply(Mute(ROOM, 5, mid="0", mute=True))
    await changes.apply(Recording(OTHER, on=True))
    await changes.apply(Recording(ROOM, on=False))
    await changes.apply(Mute(ROOM, 5, mid="1", mute=True))
    await changes.apply(Mute(ROOM, 5, mid="0", mute=False))
    assert changes.kept == [
        Recording(OTHER, on=True),
        Recording(ROOM, on=False),
        Mute(ROOM, 5, mid="1", mute=True),
        Mute(ROOM, 5, mid="0", mute=False),
    ]
    # (JanusRooms takes an ejection from a server no longer configured as done: nobody is
    # in such a room any more)
    assert await changes.apply(Ejection(ROOM, participants=[5], tokens=["t"]))
    assert len(changes.kept) == 4, "removing someone replaces nothing"
    assert await changes.apply(Ejection(ROOM, close=True))
    assert changes.kept == [Recording(OTHER, on=True)], "a closed room needs nothing more"


async def test_a_relay_janus_refused_is_kept_and_a_newer_one_replaces_it() -> None:
    changes = RoomChanges(
        JanusRooms(Settings(janus_urls=f"{ROOM.server},http://127.0.0.1:9/second")), tries=3
    )
    second = "http://127.0.0.1:9/second"
    assert not await changes.apply(Relay(ROOM, to=second))
    assert not await changes.apply(Relay(OTHER, to=second))
    assert not await changes.apply(Relay(ROOM, to=second))
    assert changes.kept == [Relay(OTHER, to=second), Relay(ROOM, to=second)]
    # a relay to the room's own server is nothing to do
    assert await changes.apply(Relay(ROOM, to=ROOM.server))
