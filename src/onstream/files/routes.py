"""API handlers for `file`, `files` and `file_in_session`: parameters in, service, document out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from starlette.datastructures import UploadFile

from onstream.files import documents, service
from onstream.files.models import FileInput, LibraryFile
from onstream.media.store import CHUNK_BYTES, MediaSource, StoredMedia, put_source
from onstream.protocol.describe import (
    ID,
    PAGING,
    Operation,
    Param,
    described,
    list_of,
    returning,
)
from onstream.protocol.errors import BadRequest, PayloadTooLarge
from onstream.protocol.listing import Listed, paging, returned_fields
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Intake, Reply, Staged, message
from onstream.services import ApiCall, Services

FILES = list_of(
    "files",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "file_link": {"type": ["string", "null"]},
            "is_url": {"type": ["boolean", "integer"]},
            "dir_id": {"type": ["integer", "null"]},
            "file_description": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
        },
    },
)
RETURN = returning(documents.FIELDS)


def _id(params: Params) -> int:
    return params.integer("id", required=True, min=1, max=ID_MAX)


def _document(call: ApiCall, items: list[LibraryFile], listed: Listed | None = None) -> Reply:
    fields = returned_fields(call.params, available=documents.FIELDS, default=documents.FIELDS)
    return Reply(
        documents.files_document(items, base_url=call.settings.public_base_url, fields=fields),
        listed=listed,
    )


def _upload(intake: Intake[Services]) -> MediaSource | None:
    """The multipart field `file`, checked against `ONSTREAM_UPLOAD_MAX_BYTES`."""
    value = intake.params.raw("file")
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise BadRequest(service.NO_UPLOAD)
    limit = intake.settings.upload_max_bytes
    if value.size is not None and value.size > limit:
        raise PayloadTooLarge(f"The file is larger than the upload limit of {limit} bytes")
    return MediaSource(
        name=value.filename or "", content_type=value.content_type, chunks=_read(value)
    )


async def _read(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


@described(Operation("One file", (ID, RETURN), FILES, by_id=True))
async def get_file(call: ApiCall) -> Reply:
    """GET file/id/N: one file in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, _id(call.params))])


@described(Operation("A page of the media library", (*PAGING, RETURN), FILES, listed=True))
async def get_files(call: ApiCall) -> Reply:
    """GET files: a page of the account's media library."""
    page = paging(call.params)
    items = await service.page(
        call.conn, call.account, count=page.count, offset=page.offset, descending=page.descending
    )
    total = await service.total(call.conn, call.account)
    return _document(call, items, Listed(total=total, page=page))


async def _store_upload(intake: Intake[Services]) -> StoredMedia | None:
    """PUT file, before the transaction: an upload's bytes into the media store."""
    link, is_url = intake.params.text("file_link"), intake.params.boolean("is_url")
    wants_upload = is_url is False or (is_url is None and link is None)
    source = _upload(intake) if wants_upload else None
    return None if source is None else await put_source(intake.services.media, source)


async def _add_file(call: ApiCall, upload: StoredMedia | None) -> Reply:
    """PUT file, in the transaction: a link, or the stored upload; 201 with its URL."""
    data = FileInput(
        file_link=call.params.text("file_link"),
        is_url=call.params.boolean("is_url"),
        dir_id=call.params.integer("dir_id", min=0),
        file_description=call.params.text("file_description"),
        upload=upload,
    )
    file_id = await service.add(
        call.conn, call.account, data, base_url=call.settings.public_base_url
    )
    return Reply(message("File added", id=file_id), status=201, location=f"file/id/{file_id}")


async def _drop_upload(intake: Intake[Services], upload: StoredMedia | None) -> None:
    """PUT file refused or rolled back: its bytes leave the store again."""
    if upload is not None:
        await intake.services.media.delete(upload.key)


put_file = described(
    Operation(
        "Add a link, or with is_url 0 an uploaded file (multipart field 'file')",
        (
            Param(
                "file_link",
                description="http(s) URL",
                max_length=2048,
                example="https://example.com/a.pdf",
            ),
            Param(
                "is_url",
                "boolean",
                "1 for a link (default with file_link), 0 for an upload",
                example=True,
            ),
            Param("dir_id", "integer", "Folder id, stored", minimum=0, example=0),
            Param("file_description", max_length=255, example="Slides"),
            Param("file", "file", "The upload, with is_url 0"),
        ),
        status=201,
    )
)(Staged(prepare=_store_upload, run=_add_file, undo=_drop_upload))
"""PUT file: a link, or with `is_url` 0 an upload stored before the write transaction."""


@described(Operation("Delete a file", (ID,), by_id=True))
async def delete_file(call: ApiCall) -> Reply:
    """DELETE file: by `id` in the body or the URL; an upload's bytes go after the commit."""
    file_id = _id(call.params)
    media_key = await service.delete(call.conn, call.account, file_id)
    if media_key is not None:
        call.after_commit.append(partial(call.services.media.delete, media_key))
    return Reply(message("File was deleted", id=file_id))


@described(
    Operation(
        "Share a file in a session",
        (
            Param("file_id", "integer", required=True, minimum=1, example=1),
            Param("session_id", "integer", required=True, minimum=1, example=1),
            Param("is_auto_opening", "boolean", "Opens for everyone in the room", example=False),
        ),
        status=201,
    )
)
async def put_file_in_session(call: ApiCall) -> Reply:
    """PUT file_in_session: share a file in a session; 201 with the association's id.

    No `Location`: an association has no GET URL of its own.
    """
    association_id = await service.add_to_session(
        call.conn,
        call.account,
        file_id=call.params.integer("file_id", required=True, min=1, max=ID_MAX),
        session_id=call.params.integer("session_id", required=True, min=1, max=ID_MAX),
        is_auto_opening=call.params.boolean("is_auto_opening", default=False),
    )
    return Reply(message("File added to session", id=association_id), status=201)
