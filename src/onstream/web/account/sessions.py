"""`/account/sessions/new`, `.../{id}/edit` and `.../{id}/delete`: a session's own forms.

They call `scheduling.service`, as PUT, POST and DELETE session do: the same rules, the same
mail to invitees, the same effects on the meeting room, in one transaction per form.
"""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from onstream import timezones, zone_names
from onstream.clock import utcnow
from onstream.errors import Deleted, DomainError, Missing, Taken
from onstream.protocol.errors import BadRequest
from onstream.scheduling import series as recurring
from onstream.scheduling import service
from onstream.sessions import rules
from onstream.sessions import service as sessions
from onstream.web.account import series, session_form
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.account.home import local_time
from onstream.web.account.session_form import Values
from onstream.web.pages import duration, not_found
from onstream.web.rendering import SCRIPT_CSP, ZONE_ALIASES

TEMPLATE = "account/session_form.html"
CONFIRM_FIELDS = frozenset({"csrf", "past", "past_send"})
"""The confirm step's own fields, never carried into its hidden copy of the form."""


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
        "repeats": series.REPEATS,
    }
    return visit.render(TEMPLATE, context, errors=errors, status=status, csp=SCRIPT_CSP)


def _refused(exc: DomainError | BadRequest, fields: dict[str, str]) -> tuple[dict[str, str], int]:
    return errors_for(exc, fields), 409 if isinstance(exc, Taken) else 400


def _ask_past(visit: Visit, *, action: str, editing: bool, end: datetime) -> Response:
    """The confirm step before a session in the past is written: the form's fields ride
    along hidden, "anyway" writes it (mailing nobody unless the box is ticked), "change"
    shows the form again. Plain forms: it works without JavaScript."""
    local = timezones.local_time(end, visit.account.timezone, visit.account.dst)
    context = {
        "action": action,
        "editing": editing,
        "ended": local.long_text,
        "hidden": [(k, v) for k, v in visit.form.items() if k not in CONFIRM_FIELDS],
    }
    return visit.render("account/past_question.html", context)


def _in_past(end: datetime) -> bool:
    return end <= utcnow()


@account_page
async def new_session(visit: Visit) -> Response:
    """GET: an empty form on the account's clock; POST: create the session and invite. A
    session that would have ended already is asked about first (`_ask_past`); created
    anyway, its invitees are mailed only when the organiser ticked that they want it."""
    if visit.request.method == "GET":
        return _form(visit, session_form.blank(visit.account), session_id=None)
    values = session_form.typed(visit.form, with_invitees=True)
    fields = session_form.field_names(values)
    answer = visit.form.get("past", "")
    if answer == "change":
        return _form(visit, values, session_id=None)
    try:
        data, entries = session_form.to_input(values)
        rule = series.repeat_rule(visit.form)
        if rule is not None:
            async with visit.change() as change:
                repeating = series.with_rule(data, rule)
                made, _ = await recurring.create_series(change, repeating, entries)
            return visit.redirect(f"{PATH}/series/{made}", flash="series-created")
        new = service.new_session(visit.account, data, entries)
        end = rules.end_utc(new.values["start_utc"], new.values["duration"])
        if _in_past(end):
            if answer != "anyway":
                return _ask_past(visit, action=f"{PATH}/sessions/new", editing=False, end=end)
            if visit.form.get("past_send") != "1":
                for row in values["invitees"]:
                    row["send"] = False
                data, entries = session_form.to_input(values)
                new = service.new_session(visit.account, data, entries)
        async with visit.change() as change:
            session_id = await service.insert_session(change, new)
    except (DomainError, BadRequest) as exc:
        errors, status = _refused(exc, {**fields, **series.FIELDS})
        return _form(visit, values, session_id=None, errors=errors, status=status)
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="session-created")


@account_page
async def edit_session(visit: Visit) -> Response:
    """GET: the session's fields; POST: change what was changed (invitees already mailed
    hear of a new topic, time or length, as after POST session). A move into the past is
    asked about first, and tells the invitees only when the organiser ticked that."""
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
    answer = visit.form.get("past", "")
    if answer == "change":
        return _form(visit, values, session_id=session_id)
    notify = True
    try:
        data, entries = session_form.to_input(values, before)
        end = sessions.planned_end(visit.account, data, session)
        if data.start_time is not None and _in_past(end):
            if answer != "anyway":
                action = f"{PATH}/sessions/{session_id}/edit"
                return _ask_past(visit, action=action, editing=True, end=end)
            notify = visit.form.get("past_send") == "1"
        async with visit.change() as change:
            await service.update_session(change, session_id, data, entries, notify=notify)
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
