"""API handlers for `recording` and `recordings`: parameters in, service call, document out.

There is no PUT: recordings come from the meeting service (the operator's `recording add`),
so the route table answers PUT recording with 405.
"""

from __future__ import annotations

from functools import partial

from onstream.protocol.describe import (
    ID,
    PAGING,
    Operation,
    Param,
    described,
    list_of,
    returning,
)
from onstream.protocol.listing import Listed, paging, returned_fields
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Reply, message
from onstream.recordings import documents, service
from onstream.recordings.models import Recording, RecordingInput
from onstream.services import ApiCall

RECORDINGS = list_of(
    "recordings",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "session_id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "password": {"type": ["string", "null"]},
            "duration": {"type": "integer"},
            "allow_anonymous_playback": {"type": ["boolean", "integer"]},
            "recording_link": {"type": "string"},
            "creation_date": {"type": "string"},
        },
    },
)
RETURN = returning(documents.FIELDS)


def _id(params: Params) -> int:
    return params.integer("id", required=True, min=1, max=ID_MAX)


def _document(call: ApiCall, items: list[Recording], listed: Listed | None = None) -> Reply:
    fields = returned_fields(
        call.params, available=documents.FIELDS, default=documents.DEFAULT_FIELDS
    )
    return Reply(
        documents.recordings_document(
            items, owner=call.account, base_url=call.settings.public_base_url, fields=fields
        ),
        listed=listed,
    )


@described(Operation("One recording", (ID, RETURN), RECORDINGS, by_id=True))
async def get_recording(call: ApiCall) -> Reply:
    """GET recording/id/N: one recording in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, _id(call.params))])


@described(
    Operation(
        "A page of the account's recordings",
        (Param("session", "integer", "Only this session's", minimum=1), *PAGING, RETURN),
        RECORDINGS,
        listed=True,
    )
)
async def get_recordings(call: ApiCall) -> Reply:
    """GET recordings[/session/N]: a page of the account's recordings."""
    page = paging(call.params)
    session_id = call.params.integer("session", min=1, max=ID_MAX)
    items = await service.page(
        call.conn,
        call.account,
        session_id=session_id,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
    )
    total = await service.total(call.conn, call.account, session_id=session_id)
    return _document(call, items, Listed(total=total, page=page))


@described(
    Operation(
        "Change a recording",
        (
            ID,
            Param("title", example="Kick-off"),
            Param("description", example="First meeting"),
            Param("password", example="s3cret"),
            Param("allow_anonymous_playback", "boolean", example=False),
        ),
    )
)
async def post_recording(call: ApiCall) -> Reply:
    """POST recording: change title, description, password, allow_anonymous_playback."""
    recording_id = _id(call.params)
    data = RecordingInput(
        title=call.params.text("title", strip=False),
        description=call.params.text("description", strip=False),
        password=call.params.text("password", strip=False),
        allow_anonymous_playback=call.params.boolean("allow_anonymous_playback"),
    )
    await service.update(
        call.conn, call.account, recording_id, data, base_url=call.settings.public_base_url
    )
    return Reply(message("Recording updated", id=recording_id))


@described(Operation("Delete a recording and its media", (ID,), by_id=True))
async def delete_recording(call: ApiCall) -> Reply:
    """DELETE recording: by `id` in the body or the URL; its media goes after the commit."""
    recording_id = _id(call.params)
    media_keys = await service.delete(
        call.conn, call.account, recording_id, base_url=call.settings.public_base_url
    )
    for media_key in media_keys:
        call.after_commit.append(partial(call.services.media.delete, media_key))
    return Reply(message("Recording was deleted", id=recording_id))
