"""API handlers that read `session` and `sessions`: parameters in, service call, document out.

The writes (PUT, POST, DELETE session) carry invitees and their mail as well, so they live
above both resources, in `onstream.scheduling`.
"""

from __future__ import annotations

from typing import Any

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
from onstream.protocol.resources import Reply
from onstream.services import ApiCall
from onstream.sessions import documents, service
from onstream.sessions.models import Session, SessionInput

SESSION_PARAMS = (
    Param("topic", max_length=255, description="1-255 characters", example="Weekly sync"),
    Param(
        "start_time",
        description="YYYY-MM-DD HH:MM:SS, wall time in the session's timezone",
        example="2030-01-15 10:00:00",
    ),
    Param("duration", "integer", "Minutes", minimum=1, maximum=1440, example=30),
    Param("timezone", description="A code (UP1, UTC, UM5, ...) or an IANA name", example="UTC"),
    Param("password", description="The meeting passcode; empty clears it", example="s3cret"),
    Param("friendly_url", description="a-z 0-9 - _, unique in the account", example=None),
    Param("custom_data", "object", "{custom1: ..., custom2: ...}", example={"custom1": "x"}),
    Param("auto_record", "boolean", "Record the meeting by itself", example=False),
    Param(
        "waiting_room",
        "boolean",
        "Guests of the public link wait until a moderator admits them",
        example=False,
    ),
    Param(
        "recurrence",
        max_length=500,
        description=(
            "PUT only: an RFC 5545 RRULE (FREQ DAILY/WEEKLY/MONTHLY/YEARLY with COUNT or UNTIL,"
            " at most 100 occurrences within two years), expanded on the session's wall clock;"
            " each occurrence is a session of its own, listed by GET series/id/N"
        ),
        example=None,
    ),
)
"""What `session_input` reads."""

SESSION_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "topic": {"type": "string"},
        "start_time": {"type": "string"},
        "duration": {"type": "integer"},
        "timezone": {"type": "string"},
        "password": {"type": ["string", "null"]},
        "friendly_url": {"type": ["string", "null"]},
        "session_key": {"type": "string"},
        "session_access_code": {"type": ["integer", "string", "null"]},
        "session_link": {"type": "string"},
        "custom_data": {"type": ["object", "null"]},
        "start_time_utc": {"type": "string"},
        "end_time_utc": {"type": "string"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "series_id": {"type": ["integer", "null"]},
        "auto_record": {"type": "boolean"},
        "waiting_room": {
            "type": "boolean",
            "description": "Only with `return`: guests of the public link knock and wait "
            "until a moderator admits them",
        },
        "session_dial_in_numbers": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "Only with `return`: the bridge's phone numbers to call with "
            "`session_access_code`; null when the session has no code or the server no numbers",
        },
    },
}
SESSIONS = list_of("sessions", SESSION_ITEM)
RETURN = returning(documents.FIELDS)


def session_input(params: Params) -> SessionInput:
    """The session fields of a PUT or POST session."""
    return SessionInput(
        topic=params.text("topic", strip=False),
        start_time=params.text("start_time"),
        duration=params.integer("duration"),
        timezone=params.text("timezone"),
        password=params.text("password", strip=False),
        friendly_url=params.text("friendly_url"),
        custom_data=params.raw("custom_data"),
        auto_record=params.boolean("auto_record"),
        waiting_room=params.boolean("waiting_room"),
        recurrence=params.text("recurrence"),
    )


def session_id(params: Params) -> int:
    """The required `id` of the session a call is about."""
    return params.integer("id", required=True, min=1, max=ID_MAX)


def _fields(call: ApiCall) -> tuple[str, ...]:
    """The fields `return` asks for (the default ones without it)."""
    fields = documents.FIELDS
    return returned_fields(call.params, available=fields, default=documents.DEFAULT_FIELDS)


def _document(call: ApiCall, items: list[Session]) -> Reply:
    return Reply(
        documents.sessions_document(
            items,
            owner=call.account,
            base_url=call.settings.public_base_url,
            fields=_fields(call),
            dial_in=call.settings.dial_in_list,
        )
    )


@described(Operation("One session", (ID, RETURN), SESSIONS, by_id=True))
async def get_session(call: ApiCall) -> Reply:
    """GET session/id/N: one session in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, session_id(call.params))])


@described(Operation("A page of the account's sessions", (*PAGING, RETURN), SESSIONS, listed=True))
async def get_sessions(call: ApiCall) -> Reply:
    """GET sessions: a page of the account's sessions."""
    page = paging(call.params)
    fields = _fields(call)
    total = await service.total(call.conn, call.account)
    rows = await service.page(
        call.conn,
        call.account,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
        columns=documents.columns_for(fields),
        total=total,
    )
    document = documents.page_document(
        rows,
        owner=call.account,
        base_url=call.settings.public_base_url,
        fields=fields,
        dial_in=call.settings.dial_in_list,
    )
    return Reply(document, listed=Listed(total=total, page=page))
