"""A room put back on a live Janus when its people come back after Janus restarted or died.

The database says which Janus holds a session's room, but Janus keeps rooms only in memory:
a restarted Janus answers with no rooms at all, and a Janus that is gone answers nothing.
So each join asks the room's Janus whether the room exists, and when it does not, creates it
again under the same room number and secret, with the unexpired tokens of its people allowed
and recording on when it was recording. When the room's Janus does not answer, the room
moves to the live server that rendezvous hashing picks among the others (every process that
sees the same servers alive picks the same one), with a new secret stored first.

Concurrent joins after a restart are safe: a room created again on its own Janus keeps its
secret, so every joiner creates the same room and creating an existing room is no error; a
move changes server and secret only if the secret is still the one read (compare and set),
and a loser creates the room where the winner put it, with the winner's secret. (A new secret
on every re-creation would race: a joiner reading the row just after another's change could
change it once more while the first creates the room, leaving Janus and the database with
different secrets and every moderator's action refused.) A room moving to a server where
its observers watched from (`meetings.cascade`) first destroys the relayed room there, which
still has the old secret and remote publishers fed by the Janus that is gone.
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
        return await _current(database, room)  # another process may have just moved it
    if exists is False:  # its Janus answers without the room: new, or lost in a restart
        target = await _current(database, room)
    else:
        target = await _store(database, room, server=await _next_server(rooms, room))
        # observers may have watched from there: the relayed room has the old secret
        await rooms.drop_relay(room.handle, on=target.server)
        log.warning(
            "room of session %d moves from %s (no answer) to %s",
            room.session_id,
            room.server,
            target.server,
        )
    await rooms.open(
        target.handle,
        record=target.recording,
        rec_dir=service.recording_dir(rooms.recordings_root, target),
        description=description,
        allowed=await _tokens(database, target),
    )
    log.info("room of session %d created on %s", room.session_id, target.server)
    return target


async def _next_server(rooms: JanusRooms, room: Room) -> str:
    """The live server the room goes to when its own does not answer."""
    live = tuple(server for server in await rooms.live_servers() if server != room.server)
    if not live:
        raise MeetingUnavailable("The meeting service is not available right now.")
    return service.server_for(room.session_id, live)


async def _store(database: Database, room: Room, *, server: str) -> Room:
    """Move the room to `server` with a new secret; the row as stored (a concurrent mover's
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
