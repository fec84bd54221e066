"""Queries on `files` and `files_in_sessions`. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from onstream.files.models import LibraryFile, Share
from onstream.files.tables import files, files_in_sessions
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users.enabled import enabled


async def by_id(conn: Connection, *, owner_id: int, file_id: int) -> LibraryFile | None:
    """The file with this id in this account, deleted or not."""
    query = select(files).where(files.c.id == file_id, files.c.owner_id == owner_id)
    row = (await conn.execute(query)).first()
    return LibraryFile.from_row(row) if row else None


async def by_media_key(conn: Connection, key: str) -> LibraryFile | None:
    """The live uploaded file stored under this key, of any enabled account (for its
    download link: a disabled account's files are not found)."""
    query = select(files).where(
        files.c.media_key == key, files.c.deleted_at.is_(None), enabled(files.c.owner_id)
    )
    row = (await conn.execute(query)).first()
    return LibraryFile.from_row(row) if row else None


async def page(
    conn: Connection, *, owner_id: int, count: int, offset: int, descending: bool
) -> list[LibraryFile]:
    """One page of the account's live files, ordered by id."""
    order = files.c.id.desc() if descending else files.c.id.asc()
    query = (
        select(files)
        .where(files.c.owner_id == owner_id, files.c.deleted_at.is_(None))
        .order_by(order)
        .limit(count)
        .offset(offset)
    )
    return [LibraryFile.from_row(row) for row in await conn.execute(query)]


async def live_count(conn: Connection, *, owner_id: int) -> int:
    """How many live files `page` pages through (counted on the owner's index; a media
    library holds hundreds, not millions)."""
    query = select(func.count()).where(files.c.owner_id == owner_id, files.c.deleted_at.is_(None))
    return int(await conn.scalar(query) or 0)


async def insert_file(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a file and return its id."""
    result = await conn.execute(insert(files).values(**values).returning(files.c.id))
    return int(result.scalar_one())


async def mark_deleted(conn: Connection, file_id: int, *, now: datetime) -> None:
    """Delete a file, keeping its row for 410 answers; it leaves every session's file share."""
    await conn.execute(delete(files_in_sessions).where(files_in_sessions.c.file_id == file_id))
    await conn.execute(
        update(files)
        .where(files.c.id == file_id)
        .values(deleted_at=now, media_key=None, media_size=None, media_type=None)
    )


async def insert_file_in_session(
    conn: Connection, *, file_id: int, session_id: int, is_auto_opening: bool, now: datetime
) -> int:
    """Share a file in a session and return the association's id."""
    result = await conn.execute(
        insert(files_in_sessions)
        .values(
            file_id=file_id, session_id=session_id, is_auto_opening=is_auto_opening, created_at=now
        )
        .returning(files_in_sessions.c.id)
    )
    return int(result.scalar_one())


async def shares_of(conn: Connection, file_id: int) -> list[Share]:
    """The live sessions a file is shared in, in the order it was shared."""
    query = (
        select(sessions.c.id, sessions.c.topic, files_in_sessions.c.is_auto_opening)
        .join(sessions, sessions.c.id == files_in_sessions.c.session_id)
        .where(files_in_sessions.c.file_id == file_id, sessions.c.deleted_at.is_(None))
        .order_by(files_in_sessions.c.id)
    )
    rows = await conn.execute(query)
    return [Share(row.id, row.topic, bool(row.is_auto_opening)) for row in rows]


async def delete_file_in_session(conn: Connection, *, file_id: int, session_id: int) -> bool:
    """Stop sharing a file in a session; False when it was not shared there."""
    result = await conn.execute(
        delete(files_in_sessions).where(
            files_in_sessions.c.file_id == file_id, files_in_sessions.c.session_id == session_id
        )
    )
    return bool(result.rowcount)
