"""The one place a room change reaches Janus: `RoomChanges.apply`.

Every change of a room is written to the database first (`meetings.service` returns what
Janus must do about it) and applied here once the transaction committed, whoever made it:
the API and the account center (after-commit actions of their unit of work), the room's
moderator (the meeting pages) and the room sweeper. So a rolled-back change never reaches
Janus, and the database, not Janus, says what a room is. A change Janus does not take (it
is restarting, the network failed) is logged and kept; the sweeper, which runs every few
seconds, applies it again (`retry`), up to `TRIES` times in all. A newer change of the same
thing replaces a kept one, so a retry never undoes what came after it.
"""

from __future__ import annotations

import logging
from typing import Protocol

from onstream.meetings.engine import MeetingUnavailable
from onstream.services import Ejection, Mute, Recording, Relay, RoomChange, RoomHandle

log = logging.getLogger("onstream.meetings")

TRIES = 6
"""Attempts per change, the first included: about half a minute of sweeper rounds."""


class MediaRooms(Protocol):
    """Janus's side of the rooms (`meetings.engine.JanusRooms`); each call raises
    `MeetingUnavailable` when Janus did not do it."""

    async def close(self, room: RoomHandle) -> None: ...

    async def eject(
        self, room: RoomHandle, *, participants: list[int], tokens: list[str]
    ) -> None: ...

    async def set_recording(self, room: RoomHandle, *, on: bool) -> None: ...

    async def mute(self, room: RoomHandle, participant: int, *, mid: str, mute: bool) -> None: ...

    async def relay(self, room: RoomHandle, *, to: str) -> None: ...


class RoomChanges:
    """Applies committed room changes to Janus and keeps those it did not take for a retry."""

    def __init__(self, rooms: MediaRooms, *, tries: int = TRIES) -> None:
        self._rooms = rooms
        self._tries = tries
        self._kept: list[tuple[RoomChange, int]] = []

    @property
    def kept(self) -> list[RoomChange]:
        """The changes waiting for the sweeper's next retry, oldest first."""
        return [change for change, _ in self._kept]

    async def apply(self, change: RoomChange) -> bool:
        """Tell Janus about a committed change: True when it took it; False when it did not
        (logged, and kept for `retry`)."""
        self._kept = [(old, n) for old, n in self._kept if not _replaces(change, old)]
        return await self._attempt(change, attempt=1)

    async def retry(self) -> None:
        """Apply the kept changes again, in the order they were made (the sweeper's round)."""
        kept, self._kept = self._kept, []
        for change, attempts in kept:
            await self._attempt(change, attempt=attempts + 1)

    async def _attempt(self, change: RoomChange, *, attempt: int) -> bool:
        try:
            await self._send(change)
        except MeetingUnavailable:
            if attempt < self._tries:
                log.warning("Janus did not take %s (attempt %d); retrying", _named(change), attempt)
                self._kept.append((change, attempt))
            else:
                log.error("Janus did not take %s in %d attempts", _named(change), attempt)
            return False
        return True

    async def _send(self, change: RoomChange) -> None:
        rooms = self._rooms
        match change:
            case Ejection(room=room, close=True):
                await rooms.close(room)
            case Ejection(room=room, participants=participants, tokens=tokens):
                await rooms.eject(room, participants=participants, tokens=tokens)
            case Recording(room=room, on=on):
                await rooms.set_recording(room, on=on)
            case Mute(room=room, participant=participant, mid=mid, mute=mute):
                await rooms.mute(room, participant, mid=mid, mute=mute)
            case Relay(room=room, to=to):
                await rooms.relay(room, to=to)


def _replaces(new: RoomChange, old: RoomChange) -> bool:
    """Whether `new` makes a kept `old` pointless or wrong to retry: a closed room needs
    nothing more; a newer recording or mute state of the same thing wins."""
    if new.room != old.room:
        return False
    if isinstance(new, Ejection):
        return new.close
    if isinstance(new, Recording):
        return isinstance(old, Recording)
    if isinstance(new, Relay):  # a relay is made whole each time: the newer one does it all
        return isinstance(old, Relay) and old.to == new.to
    return isinstance(old, Mute) and (old.participant, old.mid) == (new.participant, new.mid)


def _named(change: RoomChange) -> str:
    """The change for the log, without the room's secret."""
    room = f"room {change.room.janus_room} on {change.room.server}"
    match change:
        case Ejection(close=True):
            return f"closing {room}"
        case Ejection(participants=participants, tokens=tokens):
            return f"{len(participants)} removals and {len(tokens)} refused tokens in {room}"
        case Recording(on=on):
            return f"recording {'on' if on else 'off'} in {room}"
        case Mute(participant=participant, mid=mid, mute=mute):
            what = "mute" if mute else "unmute"
            return f"{what} of stream {mid} of participant {participant} in {room}"
        case Relay(to=to):
            return f"relay of {room} to {to}"
