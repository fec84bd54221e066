"""API handlers for `session` and `sessions`: parameters in, service call, document out."""

from __future__ import annotations

from onstream.protocol.listing import paging, returned_fields
from onstream.protocol.params import Params
from onstream.protocol.resources import Call, Reply, message
from onstream.sessions import documents, service
from onstream.sessions.models import Session, SessionInput


def _session_input(params: Params) -> SessionInput:
    return SessionInput(
        topic=params.text("topic", strip=False),
        start_time=params.text("start_time"),
        duration=params.integer("duration"),
        timezone=params.text("timezone"),
        password=params.text("password", strip=False),
        friendly_url=params.text("friendly_url"),
        custom_data=params.raw("custom_data"),
    )


def _id(params: Params) -> int:
    return params.integer("id", required=True, min=1)


def _document(call: Call, items: list[Session]) -> Reply:
    fields = returned_fields(
        call.params, available=documents.FIELDS, default=documents.DEFAULT_FIELDS
    )
    return Reply(
        documents.sessions_document(
            items, owner=call.account, base_url=call.settings.public_base_url, fields=fields
        )
    )


async def get_session(call: Call) -> Reply:
    """GET session/id/N: one session in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, _id(call.params))])


async def get_sessions(call: Call) -> Reply:
    """GET sessions: a page of the account's sessions."""
    page = paging(call.params)
    items = await service.page(
        call.conn,
        call.account,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
    )
    return _document(call, items)


async def put_session(call: Call) -> Reply:
    """PUT session: create one; 201 with its URL."""
    session_id = await service.create(call.conn, call.account, _session_input(call.params))
    return Reply(
        message("Session added", id=session_id), status=201, location=f"session/id/{session_id}"
    )


async def post_session(call: Call) -> Reply:
    """POST session: change the fields given."""
    session_id = _id(call.params)
    await service.update(call.conn, call.account, session_id, _session_input(call.params))
    return Reply(message("Session updated", id=session_id))


async def delete_session(call: Call) -> Reply:
    """DELETE session: by `id` in the body or the URL."""
    session_id = _id(call.params)
    await service.delete(call.conn, call.account, session_id)
    return Reply(message("Session was deleted", id=session_id))
