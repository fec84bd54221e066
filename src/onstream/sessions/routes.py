"""API handlers that read `session` and `sessions`: parameters in, service call, document out.

The writes (PUT, POST, DELETE session) carry invitees and their mail as well, so they live
above both resources, in `onstream.scheduling`.
"""

from __future__ import annotations

from onstream.protocol.listing import paging, returned_fields
from onstream.protocol.params import Params
from onstream.protocol.resources import Reply
from onstream.services import ApiCall
from onstream.sessions import documents, service
from onstream.sessions.models import Session, SessionInput


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
    )


def session_id(params: Params) -> int:
    """The required `id` of the session a call is about."""
    return params.integer("id", required=True, min=1)


def _document(call: ApiCall, items: list[Session]) -> Reply:
    fields = returned_fields(
        call.params, available=documents.FIELDS, default=documents.DEFAULT_FIELDS
    )
    return Reply(
        documents.sessions_document(
            items, owner=call.account, base_url=call.settings.public_base_url, fields=fields
        )
    )


async def get_session(call: ApiCall) -> Reply:
    """GET session/id/N: one session in a list of one."""
    return _document(call, [await service.get(call.conn, call.account, session_id(call.params))])


async def get_sessions(call: ApiCall) -> Reply:
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
