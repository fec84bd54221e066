"""GET session and GET sessions, for the owner and for registered invitees (CONTRACT §6a).

The owner's answers are those of `sessions.routes`. A session of another account answers
its registered invitee too, read-only and in the invitee's own zone; `sessions/invited/1`
lists those sessions. Every other call on such a session stays 404, because every other
handler looks sessions up by their owner only.
"""

from __future__ import annotations

from onstream.errors import Missing
from onstream.invitees import registered
from onstream.invitees.registered import InvitedSession
from onstream.protocol.describe import ID, PAGING, Operation, Param, described, list_of
from onstream.protocol.document import Document
from onstream.protocol.listing import Listed, paging, returned_fields
from onstream.protocol.resources import Reply
from onstream.scheduling import calendars
from onstream.services import ApiCall
from onstream.sessions import documents, service
from onstream.sessions import routes as sessions

INVITED = Param(
    "invited",
    "boolean",
    "1: the sessions of other accounts this account is a registered invitee of (invited at "
    "its verified address), in its own zone, with role and personal_session_link",
    example=False,
)
SESSION_ITEM = {
    **sessions.SESSION_ITEM,
    "properties": {
        **sessions.SESSION_ITEM["properties"],
        "role": {
            "type": "integer",
            "description": "Only for a registered invitee: 1 moderator, 2 participant, 3 observer",
        },
        "personal_session_link": {
            "type": "string",
            "description": "Only for a registered invitee: their own one-click link",
        },
    },
}
SESSIONS = list_of("sessions", SESSION_ITEM)


def _invited_reply(
    call: ApiCall, items: list[InvitedSession], listed: Listed | None = None
) -> Reply:
    fields = returned_fields(
        call.params, available=documents.FIELDS, default=documents.DEFAULT_FIELDS
    )
    base_url = call.settings.public_base_url
    document = documents.invited_sessions_document(
        [item.view(base_url) for item in items],
        timezone=call.account.timezone,
        dst=call.account.dst,
        base_url=base_url,
        fields=[name for name in fields if name not in documents.INVITEE_EXTRAS],
        dial_in=call.settings.dial_in_list,
    )
    return Reply(document, listed=listed)


@described(
    Operation(
        "One session of the account, or of another account that invites it",
        (ID, sessions.RETURN),
        SESSIONS,
        by_id=True,
    )
)
async def get_session(call: ApiCall) -> Reply:
    """GET session/id/N: the account's session; else one it is a registered invitee of.
    With `format/ics` (or `.ics`), the session as a calendar event in the reader's view."""
    if call.format == "ics":
        return await _calendar(call)
    try:
        return await sessions.get_session(call)
    except Missing:
        invited = await registered.invitation_of(
            call.conn, call.account, sessions.session_id(call.params)
        )
        if invited is None:
            raise
        return _invited_reply(call, [invited])


async def _calendar(call: ApiCall) -> Reply:
    session_id = sessions.session_id(call.params)
    base_url = call.settings.public_base_url
    try:
        session = await service.get(call.conn, call.account, session_id)
        event = calendars.owned_event(session, call.account, base_url)
    except Missing:
        invited = await registered.invitation_of(call.conn, call.account, session_id)
        if invited is None:
            raise
        event = calendars.invited_event(invited, call.account, base_url)
    disposition = f'attachment; filename="session-{session_id}.ics"'
    return Reply(
        Document({}),
        body=calendars.one_session(event),
        headers={"content-disposition": disposition},
    )


@described(
    Operation(
        "A page of the account's sessions, or with invited/1 of those it is invited to",
        (*PAGING, sessions.RETURN, INVITED),
        SESSIONS,
        listed=True,
    )
)
async def get_sessions(call: ApiCall) -> Reply:
    """GET sessions: the account's own; GET sessions/invited/1: those it is invited to."""
    if not call.params.boolean("invited", default=False):
        return await sessions.get_sessions(call)
    page = paging(call.params)
    items = await registered.invited_sessions(
        call.conn, call.account, count=page.count, offset=page.offset, descending=page.descending
    )
    total = await registered.invited_total(call.conn, call.account)
    return _invited_reply(call, items, Listed(total=total, page=page))
