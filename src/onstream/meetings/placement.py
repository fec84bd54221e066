"""A room put back on a live Janus when its people come back after Janus restarted or died.

The database says which Janus holds a session's room, but Janus keeps rooms only in memory:
a restarted Janus answers with no rooms at all, and a Janus that is gone answers nothing.
So each join asks the room's Janus whether the room exists, and when it does not, creates it
again under the same room number with a new secret (stored first, so every process acts on
the room with the secret Janus has), the unexpired tokens of its people allowed, and
recording on when it was recording. When the room's Janus does not answer, the room moves to
the live server that rendezvous hashing picks among the others, so every process that sees
the same servers alive moves it to the same place.

Concurrent joins after a restart are safe: the secret changes only if it is still the one
read (compare and set), a loser takes the winner's secret, and creating an existing room is
no error.
"""

from __future__ import annotations

import logging
import secrets

from onstream.clock import utcnow
from onstream.meetings import repository, service
from onstream.meetings.engine import JanusRooms, MeetingUnavailable
from onstream.meetings.models import Room
from onstream.storage.database import Database, transaction

log = logging.getLogger("onstream.meetings")


async def placed(database: Database, rooms: JanusRooms, room: Room, *, description: str) -> Room:
    """The room as it is now on a live Janus, created there again when it was lost.

    Raises `MeetingUnavailable` when no configured Janus answers.
    """
    exists = await rooms.exists(room.handle)
    if exists:
        return await _current(database, room)  # another process may have just re-placed it
    server = room.server if exists is False else await _next_server(rooms, room)
    moved = await _store(database, room, server=server)
    await rooms.open(
        moved.handle,
        record=moved.recording,
        rec_dir=service.recording_dir(rooms.recordings_root, moved),
        description=description,
        allowed=await _tokens(database, moved),
    )
    if moved.server != room.server:
        log.warning(
            "room of session %d moved from %s (no answer) to %s",
            room.session_id,
            room.server,
            moved.server,
        )
    return moved


async def _next_server(rooms: JanusRooms, room: Room) -> str:
    """The live server the room goes to when its own does not answer."""
    live = tuple(server for server in await rooms.live_servers() if server != room.server)
    if not live:
        raise MeetingUnavailable("The meeting service is not available right now.")
    return service.server_for(room.session_id, live)


async def _store(database: Database, room: Room, *, server: str) -> Room:
    """Give the room a new secret on `server`; the row as stored (a concurrent caller's
    placement when it came first)."""
    async with transaction(database, write=True) as conn:
        await repository.replace_placement(
            conn, room.id, old_secret=room.secret, server=server, secret=secrets.token_urlsafe(24)
        )
        current = await repository.room_of(conn, room.session_id)
    if current is None:  # pragma: no cover - a room row is never deleted while joined
        raise MeetingUnavailable("The meeting service is not available right now.")
    return current


async def _current(database: Database, room: Room) -> Room:
    async with transaction(database, write=False) as conn:
        current = await repository.room_of(conn, room.session_id)
    return current or room


async def _tokens(database: Database, room: Room) -> list[str]:
    async with transaction(database, write=False) as conn:
        return await repository.live_tokens(conn, room.session_id, now=utcnow())
