"""Queries on `recordings`. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update

from onstream.recordings.models import NewTrack, Recording, Track
from onstream.recordings.tables import recording_tracks, recordings
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users.enabled import enabled


def _select() -> Select[Any]:
    """Recordings with the time zone of their session, which `creation_date` is shown in."""
    return select(recordings, sessions.c.timezone).join(
        sessions, sessions.c.id == recordings.c.session_id
    )


async def by_id(
    conn: Connection, recording_id: int, *, owner_id: int | None = None
) -> Recording | None:
    """The recording with this id, deleted or not; only in this account when `owner_id`."""
    query = _select().where(recordings.c.id == recording_id)
    if owner_id is not None:
        query = query.where(recordings.c.owner_id == owner_id)
    row = (await conn.execute(query)).first()
    return Recording.from_row(row) if row else None


async def playable(conn: Connection, recording_id: int) -> Recording | None:
    """The live recording with this id of an enabled account, for its public playback page."""
    query = _select().where(
        recordings.c.id == recording_id,
        recordings.c.deleted_at.is_(None),
        enabled(recordings.c.owner_id),
    )
    row = (await conn.execute(query)).first()
    return Recording.from_row(row) if row else None


async def session_password(conn: Connection, session_id: int) -> str | None:
    """The passcode the recording's session has now (None: none, or no such session)."""
    query = select(sessions.c.password).where(sessions.c.id == session_id)
    return (await conn.execute(query)).scalar()


async def page(
    conn: Connection,
    *,
    owner_id: int,
    session_id: int | None,
    count: int,
    offset: int,
    descending: bool,
) -> list[Recording]:
    """One page of the account's live recordings (of one session when `session_id`)."""
    query = _select().where(recordings.c.owner_id == owner_id, recordings.c.deleted_at.is_(None))
    if session_id is not None:
        query = query.where(recordings.c.session_id == session_id)
    order = recordings.c.id.desc() if descending else recordings.c.id.asc()
    query = query.order_by(order).limit(count).offset(offset)
    return [Recording.from_row(row) for row in await conn.execute(query)]


async def live_count(conn: Connection, *, owner_id: int, session_id: int | None) -> int:
    """How many live recordings `page` pages through (an account has few: recordings come
    from meetings, not from scripts, so counting them on the owner's index is cheap)."""
    query = select(func.count()).where(
        recordings.c.owner_id == owner_id, recordings.c.deleted_at.is_(None)
    )
    if session_id is not None:
        query = query.where(recordings.c.session_id == session_id)
    return int(await conn.scalar(query) or 0)


async def insert_recording(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a recording and return its id."""
    result = await conn.execute(insert(recordings).values(**values).returning(recordings.c.id))
    return int(result.scalar_one())


async def update_recording(conn: Connection, recording_id: int, values: dict[str, Any]) -> None:
    """Write changed columns of a recording."""
    await conn.execute(update(recordings).where(recordings.c.id == recording_id).values(**values))


async def mark_deleted(conn: Connection, recording_id: int, *, now: datetime) -> None:
    """Delete a recording, keeping its row for 410 answers; it no longer has media, nor
    tracks."""
    await conn.execute(
        delete(recording_tracks).where(recording_tracks.c.recording_id == recording_id)
    )
    await update_recording(
        conn,
        recording_id,
        {"deleted_at": now, "media_key": None, "media_type": None, "media_size": None},
    )


async def insert_tracks(conn: Connection, recording_id: int, tracks: Sequence[NewTrack]) -> None:
    """Add the recording's tracks."""
    if tracks:
        rows = [{"recording_id": recording_id, **asdict(track)} for track in tracks]
        await conn.execute(insert(recording_tracks), rows)


async def tracks_of(conn: Connection, recording_id: int) -> list[Track]:
    """The recording's tracks, in the order they start."""
    t = recording_tracks.c
    query = (
        select(*(t[name] for name in Track.__slots__))
        .where(t.recording_id == recording_id)
        .order_by(t.offset_ms, t.id)
    )
    return [Track(**row._mapping) for row in await conn.execute(query)]
