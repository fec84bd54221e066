"""One room's audience over several Janus servers: where an observer watches from.

A room lives on one Janus (`service.server_for`, `meetings.placement`). Its observers watch
there until that server serves `ONSTREAM_ROOM_VIEWERS_PER_JANUS` viewers (over all its
rooms); the next observers are placed on the live server serving the fewest viewers (ties:
the server rendezvous hashing ranks first for the session, so every process picks alike).
There the room's publishers appear as VideoRoom remote publishers (Janus 1.1's
`add_remote_publisher`, fed by `publish_remotely` on the room's Janus, every simulcast layer
included): the observer's page subscribes to them exactly as on the room's own server, and
keeps the chat (and so presence) on the room's server. The relay is a room change
(`services.Relay`) applied through `meetings.changes`: at once when a viewer is placed, then
by the room sweeper every round (publishers come and go, either Janus may restart), and
retried like any other change when Janus does not take it.

A viewer counts on a server while placed in the last `PLACED_SECONDS` (joining) or while
Janus lists them in the room (an open stay, `meetings.presence`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from onstream.meetings import repository
from onstream.storage.database import Connection

PLACED_SECONDS = 60.0
"""How long a new placement counts before Janus lists its viewer (joining takes seconds)."""


def viewer_server(
    session_id: int,
    *,
    room_server: str,
    live: Sequence[str],
    viewers: Mapping[str, int],
    per_janus: int,
) -> str:
    """The server an observer of the session's room watches from: the room's own while it
    serves fewer than `per_janus` viewers (or no other is live); beyond that, the other live
    server with the fewest viewers (ties: the one rendezvous hashing ranks first for the
    session), unless even that one serves more viewers than the room's own: so once the
    room's own is full, new viewers go wherever fewest watch."""
    others = [server for server in live if server != room_server]
    own = viewers.get(room_server, 0)
    if not others or (room_server in live and own < per_janus):
        return room_server

    def rank(server: str) -> tuple[int, bytes]:
        weight = hashlib.sha256(f"{server}\0{session_id}".encode()).digest()
        return viewers.get(server, 0), bytes(255 - b for b in weight)

    best = min(others, key=rank)
    if room_server in live and viewers.get(best, 0) > own:
        return room_server
    return best


async def place(
    conn: Connection,
    *,
    admission_id: int,
    session_id: int,
    room_server: str,
    live: Sequence[str],
    per_janus: int,
    now: datetime,
) -> str:
    """Choose and note the server this observer watches from."""
    since = now - timedelta(seconds=PLACED_SECONDS)
    viewers = await repository.viewers_per_server(conn, since=since, besides=admission_id)
    server = viewer_server(
        session_id, room_server=room_server, live=live, viewers=viewers, per_janus=per_janus
    )
    await repository.place_viewer(
        conn, admission_id=admission_id, session_id=session_id, server=server, now=now
    )
    return server


async def relayed_to(
    conn: Connection, session_id: int, room_server: str, *, now: datetime
) -> set[str]:
    """The servers other than the room's own that its viewers watch from now."""
    since = now - timedelta(seconds=PLACED_SECONDS)
    return await repository.viewer_servers(conn, session_id, since=since) - {room_server}
