"""VideoRoom rooms through `JanusAdmin`, and joins as a browser sends them, on a real Janus."""

from __future__ import annotations

import pytest

from onstream.janus import VIDEOROOM, JanusAdmin, JanusError, JanusProcess
from tests.janus.peer import Peer

pytestmark = pytest.mark.anyio


def join(room: int, token: str, display: str = "Alice") -> dict[str, object]:
    return {
        "request": "join",
        "ptype": "publisher",
        "room": room,
        "token": token,
        "display": display,
    }


async def test_a_made_up_token_is_refused(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    async with Peer(janus.url) as peer:
        answer = await peer.ask(join(room, "nope"))
    assert answer["error_code"] == 433
    assert answer["error"] == "Unauthorized (not in the allowed list)"
    assert await admin.list_participants(room) == []


async def test_an_allowed_token_joins(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    async with Peer(janus.url) as peer:
        joined = await peer.ask(join(room, "tok-a"))
        assert joined["videoroom"] == "joined"
        assert joined["room"] == room
        participants = await admin.list_participants(room)
    assert [(p["id"], p["display"]) for p in participants] == [(joined["id"], "Alice")]


async def test_rooms_are_private_and_subscribers_need_a_private_id(
    admin: JanusAdmin, room: int, secret: str
) -> None:
    """`allowed` tokens are checked on publisher joins only; `require_pvtid` makes a
    subscriber show the private_id of its own publisher join. (Proving the refusal needs a
    publishing feed, hence a browser: see the lab's FINDINGS.)"""
    await admin.create_room(room, secret=secret, allowed=["tok-a"], description="Weekly")
    (listed,) = [r for r in await admin.list_rooms() if r["room"] == room]
    assert listed["require_pvtid"] is True
    assert listed["is_private"] is True
    assert listed["description"] == "Weekly"


async def test_tokens_added_and_removed_change_who_gets_in(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=[])
    assert sorted(await admin.allowed(room, secret, "add", ["tok-b", "tok-c"])) == [
        "tok-b",
        "tok-c",
    ]
    assert await admin.allowed(room, secret, "remove", ["tok-c"]) == ["tok-b"]
    async with Peer(janus.url) as bob, Peer(janus.url) as carol:
        assert (await bob.ask(join(room, "tok-b", "Bob")))["videoroom"] == "joined"
        assert (await carol.ask(join(room, "tok-c", "Carol")))["error_code"] == 433


async def test_kick_puts_a_participant_out(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    async with Peer(janus.url) as peer:
        joined = await peer.ask(join(room, "tok-a"))
        await admin.kick(room, secret, joined["id"])
        told = await peer.event()
        assert (told["leaving"], told["reason"]) == ("ok", "kicked")
        assert await admin.list_participants(room) == []


async def test_kick_of_nobody_names_the_missing_participant(
    admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=[])
    with pytest.raises(JanusError) as refused:
        await admin.kick(room, secret, 42)
    assert (refused.value.plugin, refused.value.code) == (VIDEOROOM, 428)
    assert refused.value.reason == f"No such user 42 in room {room}"


async def test_a_wrong_secret_is_refused(admin: JanusAdmin, room: int, secret: str) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    for attempt in (
        admin.destroy_room(room, "wrong"),
        admin.kick(room, "wrong", 42),
        admin.allowed(room, "wrong", "add", ["tok-x"]),
        admin.enable_recording(room, "wrong", True),
        admin.moderate(room, "wrong", 42, "0", True),
    ):
        with pytest.raises(JanusError) as refused:
            await attempt
        assert (refused.value.plugin, refused.value.code) == (VIDEOROOM, 433)
        assert refused.value.reason == "Unauthorized (wrong secret)"
    assert await admin.exists(room)


async def test_create_is_idempotent(admin: JanusAdmin, room: int, secret: str) -> None:
    assert await admin.create_room(room, secret=secret, allowed=["tok-a"]) == room
    assert await admin.create_room(room, secret=secret, allowed=["tok-a"]) == room
    assert await admin.exists(room)


async def test_destroy_is_idempotent(admin: JanusAdmin, room: int, secret: str) -> None:
    await admin.create_room(room, secret=secret, allowed=[])
    await admin.destroy_room(room, secret)
    await admin.destroy_room(room, secret)
    await admin.destroy_room(room + 100_000, secret)  # never existed
    assert not await admin.exists(room)


async def test_participants_hear_of_the_destruction(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    async with Peer(janus.url) as peer:
        await peer.ask(join(room, "tok-a"))
        await admin.destroy_room(room, secret)
        assert await peer.event() == {"videoroom": "destroyed", "room": room}


async def test_only_the_admin_key_creates_rooms(
    janus: JanusProcess, room: int, secret: str
) -> None:
    async with JanusAdmin(janus.url, admin_key="not-the-key") as stranger:
        with pytest.raises(JanusError) as refused:
            await stranger.create_room(room, secret=secret, allowed=[])
        assert (refused.value.plugin, refused.value.code) == (VIDEOROOM, 433)
        assert not await stranger.exists(room)
