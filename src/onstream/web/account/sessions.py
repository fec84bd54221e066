"""`/account/sessions/new`, `.../{id}/edit` and `.../{id}/delete`: a session's own forms.

They call `scheduling.service`, as PUT, POST and DELETE session do: the same rules, the same
mail to invitees, the same effects on the meeting room, in one transaction per form.
"""

from __future__ import annotations

from starlette.responses import Response

from onstream import zone_names
from onstream.errors import Deleted, DomainError, Missing, Taken
from onstream.protocol.errors import BadRequest
from onstream.scheduling import service
from onstream.sessions import service as sessions
from onstream.web.account import session_form
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.account.home import local_time
from onstream.web.account.session_form import Values
from onstream.web.pages import duration, not_found
from onstream.web.rendering import SCRIPT_CSP, ZONE_ALIASES

TEMPLATE = "account/session_form.html"


def _form(
    visit: Visit,
    values: Values,
    *,
    session_id: int | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "values": values,
        "session_id": session_id,
        "zone_names": zone_names.offered(),
        "zone_aliases": ZONE_ALIASES,
        "custom_rows": session_form.custom_rows(values),
        "roles": session_form.ROLES,
    }
    return visit.render(TEMPLATE, context, errors=errors, status=status, csp=SCRIPT_CSP)


def _refused(exc: DomainError | BadRequest, fields: dict[str, str]) -> tuple[dict[str, str], int]:
    return errors_for(exc, fields), 409 if isinstance(exc, Taken) else 400


@account_page
async def new_session(visit: Visit) -> Response:
    """GET: an empty form on the account's clock; POST: create the session and invite."""
    if visit.request.method == "GET":
        return _form(visit, session_form.blank(visit.account), session_id=None)
    values = session_form.typed(visit.form, with_invitees=True)
    fields = session_form.field_names(values)
    try:
        data, entries = session_form.to_input(values)
        async with visit.change() as change:
            session_id = await service.create_session(change, data, entries)
    except (DomainError, BadRequest) as exc:
        errors, status = _refused(exc, fields)
        return _form(visit, values, session_id=None, errors=errors, status=status)
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="session-created")


@account_page
async def edit_session(visit: Visit) -> Response:
    """GET: the session's fields; POST: change what was changed (invitees already mailed
    hear of a new topic, time or length, as after POST session)."""
    session_id = visit.request.path_params["session_id"]
    async with visit.transaction(write=False) as conn:
        try:
            session = await sessions.get(conn, visit.account, session_id)
        except (Missing, Deleted):
            return not_found()
    before = session_form.of_session(session, visit.account)
    if visit.request.method == "GET":
        return _form(visit, before, session_id=session_id)
    values = session_form.typed(visit.form, with_invitees=False)
    fields = session_form.field_names(values)
    try:
        data, entries = session_form.to_input(values, before)
        async with visit.change() as change:
            await service.update_session(change, session_id, data, entries)
    except (Missing, Deleted):
        return not_found()
    except (DomainError, BadRequest) as exc:
        errors, status = _refused(exc, fields)
        return _form(visit, values, session_id=session_id, errors=errors, status=status)
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="session-saved")


@account_page
async def delete_session(visit: Visit) -> Response:
    """GET: ask to confirm; POST: delete (the room closes, mailed invitees get a
    cancellation, as after DELETE session)."""
    session_id = visit.request.path_params["session_id"]
    try:
        if visit.request.method == "GET":
            async with visit.transaction(write=False) as conn:
                session = await sessions.get(conn, visit.account, session_id)
            context = {
                "session": session,
                "when": local_time(session, visit.account),
                "length": duration(session.duration),
            }
            return visit.render("account/delete_session.html", context)
        async with visit.change() as change:
            await service.delete_session(change, session_id)
    except (Missing, Deleted):
        return not_found()
    return visit.redirect(PATH, flash="session-deleted")
