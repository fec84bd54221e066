"""Closes rooms whose time is up and takes back Janus tokens nobody used.

Runs inside `onstream serve` beside the mail worker (any number of processes may run it:
closing a room and taking tokens are idempotent). Every `interval` seconds it ends the rooms
of deleted sessions and of sessions whose end plus the grace period passed (queuing their
recording), removes expired tokens from the rooms' allowed lists, so a token minted for
one join cannot be used for another later, and asks Janus who is in each open room, for
`participant.joined` and `participant.left` (see `presence`), and keeps each room's publishers
relayed to the other servers its observers watch from (`cascade`). Its changes reach Janus through
`changes.RoomChanges`, as everybody's do, and each round first applies again the room
changes Janus did not take before.
"""

from __future__ import annotations

import logging
from functools import partial

from onstream.background import Worker
from onstream.clock import utcnow, utcnow_exact
from onstream.config import Settings
from onstream.meetings import cascade, presence, repository, service
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms, MeetingUnavailable
from onstream.services import Ejection, Relay
from onstream.storage.database import Database, transaction
from onstream.storage.unit_of_work import unit_of_work

log = logging.getLogger("onstream.meetings")

INTERVAL_SECONDS = 5.0


class RoomSweeper(Worker):
    """The periodic clean-up of rooms and tokens; `stop()` ends `run()`."""

    label = "room sweep"

    def __init__(
        self,
        *,
        database: Database,
        rooms: JanusRooms,
        settings: Settings,
        changes: RoomChanges | None = None,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        super().__init__(poll_seconds=interval, log=log)
        self._database = database
        self._rooms = rooms
        self._changes = changes or RoomChanges(rooms)
        self._settings = settings

    async def round(self) -> bool:
        """One sweep; the next waits for the interval."""
        await self.sweep()
        return False

    async def sweep(self) -> None:
        """One round: retry what Janus did not take, close what is due, take back expired
        tokens, see who came and went."""
        await self._changes.retry()
        now = utcnow()
        async with unit_of_work(self._database, write=True) as work:
            conn = work.conn
            due = await repository.rooms_due_to_close(
                conn, now=now, grace_minutes=self._settings.room_grace_minutes
            )
            for room in due:
                ejection = await service.end_room(
                    conn,
                    session_id=room.session_id,
                    reason="schedule",
                    now=now,
                    recordings_root=self._rooms.recordings_root,
                )
                if ejection is not None:
                    work.after_commit(partial(self._changes.apply, ejection))
            expired = await repository.take_tokens(conn, expired_by=now)
            for session_id in {s for s, _ in expired}:
                found = await repository.room_of(conn, session_id)
                if found is not None:
                    tokens = [token for s, token in expired if s == session_id]
                    refused = Ejection(found.handle, tokens=tokens)
                    work.after_commit(partial(self._changes.apply, refused))
        await self.check_presence()
        await self.relay_audiences()

    async def relay_audiences(self) -> None:
        """Bring each open room's relays up to date (publishers came or went, a Janus
        restarted): one `Relay` change per other server its viewers watch from."""
        now = utcnow()
        async with transaction(self._database, write=False) as conn:
            relays = [
                Relay(room.handle, to=server)
                for room in await repository.open_rooms(conn)
                for server in sorted(
                    await cascade.relayed_to(conn, room.session_id, room.server, now=now)
                )
            ]
        for relay in relays:
            await self._changes.apply(relay)

    async def check_presence(self) -> None:
        """Compare who Janus says is in each open room with who we think is: a room whose
        Janus does not answer is left as it is until a later round."""
        async with transaction(self._database, write=False) as conn:
            rooms = await repository.open_rooms(conn)
        listings = []
        for room in rooms:
            listed_at = (
                utcnow_exact()
            )  # when the list was asked for: the time of the joins and leaves
            try:
                present = await self._rooms.present(room.handle)
            except MeetingUnavailable:
                continue
            listings.append((room.session_id, present, listed_at))
        if not listings:
            return
        async with transaction(self._database, write=True) as conn:
            for session_id, present, listed_at in listings:
                await presence.record_listing(
                    conn, session_id=session_id, present=present, listed_at=listed_at
                )
