"""API handlers that write a session together with its invitees and their e-mail.

PUT, POST and DELETE session change a session and, in the same transaction, its invitees
(`invited_participants`) and the mail that tells them (invitations, updates, cancellations).
They sit above both resources so that neither `sessions` nor `invitees` imports the other's
handlers, and they tell the meeting room: a deleted session's room closes, a new passcode
lets out whoever entered with the old one, a withdrawn invitation lets its person out.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from onstream.clock import utcnow
from onstream.invitees import mailing
from onstream.invitees import service as invitee_service
from onstream.invitees.routes import PARTICIPANTS, SESSION_ID, USER_ID, context, participants
from onstream.meetings import service as meetings
from onstream.meetings.service import Ejection
from onstream.protocol.describe import ID, Operation, described
from onstream.protocol.params import ID_MAX
from onstream.protocol.resources import Reply, message
from onstream.services import ApiCall
from onstream.sessions import routes as sessions
from onstream.sessions import service as session_service

REQUIRED_ON_PUT = frozenset({"topic", "start_time", "duration"})


@described(
    Operation(
        "Create a session with its invitees",
        (
            *(
                replace(p, required=True) if p.name in REQUIRED_ON_PUT else p
                for p in sessions.SESSION_PARAMS
            ),
            PARTICIPANTS,
        ),
        status=201,
    )
)
async def put_session(call: ApiCall) -> Reply:
    """PUT session: create one, with its invitees; 201 with its URL."""
    data, entries = sessions.session_input(call.params), participants(call.params)
    ctx = context(call)
    session_id = await session_service.create(call.conn, call.account, data)
    session = await session_service.get(call.conn, call.account, session_id)
    await invitee_service.apply_participants(ctx, session, entries)
    return Reply(
        message("Session added", id=session_id), status=201, location=f"session/id/{session_id}"
    )


@described(
    Operation(
        "Change a session; invitees hear of a move", (ID, *sessions.SESSION_PARAMS, PARTICIPANTS)
    )
)
async def post_session(call: ApiCall) -> Reply:
    """POST session: change the fields given; invitees already mailed hear of a move."""
    session_id = sessions.session_id(call.params)
    data, entries = sessions.session_input(call.params), participants(call.params)
    ctx = context(call)
    before = await session_service.get(call.conn, call.account, session_id)
    session, moved = await session_service.update(call.conn, call.account, session_id, data)
    if session.password != before.password:
        _after_commit(
            call,
            await meetings.eject(call.conn, session_id=session_id, now=utcnow(), source="public"),
        )
    if moved:
        await mailing.tell_everyone_mailed(
            call.conn, kind="update", settings=call.settings, owner=call.account, session=session
        )
    await invitee_service.apply_participants(ctx, session, entries)
    return Reply(message("Session updated", id=session_id))


@described(Operation("Delete a session; invitees get a cancellation", (ID,), by_id=True))
async def delete_session(call: ApiCall) -> Reply:
    """DELETE session: by `id` in the body or the URL; invitees who were mailed get a
    cancellation."""
    session_id = sessions.session_id(call.params)
    context(call)
    session = await session_service.delete(call.conn, call.account, session_id)
    ejection = await meetings.end_room(
        call.conn,
        session_id=session_id,
        reason="deleted",
        now=utcnow(),
        recordings_root=call.settings.recordings_root,
    )
    _after_commit(call, ejection)
    await mailing.tell_everyone_mailed(
        call.conn, kind="cancel", settings=call.settings, owner=call.account, session=session
    )
    return Reply(message("Session was deleted", id=session_id))


@described(Operation("Withdraw an invitation", (SESSION_ID, USER_ID)))
async def delete_invitee(call: ApiCall) -> Reply:
    """DELETE invitee: withdraw the invitation; who entered the room through it leaves."""
    session_id = call.params.integer("session_id", required=True, min=1, max=ID_MAX)
    user_id = call.params.integer("user_id", required=True, min=1, max=ID_MAX)
    session = await session_service.get(call.conn, call.account, session_id)
    token = await invitee_service.remove(context(call), session, user_id=user_id)
    ejection = await meetings.eject(
        call.conn, session_id=session_id, now=utcnow(), invitation_token=token
    )
    _after_commit(call, ejection)
    return Reply(message("Invitee deleted", id=user_id))


def _after_commit(call: ApiCall, ejection: Ejection | None) -> None:
    """Tell the media server about a room change once the transaction committed."""
    if ejection is None:
        return
    rooms = call.services.rooms
    if ejection.close:
        call.after_commit.append(partial(rooms.close, ejection.room))
    else:
        call.after_commit.append(
            partial(
                rooms.eject,
                ejection.room,
                participants=ejection.participants,
                tokens=ejection.tokens,
            )
        )
