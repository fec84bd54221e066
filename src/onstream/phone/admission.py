"""From an access code to a caller let into the meeting, or the reason they are not.

A code names a live session (`sessions.access_code`, unique, cleared when the session is
deleted). It lets a caller in only while the account has the phone bridge and the session's
room is open; a meeting that ended (a moderator ended it, or its end plus the grace period
passed) refuses its code for good. Wrong codes count as failed guesses under the throttle's
`dial-in` kind, per caller number and for the whole bridge, exactly as passcodes count per
address and per session; a caller over either limit is refused before the code is checked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.meetings import repository as rooms_repository
from onstream.meetings import rules, service
from onstream.meetings.engine import JanusRooms
from onstream.meetings.models import Admission, Phase, Room
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection, Database, transaction
from onstream.throttle import Limited, Throttle
from onstream.timezones import clock
from onstream.users.tables import users

BRIDGE_TARGET = "bridge"
"""The throttle's target for every code: guesses spread over many numbers add up here."""


class Refusal(enum.Enum):
    """Why a caller is not let in; each has its own prompt."""

    WRONG = "wrong"
    TOO_MANY = "too-many"
    NO_BRIDGE = "no-bridge"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Meeting:
    """A session a code names, as the bridge needs it."""

    session_id: int
    topic: str
    start_utc: datetime
    duration: int
    auto_record: bool
    phone_bridge: bool
    timezone: str
    """The account's zone and DST flag: the clock the bridge tells times on."""
    dst: bool


@dataclass(frozen=True, slots=True)
class Early:
    """A meeting not open yet: when it opens and the time now, both wall times on the
    account's clock (naive)."""

    opens: datetime
    now: datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """A caller let in: their admission, the room, and the Janus token of their join."""

    admission: Admission
    room: Room
    token: str


async def meeting_by_code(conn: Connection, code: int) -> Meeting | None:
    """The live session with this access code (of an enabled account), or None."""
    query = (
        select(
            sessions.c.id,
            sessions.c.topic,
            sessions.c.start_utc,
            sessions.c.duration,
            sessions.c.auto_record,
            users.c.phone_bridge,
            users.c.timezone,
            users.c.dst,
        )
        .join(users, users.c.id == sessions.c.owner_id)
        .where(
            sessions.c.access_code == code,
            sessions.c.deleted_at.is_(None),
            users.c.disabled_at.is_(None),
        )
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Meeting(
        session_id=int(row.id),
        topic=row.topic,
        start_utc=row.start_utc,
        duration=int(row.duration),
        auto_record=bool(row.auto_record),
        phone_bridge=bool(row.phone_bridge),
        timezone=str(row.timezone),
        dst=bool(row.dst),
    )


class Doorkeeper:
    """Checks codes and lets callers in, for every call of one bridge process."""

    def __init__(
        self, settings: Settings, database: Database, rooms: JanusRooms, throttle: Throttle
    ) -> None:
        self.settings = settings
        self.database = database
        self.rooms = rooms
        self.throttle = throttle

    async def blocked(self, number: str) -> bool:
        """Whether this number (or the bridge as a whole) guessed too often just now."""
        wait = await self.throttle.refused_for("dial-in", address=number, target=BRIDGE_TARGET)
        return wait is not None

    async def check(self, code: int | None, *, number: str) -> Meeting | Early | Refusal:
        """The meeting `code` opens now, when it opens, or why not; a wrong code counts as a
        failed guess."""
        try:  # counted before it is checked, as every guessed secret
            slot = await self.throttle.take("dial-in", address=number, target=BRIDGE_TARGET)
        except Limited:
            return Refusal.TOO_MANY
        async with transaction(self.database, write=False) as conn:
            meeting = None if code is None else await meeting_by_code(conn, code)
            room = (
                None
                if meeting is None
                else await rooms_repository.room_of(conn, meeting.session_id)
            )
        if meeting is None:
            return Refusal.WRONG  # the slot stays taken: a failed guess
        await self.throttle.give_back(slot)  # a real code: only wrong ones count
        if not meeting.phone_bridge:
            return Refusal.NO_BRIDGE
        now = utcnow()
        phase = rules.phase(
            now,
            start_utc=meeting.start_utc,
            duration=meeting.duration,
            opens_minutes=self.settings.room_opens_minutes,
            grace_minutes=self.settings.room_grace_minutes,
            ended=room is not None and room.ended_at is not None,
        )
        if phase is Phase.EARLY:
            opens = rules.opens_at(
                meeting.start_utc, opens_minutes=self.settings.room_opens_minutes
            )
            wall = clock(meeting.timezone, meeting.dst)
            return Early(opens=wall.from_utc(opens), now=wall.from_utc(now))
        if phase is Phase.ENDED:
            return Refusal.ENDED
        return meeting

    async def admit(self, meeting: Meeting, *, name: str) -> Entry | None:
        """Let the caller in as a participant: open the room (once), admit, mint a token
        and allow it in Janus. None when the room ended meanwhile. Raises
        `MeetingUnavailable` when Janus cannot be reached."""
        now = utcnow()
        async with transaction(self.database, write=True) as conn:
            room = await service.open_room(
                conn,
                session_id=meeting.session_id,
                server=service.server_for(meeting.session_id, self.rooms.servers),
                auto_record=meeting.auto_record,
                now=now,
            )
            if room.ended_at is not None:
                return None
            secret = await service.admit(
                conn,
                session_id=meeting.session_id,
                role=rules.PARTICIPANT,
                name=name,
                source="phone",
                now=now,
            )
            admission = next(
                a
                for a in await rooms_repository.admitted(conn, meeting.session_id)
                if a.secret == secret
            )
            token = await service.mint_token(
                conn, admission, lifetime_seconds=self.settings.room_token_seconds, now=now
            )
        await self.rooms.open(
            room.handle,
            record=room.recording,
            rec_dir=service.recording_dir(self.rooms.recordings_root, room),
            description=meeting.topic,
        )
        await self.rooms.allow(room.handle, token)
        return Entry(admission=admission, room=room, token=token)

    async def still_admitted(self, entry: Entry) -> bool:
        """Whether the caller was neither removed nor their meeting ended."""
        async with transaction(self.database, write=False) as conn:
            admitted = await rooms_repository.admitted(conn, entry.admission.session_id)
        return any(a.id == entry.admission.id for a in admitted)

    async def room_open(self, entry: Entry) -> bool:
        """Whether the caller's meeting goes on (else it was ended for everybody)."""
        async with transaction(self.database, write=False) as conn:
            room = await rooms_repository.room_of(conn, entry.admission.session_id)
        return room is not None and room.ended_at is None

    async def left(self, entry: Entry) -> None:
        """The caller hung up: their admission ends, so the people list drops them and
        `participant.left` is told at once."""
        async with transaction(self.database, write=True) as conn:
            await service.eject(
                conn,
                session_id=entry.admission.session_id,
                now=utcnow(),
                participant=entry.admission.participant,
            )
