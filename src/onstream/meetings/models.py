"""Rooms and admissions as the service sees them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from onstream.services import RoomHandle


class Phase(enum.Enum):
    """Where a session's meeting stands for someone who wants to enter."""

    EARLY = "early"
    """Before the room opens (`room_opens_minutes` before the start)."""
    OPEN = "open"
    ENDED = "ended"
    """A moderator ended it, or its end plus the grace period passed, or it was deleted."""


@dataclass(frozen=True, slots=True)
class Room:
    """One row of `rooms`: the session's media room on one Janus server."""

    id: int
    session_id: int
    server: str
    janus_room: int
    secret: str
    recording: bool
    recorded: bool
    opened_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @property
    def handle(self) -> RoomHandle:
        """What the media server needs to act on this room."""
        return RoomHandle(server=self.server, janus_room=self.janus_room, secret=self.secret)


@dataclass(frozen=True, slots=True)
class Admission:
    """One person let into a session's room, and the session as their pages need it."""

    id: int
    session_id: int
    secret: str
    participant: int
    """The id this person has in the Janus room (chosen by us, so a moderator's "remove"
    can revoke exactly this admission)."""
    role: int
    name: str
    source: str
    revoked: bool
    owner_login: str
    topic: str
    start_utc: datetime
    duration: int
    timezone: str
    dst: bool
    auto_record: bool
    session_deleted: bool
    removed: bool = False
    """A moderator removed this person: their link is refused until they are let back in."""
    waiting: bool = False
    """A guest who knocked on the session's waiting room and was not admitted yet: no Janus
    token, no people list, until a moderator admits them (`knocking`)."""
    waiting_room: bool = False
    """The session's `waiting_room` as it is now."""
    on_stage: bool = False
    """An observer a moderator brought on stage: they may publish until sent back."""

    @property
    def publishes(self) -> bool:
        """Whether this person may publish: a moderator, a participant, an observer on stage."""
        return self.role in (1, 2) or self.on_stage  # rules.PUBLISHING_ROLES (rules imports us)

    @property
    def knocking(self) -> bool:
        """Waiting to be admitted: knocked, and the session still has its waiting room
        (turning it off lets in everybody who waits)."""
        return self.waiting and self.waiting_room
