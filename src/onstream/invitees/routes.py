"""API handlers for `invitee` and `invitees`, and `invited_participants` of sessions."""

from __future__ import annotations

from onstream.invitees import service
from onstream.invitees.models import ROLES, Context, InviteeInput
from onstream.protocol.describe import ID, Operation, Param, described
from onstream.protocol.document import Document
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Reply, message
from onstream.services import ApiCall
from onstream.sessions import service as sessions

ROLE_FILTERS = ("all", *ROLES.values())
SEND = Param("send_email_invitation", "boolean", "Mail the invitation (default 1)", example=False)
SEND_PLURAL = Param("send_email_invitations", "boolean", "Older spelling of the above")
INVITEE_PARAMS = (
    Param("email", description="The person's e-mail address", example="ana@example.com"),
    Param("first_name", example="Ana"),
    Param("last_name", example="Lima"),
    Param(
        "role", "integer", "1 moderator, 2 participant, 3 observer", minimum=1, maximum=3, example=2
    ),
    SEND,
    SEND_PLURAL,
    Param("id", "integer", "A known person's user id instead of the e-mail", minimum=1),
)
"""What `invitee_input` reads."""
PARTICIPANTS = Param(
    "invited_participants",
    "array",
    "Invitees: objects of email, first_name, last_name, role, send_email_invitation",
    example=[],
)
INVITEE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "first_name": {"type": ["string", "null"]},
        "last_name": {"type": ["string", "null"]},
        "email": {"type": "string"},
        "role": {"type": "integer"},
        "personal_session_link": {"type": "string"},
    },
}
GROUPS = {
    "type": "object",
    "properties": {
        group: {"type": "array", "items": INVITEE} for group in ROLE_FILTERS if group != "all"
    },
}
SESSION_ID = Param("session_id", "integer", "The session", required=True, minimum=1, example=1)
USER_ID = Param("user_id", "integer", "The invited person", required=True, minimum=1, example=2)


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
        send=send_flag(params),
        user_id=params.integer("id", min=1, max=ID_MAX),
    )


def participants(params: Params) -> list[InviteeInput]:
    """`invited_participants` of PUT/POST session."""
    return [invitee_input(entry) for entry in params.nested("invited_participants")]


def send_flag(params: Params) -> bool | None:
    """`send_email_invitation` (or its plural spelling); None when not given."""
    # The documentation spells it both ways; the singular is the documented parameter.
    if params.has("send_email_invitation"):
        return params.boolean("send_email_invitation")
    return params.boolean("send_email_invitations")


@described(
    Operation(
        "A session's invitees by role",
        (ID, Param("role", enum=ROLE_FILTERS, example="all")),
        GROUPS,
        by_id=True,
    )
)
async def get_invitees(call: ApiCall) -> Reply:
    """GET invitees/id/N[/role/R]: invitees grouped by role."""
    session_id = call.params.integer("id", required=True, min=1, max=ID_MAX)
    role = call.params.choice("role", ROLE_FILTERS, default="all")
    session = await sessions.get(call.conn, call.account, session_id)
    groups = await service.grouped(call.conn, call.settings, call.account, session, role)
    return Reply(Document(groups))


@described(Operation("Invite a person to a session", (SESSION_ID, *INVITEE_PARAMS), status=201))
async def put_invitee(call: ApiCall) -> Reply:
    """PUT invitee: invite a person to a session; answers their user id."""
    session_id = call.params.integer("session_id", required=True, min=1, max=ID_MAX)
    data = invitee_input(call.params)
    if data.email is None:
        call.params.text("email", required=True)
    session = await sessions.get(call.conn, call.account, session_id)
    user_id = await service.invite(context(call), session, data)
    return Reply(
        message("Invitee added", id=user_id), status=201, location=f"invitees/id/{session_id}"
    )


@described(
    Operation(
        "Change an invitee's role; mail the invitation again",
        (SESSION_ID, USER_ID, INVITEE_PARAMS[3], SEND, SEND_PLURAL),
    )
)
async def post_invitee(call: ApiCall) -> Reply:
    """POST invitee: change the role; mails the invitation again unless told not to."""
    session_id = call.params.integer("session_id", required=True, min=1, max=ID_MAX)
    user_id = call.params.integer("user_id", required=True, min=1, max=ID_MAX)
    role = call.params.integer("role")
    send = send_flag(call.params)
    session = await sessions.get(call.conn, call.account, session_id)
    await service.change(context(call), session, user_id=user_id, role=role, send=send is not False)
    return Reply(message("Invitation was updated", id=user_id))
