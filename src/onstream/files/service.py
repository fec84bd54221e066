"""The rules for the media library and session file shares. No HTTP here.

Functions run inside the caller's transaction and never commit, and never touch the media
store: the caller puts an upload's bytes in the store before the transaction (and removes
them when it fails), and removes a deleted file's bytes after it committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Deleted, Invalid, Missing, Taken
from onstream.files import documents, repository, rules
from onstream.files.models import FileInput, LibraryFile, Share
from onstream.media.store import StoredMedia
from onstream.sessions import service as sessions
from onstream.storage.database import Connection
from onstream.webhooks import outbox as webhooks

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


async def total(conn: Connection, owner: Account) -> int:
    """How many live files `page` pages through."""
    return await repository.live_count(conn, owner_id=owner.id)


async def add(conn: Connection, owner: Account, data: FileInput, *, base_url: str) -> int:
    """Add a link, or an upload (`is_url` 0); `is_url` defaults to 1 when a link is given.
    Returns the new file's id; the account's webhooks hear `file.added` (links made with
    `base_url`)."""
    file_id = await _add(conn, owner, data)
    shown = documents.files_document([await get(conn, owner, file_id)], base_url=base_url)
    await webhooks.emit(conn, owner, "file.added", f"file:{file_id}", shown.data["files"][0])
    return file_id


async def _add(conn: Connection, owner: Account, data: FileInput) -> int:
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
    return await _add_upload(conn, values, data.upload)


async def _add_upload(conn: Connection, values: dict[str, Any], upload: StoredMedia) -> int:
    values.update(
        media_key=upload.key,
        media_name=rules.clean_name(upload.name),
        media_size=upload.size,
        media_type=upload.content_type,
    )
    return await repository.insert_file(conn, values)


async def delete(conn: Connection, owner: Account, file_id: int) -> str | None:
    """Delete a live file; later calls on it answer 410. Returns an upload's media key, which
    the caller removes from the store once the transaction committed."""
    found = await get(conn, owner, file_id)
    await repository.mark_deleted(conn, found.id, now=utcnow())
    return found.media_key


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


async def shares(conn: Connection, owner: Account, file_id: int) -> list[Share]:
    """The live sessions a live file of this account is shared in."""
    found = await get(conn, owner, file_id)
    return await repository.shares_of(conn, found.id)


async def remove_from_session(
    conn: Connection, owner: Account, *, file_id: int, session_id: int
) -> None:
    """Stop sharing a file of this account in a session; `Missing` when it is not shared
    there (the API has no call for this; the account center offers it)."""
    found = await get(conn, owner, file_id)
    if not await repository.delete_file_in_session(conn, file_id=found.id, session_id=session_id):
        raise Missing(f"File {file_id} is not shared in session {session_id}")
