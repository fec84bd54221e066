"""TextRoom (chat) rooms through `JanusAdmin` on a real Janus.

Joining and chatting happen over a WebRTC data channel only (the plugin refuses `join` and
`message` on the HTTP API), so these tests cover what the server does: rooms and tokens.
"""

from __future__ import annotations

import pytest

from onstream.janus import TEXTROOM, JanusAdmin, JanusError, JanusProcess
from tests.janus.peer import Peer

pytestmark = pytest.mark.anyio


async def test_create_is_idempotent_and_private(admin: JanusAdmin, room: int, secret: str) -> None:
    assert await admin.create_textroom(room, secret=secret, allowed=["tok-a"]) == room
    assert await admin.create_textroom(room, secret=secret, allowed=["tok-a"]) == room
    assert await admin.textroom_exists(room)
    (listed,) = [r for r in await admin.list_textrooms() if r["room"] == room]
    assert listed["num_participants"] == 0
    assert await admin.textroom_participants(room) == []


async def test_a_videoroom_and_a_textroom_share_a_number(
    admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_room(room, secret=secret, allowed=["tok-a"])
    await admin.create_textroom(room, secret=secret, allowed=["tok-a"])
    await admin.destroy_textroom(room, secret)
    assert await admin.exists(room)
    assert not await admin.textroom_exists(room)


async def test_tokens_are_added_and_removed(admin: JanusAdmin, room: int, secret: str) -> None:
    await admin.create_textroom(room, secret=secret, allowed=["tok-a"])
    assert sorted(await admin.textroom_allowed(room, secret, "add", ["tok-b"])) == [
        "tok-a",
        "tok-b",
    ]
    assert await admin.textroom_allowed(room, secret, "remove", ["tok-a"]) == ["tok-b"]


async def test_a_wrong_secret_is_refused(admin: JanusAdmin, room: int, secret: str) -> None:
    await admin.create_textroom(room, secret=secret, allowed=[])
    for attempt in (
        admin.destroy_textroom(room, "wrong"),
        admin.textroom_kick(room, "wrong", "alice"),
        admin.textroom_allowed(room, "wrong", "add", ["tok-x"]),
    ):
        with pytest.raises(JanusError) as refused:
            await attempt
        assert (refused.value.plugin, refused.value.code) == (TEXTROOM, 419)
        assert refused.value.reason == "Unauthorized (wrong secret)"
    assert await admin.textroom_exists(room)


async def test_kick_of_nobody_names_the_missing_user(
    admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_textroom(room, secret=secret, allowed=[])
    with pytest.raises(JanusError) as refused:
        await admin.textroom_kick(room, secret, "alice")
    assert (refused.value.plugin, refused.value.code) == (TEXTROOM, 423)
    assert refused.value.reason == f"No such user alice in room {room}"


async def test_destroy_is_idempotent(admin: JanusAdmin, room: int, secret: str) -> None:
    await admin.create_textroom(room, secret=secret, allowed=[])
    await admin.destroy_textroom(room, secret)
    await admin.destroy_textroom(room, secret)
    assert not await admin.textroom_exists(room)


async def test_only_the_admin_key_creates_rooms(
    janus: JanusProcess, room: int, secret: str
) -> None:
    async with JanusAdmin(janus.url, admin_key="not-the-key") as stranger:
        with pytest.raises(JanusError) as refused:
            await stranger.create_textroom(room, secret=secret, allowed=[])
        assert (refused.value.plugin, refused.value.code) == (TEXTROOM, 419)
        assert not await stranger.textroom_exists(room)


async def test_a_browser_cannot_join_over_http(
    janus: JanusProcess, admin: JanusAdmin, room: int, secret: str
) -> None:
    await admin.create_textroom(room, secret=secret, allowed=["tok-a"])
    async with Peer(janus.url, "janus.plugin.textroom") as peer:
        answer = await peer.send(
            {"request": "join", "room": room, "username": "alice", "token": "tok-a"}
        )
    data = answer["plugindata"]["data"]
    assert (data["error_code"], data["error"]) == (415, "Unknown request 'join'")
    assert await admin.textroom_participants(room) == []
