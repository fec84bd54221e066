"""API handlers that write a session together with its invitees and their e-mail.

PUT, POST and DELETE session change a session and, in the same transaction, its invitees
(`invited_participants`) and the mail that tells them (invitations, updates, cancellations);
DELETE invitee lets the withdrawn person out of the meeting room. The work itself is in
`scheduling.service`, which the account center's forms call too; these only read the
parameters and answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from onstream.errors import Invalid
from onstream.invitees.models import InviteeInput
from onstream.invitees.routes import PARTICIPANTS, SESSION_ID, USER_ID, participants, send_flag
from onstream.protocol.describe import ID, Operation, Param, described
from onstream.protocol.params import ID_MAX
from onstream.protocol.resources import Intake, Reply, Staged, message
from onstream.scheduling import series as recurring
from onstream.scheduling import service
from onstream.scheduling.service import Change, NewSession
from onstream.services import ApiCall
from onstream.sessions import routes as sessions
from onstream.sessions.models import SessionInput

REQUIRED_ON_PUT = frozenset({"topic", "start_time", "duration"})


def change_of(call: ApiCall) -> Change:
    """The call's transaction and after-commit work, as the scheduling service takes them."""
    return Change(call.conn, call.account, call.settings, call.services, call.after_commit)


@dataclass(frozen=True, slots=True)
class _PutInput:
    """What PUT session checked before its transaction."""

    data: SessionInput
    entries: list[InviteeInput]
    new: NewSession | None
    """The checked session and invitees; None for a series (checked inside, per occurrence)."""


async def _check_put(intake: Intake[Any]) -> _PutInput:
    """Read and check every field before the write transaction: on SQLite the transaction
    holds the database's one writer lock, which should cover the statements only."""
    data, entries = sessions.session_input(intake.params), participants(intake.params)
    if data.recurrence is not None:
        return _PutInput(data, entries, None)
    return _PutInput(data, entries, service.new_session(intake.account, data, entries))


async def _put(call: ApiCall, checked: _PutInput) -> Reply:
    """PUT session: create one, with its invitees; 201 with its URL."""
    if checked.new is None:
        series_id, ids = await recurring.create_series(
            change_of(call), checked.data, checked.entries
        )
        return Reply(
            message("Session added", id=ids[0], series_id=series_id, sessions=ids),
            status=201,
            location=f"series/id/{series_id}",
        )
    session_id = await service.insert_session(change_of(call), checked.new)
    return Reply(
        message("Session added", id=session_id), status=201, location=f"session/id/{session_id}"
    )


async def _nothing_to_undo(_intake: Intake[Any], _checked: _PutInput) -> None:
    """Checking wrote nothing."""


put_session = described(
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
)(Staged(prepare=_check_put, run=_put, undo=_nothing_to_undo))
"""PUT session: create one, with its invitees; 201 with its URL."""


@described(
    Operation(
        "Change a session; invitees hear of a move", (ID, *sessions.SESSION_PARAMS, PARTICIPANTS)
    )
)
async def post_session(call: ApiCall) -> Reply:
    """POST session: change the fields given; invitees already mailed hear of a move."""
    session_id = sessions.session_id(call.params)
    data, entries = sessions.session_input(call.params), participants(call.params)
    if data.recurrence is not None:
        raise Invalid("recurrence can only be given on PUT session; POST series changes one")
    await service.update_session(change_of(call), session_id, data, entries)
    return Reply(message("Session updated", id=session_id))


CANCEL = Param(
    "send_email_invitation",
    "boolean",
    "Mail a cancellation to those who were mailed the invitation (default 1)",
    example=True,
)
CANCEL_PLURAL = Param("send_email_invitations", "boolean", "Older spelling of the above")


@described(
    Operation(
        "Delete a session; invitees get a cancellation", (ID, CANCEL, CANCEL_PLURAL), by_id=True
    )
)
async def delete_session(call: ApiCall) -> Reply:
    """DELETE session: by `id` in the body or the URL; invitees who were mailed get a
    cancellation unless `send_email_invitation` is false."""
    session_id = sessions.session_id(call.params)
    send = send_flag(call.params) is not False
    await service.delete_session(change_of(call), session_id, send=send)
    return Reply(message("Session was deleted", id=session_id))


@described(
    Operation(
        "Withdraw an invitation; a mailed invitee gets a cancellation",
        (SESSION_ID, USER_ID, CANCEL, CANCEL_PLURAL),
    )
)
async def delete_invitee(call: ApiCall) -> Reply:
    """DELETE invitee: withdraw the invitation; who entered the room through it leaves; a
    person who was mailed the invitation gets a cancellation unless
    `send_email_invitation` is false."""
    session_id = call.params.integer("session_id", required=True, min=1, max=ID_MAX)
    user_id = call.params.integer("user_id", required=True, min=1, max=ID_MAX)
    send = send_flag(call.params) is not False
    await service.withdraw_invitee(change_of(call), session_id, user_id, send=send)
    return Reply(message("Invitee deleted", id=user_id))
