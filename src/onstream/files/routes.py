"""API handlers for `file`, `files` and `file_in_session`: parameters in, service, document out."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.datastructures import UploadFile

from onstream.files import documents, service
from onstream.files.models import FileInput, LibraryFile
from onstream.media.store import CHUNK_BYTES, MediaSource, store_of
from onstream.protocol.errors import BadRequest, PayloadTooLarge
from onstream.protocol.listing import paging, returned_fields
from onstream.protocol.params import Params
from onstream.protocol.resources import Call, Reply, message


def _id(params: Params) -> int:
    return params.integer("id", required=True, min=1)


def _document(call: Call, items: list[LibraryFile]) -> Reply:
    fields = returned_fields(call.params, available=documents.FIELDS, default=documents.FIELDS)
    return Reply(
        documents.files_document(items, base_url=call.settings.public_base_url, fields=fields)
    )


def _upload(call: Call) -> MediaSource | None:
    """The multipart field `file`, checked against `ONSTREAM_UPLOAD_MAX_BYTES`."""
    value = call.params.raw("file")
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise BadRequest(service.NO_UPLOAD)
    limit = call.settings.upload_max_bytes
    if value.size is not None and value.size > limit:
        raise PayloadTooLarge(f"The file is larger than the upload limit of {limit} bytes")
    return MediaSource(
        name=value.filename or "", content_type=value.content_type, chunks=_read(value)
    )


async def _read(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def get_file(call: Call) -> Reply:
    """GET file/id/N: one file in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, _id(call.params))])


async def get_files(call: Call) -> Reply:
    """GET files: a page of the account's media library."""
    page = paging(call.params)
    items = await service.page(
        call.conn, call.account, count=page.count, offset=page.offset, descending=page.descending
    )
    return _document(call, items)


async def put_file(call: Call) -> Reply:
    """PUT file: a link, or with `is_url` 0 an upload; 201 with its URL."""
    link, is_url = call.params.text("file_link"), call.params.boolean("is_url")
    wants_upload = is_url is False or (is_url is None and link is None)
    data = FileInput(
        file_link=link,
        is_url=is_url,
        dir_id=call.params.integer("dir_id", min=0),
        file_description=call.params.text("file_description"),
        upload=_upload(call) if wants_upload else None,
    )
    file_id = await service.add(call.conn, call.account, data, store=store_of(call.services))
    return Reply(message("File added", id=file_id), status=201, location=f"file/id/{file_id}")


async def delete_file(call: Call) -> Reply:
    """DELETE file: by `id` in the body or the URL; an upload's bytes go with it."""
    file_id = _id(call.params)
    await service.delete(call.conn, call.account, file_id, store=store_of(call.services))
    return Reply(message("File was deleted", id=file_id))


async def put_file_in_session(call: Call) -> Reply:
    """PUT file_in_session: share a file in a session; 201 with the association's id.

    No `Location`: an association has no GET URL of its own.
    """
    association_id = await service.add_to_session(
        call.conn,
        call.account,
        file_id=call.params.integer("file_id", required=True, min=1),
        session_id=call.params.integer("session_id", required=True, min=1),
        is_auto_opening=call.params.boolean("is_auto_opening", default=False),
    )
    return Reply(message("File added to session", id=association_id), status=201)
