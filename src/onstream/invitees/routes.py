"""API handlers for `invitee` and `invitees`, and `invited_participants` of sessions."""

from __future__ import annotations

from onstream.invitees import service
from onstream.invitees.service import ROLES, Context, InviteeInput
from onstream.protocol.document import Document
from onstream.protocol.params import Params
from onstream.protocol.resources import Reply, message
from onstream.services import ApiCall
from onstream.sessions import service as sessions

ROLE_FILTERS = ("all", *ROLES.values())


def context(call: ApiCall) -> Context:
    """The service context of a call; mail queued in it is sent right after the commit."""
    call.after_commit.append(call.services.mail.wake)
    return Context(conn=call.conn, owner=call.account, settings=call.settings)


def invitee_input(params: Params) -> InviteeInput:
    """One invitee from PUT invitee parameters or an `invited_participants` entry."""
    return InviteeInput(
        email=params.text("email"),
        first_name=params.text("first_name"),
        last_name=params.text("last_name"),
        role=params.integer("role"),
        send=_send_flag(params),
        user_id=params.integer("id", min=1),
    )


def participants(params: Params) -> list[InviteeInput]:
    """`invited_participants` of PUT/POST session."""
    return [invitee_input(entry) for entry in params.nested("invited_participants")]


def _send_flag(params: Params) -> bool | None:
    # The documentation spells it both ways; the singular is the documented parameter.
    if params.has("send_email_invitation"):
        return params.boolean("send_email_invitation")
    return params.boolean("send_email_invitations")


async def get_invitees(call: ApiCall) -> Reply:
    """GET invitees/id/N[/role/R]: invitees grouped by role."""
    session_id = call.params.integer("id", required=True, min=1)
    role = call.params.choice("role", ROLE_FILTERS, default="all")
    session = await sessions.get(call.conn, call.account, session_id)
    groups = await service.grouped(call.conn, call.settings, call.account, session, role)
    return Reply(Document(groups))


async def put_invitee(call: ApiCall) -> Reply:
    """PUT invitee: invite a person to a session; answers their user id."""
    session_id = call.params.integer("session_id", required=True, min=1)
    data = invitee_input(call.params)
    if data.email is None:
        call.params.text("email", required=True)
    session = await sessions.get(call.conn, call.account, session_id)
    user_id = await service.invite(context(call), session, data)
    return Reply(
        message("Invitee added", id=user_id), status=201, location=f"invitees/id/{session_id}"
    )


async def post_invitee(call: ApiCall) -> Reply:
    """POST invitee: change the role; mails the invitation again unless told not to."""
    session_id = call.params.integer("session_id", required=True, min=1)
    user_id = call.params.integer("user_id", required=True, min=1)
    role = call.params.integer("role")
    send = _send_flag(call.params)
    session = await sessions.get(call.conn, call.account, session_id)
    await service.change(context(call), session, user_id=user_id, role=role, send=send is not False)
    return Reply(message("Invitation was updated", id=user_id))
