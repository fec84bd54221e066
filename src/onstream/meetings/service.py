"""The rules of the meeting room: who is let in, when the room opens and ends. No HTTP here.

Functions run inside the caller's transaction and never commit; what the media server must
do about a change (destroy a room, drop tokens, remove people) is returned for the caller to
do once the transaction committed, so a rolled-back change never reaches Janus.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from onstream.meetings import jobs, presence, repository
from onstream.meetings.models import Admission, Room
from onstream.protocol.times import iso_utc
from onstream.services import RoomHandle
from onstream.storage.database import Connection
from onstream.webhooks import outbox as webhooks

JANUS_ID_LIMIT = 2**52
"""Janus room and participant ids are numbers JavaScript holds exactly (below 2**53)."""


@dataclass(frozen=True, slots=True)
class Ejection:
    """What the media server must do once a change committed: drop a room or some people."""

    room: RoomHandle
    close: bool = False
    participants: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


def server_for(session_id: int, servers: tuple[str, ...]) -> str:
    """The Janus server of a session's room: highest random weight (rendezvous) hashing, so
    adding a server moves only the rooms it wins and every process chooses alike."""

    def weight(server: str) -> bytes:
        return hashlib.sha256(f"{server}\0{session_id}".encode()).digest()

    return max(servers, key=weight)


def recording_dir(root: Path, room: Room) -> Path:
    """Where Janus writes the room's `.mjr` files (one folder per room, never reused)."""
    return root / f"session-{room.session_id}-room-{room.janus_room}"


async def open_room(
    conn: Connection, *, session_id: int, server: str, auto_record: bool, now: datetime
) -> Room:
    """The session's room, created on first use; concurrent first uses get the same one."""
    room = await repository.room_of(conn, session_id)
    if room is not None:
        return room
    secret = secrets.token_urlsafe(24)
    await repository.insert_room_unless_present(
        conn,
        {
            "session_id": session_id,
            "server": server,
            "janus_room": secrets.randbelow(JANUS_ID_LIMIT - 1) + 1,
            "secret": secret,
            "recording": auto_record,
            "recorded": auto_record,
            "opened_at": now,
        },
    )
    room = await repository.room_of(conn, session_id)
    if room is None:  # pragma: no cover - the row was just written or found
        raise RuntimeError("room row vanished")
    if room.secret == secret:  # this call made it, not a concurrent first use
        await _tell_webhooks(conn, "meeting.started", room)
    return room


async def admit(
    conn: Connection,
    *,
    session_id: int,
    role: int,
    name: str,
    source: str,
    invitation_token: str | None = None,
    now: datetime,
) -> str:
    """Let one person in; returns the secret of their room page."""
    secret = secrets.token_urlsafe(24)
    await repository.insert_admission(
        conn,
        {
            "session_id": session_id,
            "secret": secret,
            "participant": secrets.randbelow(JANUS_ID_LIMIT - 1) + 1,
            "role": role,
            "name": name,
            "source": source,
            "invitation_token": invitation_token,
            "created_at": now,
        },
    )
    return secret


async def mint_token(
    conn: Connection, admission: Admission, *, lifetime_seconds: float, now: datetime
) -> str:
    """A Janus token for one join of this admission, valid for a short time."""
    token = secrets.token_urlsafe(24)
    await repository.insert_token(
        conn,
        token=token,
        admission_id=admission.id,
        expires_at=now + timedelta(seconds=lifetime_seconds),
    )
    return token


async def end_room(
    conn: Connection, *, session_id: int, reason: str, now: datetime, recordings_root: Path
) -> Ejection | None:
    """End the session's meeting for everybody: the room closes, everyone in it leaves, every
    admission is revoked, and a recording job is queued when the room was recorded. None
    when there was no open room."""
    room = await repository.room_of(conn, session_id)
    if room is None or room.ended_at is not None:
        return None
    await presence.leave(conn, session_id=session_id, now=now)
    await repository.update_room(
        conn, room.id, {"ended_at": now, "end_reason": reason, "recording": False}
    )
    await repository.revoke(conn, now=now, session_id=session_id)
    ended = replace(room, ended_at=now, end_reason=reason)
    await _tell_webhooks(conn, "meeting.ended", ended)
    if room.recorded:
        source = recording_dir(recordings_root, room)
        await jobs.enqueue(conn, session_id=session_id, source_dir=str(source), now=now)
    return Ejection(room=room.handle, close=True)


async def eject(
    conn: Connection, *, session_id: int, now: datetime, **where: object
) -> Ejection | None:
    """Revoke the admissions of a session that match `where` (e.g. source="public" when the
    passcode changed, invitation_token=T when an invitation was withdrawn) and take back
    their tokens; the people they let in are to be removed from the room."""
    room = await repository.room_of(conn, session_id)
    revoked = await repository.revoke(conn, now=now, session_id=session_id, **where)
    if room is None or room.ended_at is not None or not revoked:
        return None
    await presence.leave(
        conn, session_id=session_id, now=now, admission_ids=[a for a, _ in revoked]
    )
    tokens = await repository.take_tokens(conn, admission_ids=[a for a, _ in revoked])
    return Ejection(
        room=room.handle,
        participants=[participant for _, participant in revoked],
        tokens=[token for _, token in tokens],
    )


async def set_recording(conn: Connection, room: Room, *, on: bool) -> None:
    """Remember that the room records now (and, once it did, that it was recorded)."""
    values: dict[str, object] = {"recording": on}
    if on:
        values["recorded"] = True
    await repository.update_room(conn, room.id, values)


async def _tell_webhooks(conn: Connection, event: str, room: Room) -> None:
    """Queue `meeting.started` or `meeting.ended` for the session owner's webhooks."""
    owner = await repository.owner_of(conn, room.session_id)
    if owner is None:
        return
    data = {
        "session_id": room.session_id,
        "started_at": iso_utc(room.opened_at),
        "ended_at": None if room.ended_at is None else iso_utc(room.ended_at),
        "end_reason": room.end_reason,
    }
    key = f"meeting:{room.session_id}"
    await webhooks.emit(conn, owner, event, key, data)
