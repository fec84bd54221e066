"""The rules for the media library and session file shares. No HTTP here.

Functions run inside the caller's transaction and never commit. An upload's bytes go to the
media store before its row is written and are removed again when the write fails; a deleted
file's bytes are removed after its row stops referring to them (see `recordings.service`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from onstream.clock import utcnow
from onstream.errors import Deleted, Invalid, Missing, Taken
from onstream.files import repository, rules
from onstream.files.models import FileInput, LibraryFile
from onstream.media.store import MediaSource, MediaStore, stored
from onstream.sessions import service as sessions
from onstream.storage.database import Connection
from onstream.users.models import Account

NO_UPLOAD = "is_url 0 needs the file itself, as a multipart/form-data field named 'file'"


async def get(conn: Connection, owner: Account, file_id: int) -> LibraryFile:
    """A live file of this account; `Deleted` (410) or `Missing` (404) otherwise."""
    found = await repository.by_id(conn, owner_id=owner.id, file_id=file_id)
    if found is None:
        raise Missing(f"File {file_id} does not exist")
    if found.deleted_at is not None:
        raise Deleted(f"File {file_id} was deleted")
    return found


async def page(
    conn: Connection, owner: Account, *, count: int, offset: int, descending: bool
) -> list[LibraryFile]:
    """One page of the account's live files."""
    return await repository.page(
        conn, owner_id=owner.id, count=count, offset=offset, descending=descending
    )


async def add(conn: Connection, owner: Account, data: FileInput, *, store: MediaStore) -> int:
    """Add a link, or an upload (`is_url` 0); `is_url` defaults to 1 when a link is given.
    Returns the new file's id."""
    is_url = data.is_url
    if is_url is None:
        is_url = data.file_link is not None or data.upload is None
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "is_url": is_url,
        "dir_id": data.dir_id,
        "file_description": rules.check_description(data.file_description or ""),
        "created_at": utcnow(),
    }
    if is_url:
        if not data.file_link:
            raise Invalid("file_link is required: the full http:// or https:// URL of the file")
        values["file_link"] = rules.check_link(data.file_link)
        return await repository.insert_file(conn, values)
    if data.upload is None:
        raise Invalid(NO_UPLOAD)
    return await _add_upload(conn, values, data.upload, store=store)


async def _add_upload(
    conn: Connection, values: dict[str, Any], upload: MediaSource, *, store: MediaStore
) -> int:
    name = rules.clean_name(upload.name)
    async with stored(store, upload) as media:
        values.update(
            media_key=media.key,
            media_name=name,
            media_size=media.size,
            media_type=media.content_type,
        )
        return await repository.insert_file(conn, values)


async def delete(conn: Connection, owner: Account, file_id: int, *, store: MediaStore) -> None:
    """Delete a live file (and an upload's bytes); later calls on it answer 410."""
    found = await get(conn, owner, file_id)
    await repository.mark_deleted(conn, found.id, now=utcnow())
    if found.media_key is not None:
        await store.delete(found.media_key)


async def add_to_session(
    conn: Connection,
    owner: Account,
    *,
    file_id: int,
    session_id: int,
    is_auto_opening: bool,
) -> int:
    """Share a file of this account in a session of this account; the same pair twice is
    `Taken`, also when two requests race. Returns the association's id."""
    found = await get(conn, owner, file_id)
    session = await sessions.get(conn, owner, session_id)
    try:
        return await repository.insert_file_in_session(
            conn,
            file_id=found.id,
            session_id=session.id,
            is_auto_opening=is_auto_opening,
            now=utcnow(),
        )
    except IntegrityError as exc:
        raise Taken(f"File {file_id} is already in session {session_id}") from exc
