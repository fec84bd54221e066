"""The invitee forms of a session's page: add, change (names, role), resend, remove.

Each is what an API call does, through the same service: PUT invitee (`invitees.invite`),
POST invitee (`invitees.change`, and with `send_email_invitation` true the invitation is
mailed again: that is "Resend invitation", CONTRACT §6), POST user with `id` for the
person's names (`people.update_person`), DELETE invitee (`scheduling.withdraw_invitee`).
A refused form shows the session's page again with the error beside its field.
"""

from __future__ import annotations

from starlette.responses import Response

from onstream.errors import Deleted, DomainError, Missing, Taken
from onstream.invitees import service as invitees
from onstream.invitees.routes import invitee_input
from onstream.protocol.errors import BadRequest
from onstream.protocol.params import Params
from onstream.protocol.values import Value
from onstream.scheduling import service
from onstream.sessions import service as sessions
from onstream.users import people
from onstream.users.models import ProfileInput
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.account.home import show_session
from onstream.web.pages import not_found

ADD_FIELDS = ("email", "first_name", "last_name", "role")


def _ids(visit: Visit) -> tuple[int, int | None]:
    params = visit.request.path_params
    return params["session_id"], params.get("user_id")


async def _back(visit: Visit, session_id: int, user_id: int | None) -> Response:
    """A GET of a form's address: the session's page when the session (and the invitee)
    are this account's, else the 404 page."""
    async with visit.transaction(write=False) as conn:
        try:
            session = await sessions.get(conn, visit.account, session_id)
        except (Missing, Deleted):
            return not_found()
        groups = await invitees.grouped(conn, visit.settings, visit.account, session, "all")
    invited = {person["id"] for members in groups.values() for person in members}
    if user_id is not None and user_id not in invited:
        return not_found()
    return visit.redirect(f"{PATH}/sessions/{session_id}")


async def _refused(
    visit: Visit, session_id: int, exc: DomainError | BadRequest, fields: dict[str, str]
) -> Response:
    status = 409 if isinstance(exc, Taken) else 400
    return await show_session(visit, session_id, errors=errors_for(exc, fields), status=status)


@account_page
async def add_invitee(visit: Visit) -> Response:
    """POST: invite a person (mailed unless "Send the invitation" is unticked)."""
    session_id, _ = _ids(visit)
    if visit.request.method == "GET":
        return await _back(visit, session_id, None)
    raw: dict[str, Value] = {name: visit.form[name] for name in ADD_FIELDS if visit.form.get(name)}
    raw["send_email_invitation"] = visit.form.get("send") == "1"
    fields = {name: name for name in ADD_FIELDS}
    try:
        async with visit.change() as change:
            session = await sessions.get(change.conn, change.owner, session_id)
            data = invitee_input(Params(raw))
            await invitees.invite(change.invitees(), session, data)
    except (Missing, Deleted):
        return not_found()
    except Taken as exc:  # already invited: said beside the address
        return await show_session(visit, session_id, errors={"email": exc.message}, status=409)
    except (DomainError, BadRequest) as exc:
        return await _refused(visit, session_id, exc, fields)
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="invitee-added")


@account_page
async def change_invitee(visit: Visit) -> Response:
    """POST: the invitee's names and role; no mail (that is "Resend invitation")."""
    session_id, user_id = _ids(visit)
    assert user_id is not None
    if visit.request.method == "GET":
        return await _back(visit, session_id, user_id)
    prefix = f"invitee-{user_id}-"
    fields = {name: prefix + name for name in ("first_name", "last_name", "role")}
    names = ProfileInput(
        first_name=visit.form.get(prefix + "first_name"),
        last_name=visit.form.get(prefix + "last_name"),
    )
    typed_role = visit.form.get(prefix + "role", "")
    try:
        async with visit.change() as change:
            session = await sessions.get(change.conn, change.owner, session_id)
            ctx = change.invitees()
            await invitees.check_invited(ctx, session, user_id)
            role = Params({"role": typed_role} if typed_role else {}).integer("role")
            await invitees.change(ctx, session, user_id=user_id, role=role, send=False)
            await people.update_person(
                change.conn, change.owner, user_id, names, settings=visit.settings
            )
    except (Missing, Deleted):
        return not_found()
    except (DomainError, BadRequest) as exc:
        return await _refused(visit, session_id, exc, fields)
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="invitee-saved")


@account_page
async def resend_invitation(visit: Visit) -> Response:
    """POST: mail the invitation again, as POST invitee with `send_email_invitation`."""
    session_id, user_id = _ids(visit)
    assert user_id is not None
    if visit.request.method == "GET":
        return await _back(visit, session_id, user_id)
    try:
        async with visit.change() as change:
            session = await sessions.get(change.conn, change.owner, session_id)
            ctx = change.invitees()
            await invitees.change(ctx, session, user_id=user_id, role=None, send=True)
    except (Missing, Deleted):
        return not_found()
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="invitation-sent")


@account_page
async def remove_invitee(visit: Visit) -> Response:
    """POST: withdraw the invitation; whoever entered through its link leaves the room."""
    session_id, user_id = _ids(visit)
    assert user_id is not None
    if visit.request.method == "GET":
        return await _back(visit, session_id, user_id)
    try:
        async with visit.change() as change:
            await service.withdraw_invitee(change, session_id, user_id)
    except (Missing, Deleted):
        return not_found()
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="invitee-removed")
