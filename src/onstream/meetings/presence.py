"""Who is in a room: `participant.joined` and `participant.left`, each told exactly once.

Only Janus knows who is in a room. The room sweeper asks it for each open room's
participants every few seconds (`listparticipants`) and hands the list to `record_listing`,
which compares it with the stays in `room_presence`: someone listed who has no open stay
came in, someone with an open stay who is no longer listed (or no longer admitted) left.
Ending a room and removing people close their stays at once (`leave`), in the transaction
of that change, so nobody is reported in a room that no longer exists.

Exactly once, with any number of server processes: every writer first locks the room's row
(`repository.lock_room`), and a list older than the last one applied is dropped, so a slow
process's stale list cannot undo a newer one and tell a leave and a join that never were.
Functions run in the caller's transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from onstream.invitees.models import ROLE_NAMES
from onstream.meetings import repository
from onstream.meetings.repository import Stay
from onstream.protocol.times import iso_utc
from onstream.storage.database import Connection
from onstream.webhooks import outbox as webhooks

JOINED = "participant.joined"
LEFT = "participant.left"


async def record_listing(
    conn: Connection, *, session_id: int, present: Collection[int], listed_at: datetime
) -> None:
    """Apply Janus's list of the room's participants (their ids), asked for at `listed_at`
    (to the microsecond: it orders lists; the stays it starts or ends are kept to the
    second, as every time the API shows)."""
    locked = await repository.lock_room(conn, session_id)
    if locked is None:
        return
    room, last_listed = locked
    if room.ended_at is not None or (last_listed is not None and listed_at <= last_listed):
        return
    await repository.update_room(conn, room.id, {"presence_listed_at": listed_at})
    at = listed_at.replace(microsecond=0)
    admitted = {a.participant: a for a in await repository.admitted(conn, session_id)}
    here = {participant for participant in present if participant in admitted}
    stays = await repository.open_stays(conn, session_id)
    gone = [stay for stay in stays if stay.participant not in here]
    await _close(conn, session_id, gone, left_at=at)
    staying = {stay.participant for stay in stays}
    for participant in sorted(here - staying, key=lambda p: admitted[p].id):
        admission = admitted[participant]
        stay_id = await repository.insert_stay(
            conn, session_id=session_id, admission_id=admission.id, joined_at=at
        )
        stay = Stay(
            id=stay_id,
            admission_id=admission.id,
            participant=participant,
            name=admission.name,
            role=admission.role,
            joined_at=at,
            left_at=None,
        )
        await _tell(conn, session_id, JOINED, stay)


async def leave(
    conn: Connection, *, session_id: int, now: datetime, admission_ids: list[int] | None = None
) -> None:
    """Everybody still in the room (or these admissions) leaves now: the room ends, or they
    were removed."""
    if await repository.lock_room(conn, session_id) is None:
        return
    stays = await repository.open_stays(conn, session_id, admission_ids=admission_ids)
    await _close(conn, session_id, stays, left_at=now)


async def _close(
    conn: Connection, session_id: int, stays: list[Stay], *, left_at: datetime
) -> None:
    await repository.end_stays(conn, [stay.id for stay in stays], left_at=left_at)
    for stay in stays:
        await _tell(conn, session_id, LEFT, replace(stay, left_at=left_at))


async def _tell(conn: Connection, session_id: int, event: str, stay: Stay) -> None:
    """Queue the event under the meeting's key, so it keeps its place between
    `meeting.started` and `meeting.ended`."""
    owner = await repository.owner_of(conn, session_id)
    if owner is None:
        return
    data = {
        "session_id": session_id,
        "participant": stay.participant,
        "name": stay.name,
        "role": ROLE_NAMES.get(stay.role, "participant"),
        "joined_at": iso_utc(stay.joined_at),
        "left_at": None if stay.left_at is None else iso_utc(stay.left_at),
    }
    await webhooks.emit(conn, owner, event, f"meeting:{session_id}", data)
