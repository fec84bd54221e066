"""The rules of the meeting room: who is let in, when the room opens and ends, what a
moderator may do. No HTTP here.

Functions run inside the caller's transaction and never commit; what the media server must
do about a change (destroy a room, drop tokens, remove people, record, mute) is returned as
a `RoomChange` for the caller to apply once the transaction committed
(`meetings.changes.RoomChanges.apply`), so a rolled-back change never reaches Janus.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from onstream.errors import DomainError, Invalid
from onstream.meetings import jobs, presence, repository, rules
from onstream.meetings.models import Admission, Room
from onstream.protocol.times import iso_utc
from onstream.services import Ejection, Mute, Recording, RoomChange
from onstream.storage.database import Connection
from onstream.webhooks import outbox as webhooks

JANUS_ID_LIMIT = 2**52
"""Janus room and participant ids are numbers JavaScript holds exactly (below 2**53)."""


MIDS = {"audio": "0", "video": "1"}
"""The m-lines of a publisher of our room page: audio first, then video."""


class MeetingEnded(DomainError):
    """The room is not open (never opened, or ended): there is nothing to act on."""


@dataclass(frozen=True, slots=True)
class Moderation:
    """A moderator's action, as the room page sends it."""

    action: str
    """"mute", "unmute", "remove", "readmit", "admit", "deny", "stage", "record" or "end"."""
    participant: object = None
    """The Janus id of the person to mute, remove or let back in."""
    kind: object = "audio"
    """Which of their streams to mute: "audio" or "video"."""
    mid: object = None
    """Which of their streams to mute, by its m-line as Janus announced it ("0", "1", ...):
    the page sends the real audio stream's, which is not "0" for someone who joined with the
    camera only and turned the microphone on later. Without it, `kind` names the stream."""
    on: bool = False
    """Whether "record" starts recording (or stops it), "stage" brings on stage (or back)."""


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
    waiting: bool = False,
    now: datetime,
) -> str:
    """Let one person in (or, `waiting`, let a guest knock on the waiting room); returns
    the secret of their room page."""
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
            "waiting": waiting,
        },
    )
    return secret


async def knock(
    conn: Connection, *, session_id: int, name: str, replaces: str | None, now: datetime
) -> str:
    """Let a guest of the public link knock on the session's waiting room; returns the secret
    of their room page, which waits until a moderator admits them. The knock this browser
    made before (`replaces`, still waiting) is withdrawn: one knock per browser."""
    if replaces is not None:
        await repository.revoke(conn, now=now, session_id=session_id, secret=replaces, waiting=True)
    return await admit(
        conn,
        session_id=session_id,
        role=rules.PARTICIPANT,
        name=name,
        source="public",
        waiting=True,
        now=now,
    )


async def removed_from(
    conn: Connection,
    session_id: int,
    *,
    invitation_token: str | None = None,
    admission_secret: str | None = None,
) -> bool:
    """Whether a moderator removed the person of this invitation (or of the guest admission
    this browser last had) from the session's meeting and nobody let them back in."""
    if invitation_token is not None and await repository.is_removed(
        conn, session_id, invitation_token=invitation_token
    ):
        return True
    return admission_secret is not None and await repository.is_removed(
        conn, session_id, secret=admission_secret
    )


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


async def moderate(
    conn: Connection,
    moderation: Moderation,
    *,
    session_id: int,
    now: datetime,
    recordings_root: Path,
) -> RoomChange | None:
    """Write a moderator's action; what Janus must do about it, or None when nothing.
    `MeetingEnded` when the room is not open (ending an ended meeting is fine), `Invalid`
    for a participant or stream that is not named right."""
    if moderation.action == "end":
        return await end_room(
            conn,
            session_id=session_id,
            reason="moderator",
            now=now,
            recordings_root=recordings_root,
        )
    room = await repository.room_of(conn, session_id)
    if room is None or room.ended_at is not None:
        raise MeetingEnded("This meeting has ended.")
    if moderation.action == "record":
        await set_recording(conn, room, on=moderation.on)
        return Recording(room.handle, on=moderation.on)
    participant = moderation.participant
    if not isinstance(participant, int):
        raise Invalid("Say which participant.")
    if moderation.action == "remove":
        # remembered, so their link does not simply bring them back (`removed_from`)
        await repository.mark_removed(conn, session_id=session_id, participant=participant, now=now)
        return await eject(conn, session_id=session_id, now=now, participant=participant)
    if moderation.action in ("admit", "deny"):
        await answer_knock(
            conn,
            session_id=session_id,
            participant=participant,
            admit=moderation.action == "admit",
            now=now,
        )
        return None  # a waiting guest never had a token: nothing for Janus to do
    if moderation.action == "stage":
        if not await repository.set_on_stage(
            conn, session_id=session_id, participant=participant, on=moderation.on
        ):
            raise Invalid("That person is not an observer in this meeting.")
        # back off stage: put out of the room (their page comes back as an observer, whom the
        # relay refuses as a publisher); their token stays good
        return None if moderation.on else Ejection(room.handle, participants=[participant])
    if moderation.action == "readmit":
        if not await repository.readmit(conn, session_id=session_id, participant=participant):
            raise Invalid("That person was not removed.")
        return None  # they come back through their own link: nothing for Janus to do
    return Mute(room.handle, participant, mid=_mid(moderation), mute=moderation.action == "mute")


def _mid(moderation: Moderation) -> str:
    """The m-line a mute acts on: the one named, else the one of `kind` on our page."""
    mid, kind = moderation.mid, moderation.kind
    if mid is not None:
        if not isinstance(mid, str) or re.fullmatch(r"[0-9]{1,3}", mid) is None:
            raise Invalid("mid is the number of one of their streams.")
        return mid
    if not isinstance(kind, str) or kind not in MIDS:
        raise Invalid("kind is audio or video.")
    return MIDS[kind]


async def answer_knock(
    conn: Connection, *, session_id: int, participant: int, admit: bool, now: datetime
) -> None:
    """Admit a guest waiting in the session's waiting room, or deny them: a denied guest is
    removed as a moderator's "remove" does (their browser is refused for this meeting until
    a moderator lets them back in). Nothing for Janus either way: a waiting guest never had
    a token. `Invalid` when nobody with this id waits (admitted or denied already)."""
    if admit:
        answered = await repository.let_in(conn, session_id=session_id, participant=participant)
    else:
        answered = await repository.turn_away(
            conn, session_id=session_id, participant=participant, now=now
        )
    if not answered:
        raise Invalid("That person is not waiting.")


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
