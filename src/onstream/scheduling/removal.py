"""Deleting an account with everything it owns (`onstream user delete`).

An account's rows reach across every resource, so the deletion lives here, above them all.
Sessions, invitations, invited people, tokens, rooms and admissions, recordings and files go
with the account's row (their foreign keys cascade); the outbox has no foreign key (a
message outlives its session's row on purpose), so the account's queued and past e-mail is
deleted by session here. Media blobs are not in the database: their keys are returned, and
the caller deletes them from the media store once the transaction committed (a rollback
then loses no media).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.sql.base import Executable

from onstream.errors import Missing
from onstream.files.tables import files
from onstream.mail.tables import outbox
from onstream.recordings.tables import recording_tracks, recordings
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users import repository
from onstream.users.tables import users


@dataclass(frozen=True, slots=True)
class Removed:
    """What went with the account."""

    sessions: int
    people: int
    messages: int
    media_keys: list[str]


async def delete_account(conn: Connection, *, login: str) -> Removed:
    """Delete the account and all it owns; `Missing` when there is no such account."""
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    owned = select(sessions.c.id).where(sessions.c.owner_id == account.id)
    session_count = await _count(conn, select(func.count()).select_from(owned.subquery()))
    people = await _count(
        conn, select(func.count()).select_from(users).where(users.c.owner_id == account.id)
    )
    keys = [
        str(key)
        for table in (recordings, files)
        for key in await conn.scalars(
            select(table.c.media_key).where(
                table.c.owner_id == account.id, table.c.media_key.is_not(None)
            )
        )
    ]
    tracks = recording_tracks.join(recordings, recordings.c.id == recording_tracks.c.recording_id)
    keys.extend(
        str(key)
        for key in await conn.scalars(
            select(recording_tracks.c.media_key)
            .select_from(tracks)
            .where(recordings.c.owner_id == account.id)
        )
    )
    messages = await conn.execute(delete(outbox).where(outbox.c.session_id.in_(owned)))
    await conn.execute(delete(users).where(users.c.id == account.id))
    await repository.bump_credential_epoch(conn)
    return Removed(
        sessions=session_count,
        people=people,
        messages=messages.rowcount or 0,
        media_keys=keys,
    )


async def _count(conn: Connection, query: Executable) -> int:
    return int(await conn.scalar(query) or 0)
