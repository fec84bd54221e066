"""API handlers for `session` and `sessions`: parameters in, service call, document out."""

from __future__ import annotations

from onstream.invitees import mailing
from onstream.invitees import service as invitees
from onstream.invitees.routes import context, participants
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
    """PUT session: create one, with its invitees; 201 with its URL."""
    data, entries = _session_input(call.params), participants(call.params)
    ctx = context(call)
    session_id = await service.create(call.conn, call.account, data)
    session = await service.get(call.conn, call.account, session_id)
    await invitees.apply_participants(ctx, session, entries)
    return Reply(
        message("Session added", id=session_id), status=201, location=f"session/id/{session_id}"
    )


async def post_session(call: Call) -> Reply:
    """POST session: change the fields given; invitees already mailed hear of a move."""
    session_id = _id(call.params)
    data, entries = _session_input(call.params), participants(call.params)
    ctx = context(call)
    session, moved = await service.update(call.conn, call.account, session_id, data)
    if moved:
        await mailing.tell_everyone_mailed(
            call.conn, kind="update", settings=call.settings, owner=call.account, session=session
        )
    await invitees.apply_participants(ctx, session, entries)
    return Reply(message("Session updated", id=session_id))


async def delete_session(call: Call) -> Reply:
    """DELETE session: by `id` in the body or the URL; invitees who were mailed get a
    cancellation."""
    session_id = _id(call.params)
    context(call)
    session = await service.delete(call.conn, call.account, session_id)
    await mailing.tell_everyone_mailed(
        call.conn, kind="cancel", settings=call.settings, owner=call.account, session=session
    )
    return Reply(message("Session was deleted", id=session_id))
