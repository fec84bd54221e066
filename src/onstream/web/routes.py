"""The pages behind the links the API hands out (CONTRACT §5, §6, §9).

- `/{username}/go/{token}`: an invitee's personal one-click link. GET shows the session and
  a "Join now" button; POST lets them in, asking for nothing: the token is their credential.
- `/{username}/{key}`: the session's public join page (`key` is the friendly URL or the
  session key). GET asks for a name, and for the passcode when the session has one; POST
  checks them and lets the visitor in.

Joining creates no server state (there is no meeting service behind the room page yet), so
the forms need no CSRF token; framing is forbidden instead, against click-jacking. Every
page reads in a read-only transaction and writes nothing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from onstream.config import Settings
from onstream.invitees.service import ROLE_NAMES
from onstream.storage.database import Database, transaction
from onstream.users.service import RESERVED_LOGINS
from onstream.web import gates, queries
from onstream.web.forms import read_form
from onstream.web.pages import meeting_context, not_found
from onstream.web.rendering import render

JOIN_WORDING = gates.Wording(
    missing="Please enter the session's passcode.",
    wrong="That passcode is not right. Check your invitation and try again.",
    no_name="Please enter your name, so the others know who joined.",
    name_label="Your name",
)
TOO_LARGE = "The form was too large. Please fill it in again."
PUBLIC_ROLE = "participant"
"""The role of someone who joins through the public link rather than an invitation."""


class AccountRoute(Route):
    """A route whose first segment is an account's login.

    It never matches a reserved first segment (`api`, `play`, `static`, ...), so the
    server's own paths keep their routes wherever these routes stand in the list.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's matching, minus paths whose username is a reserved word."""
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            username = str(child_scope["path_params"].get("username", ""))
            if username.lower() in RESERVED_LOGINS:
                return Match.NONE, {}
        return match, child_scope


def web_routes(database: Database, settings: Settings) -> list[BaseRoute]:
    """The web pages' routes; `create_app` lists them after the API's own routes.

    `settings` is taken so page options (such as absolute links) can come from the
    configuration later without another change to `create_app`.
    """
    pages = WebPages(database)
    methods = ["GET", "POST"]
    return [
        AccountRoute("/{username}/go/{token}", pages.personal_link, methods=methods),
        AccountRoute("/{username}/{key}", pages.join_page, methods=methods),
    ]


class WebPages:
    """The handlers, sharing the database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def personal_link(self, request: Request) -> Response:
        """GET: the invitation and a "Join now" button. POST: the room, as the invitee."""
        async with transaction(self.database, write=False) as conn:
            invitation = await queries.invitation_by_token(
                conn,
                username=request.path_params["username"],
                token=request.path_params["token"],
            )
        if invitation is None:
            return not_found()
        context = {
            **meeting_context(invitation.meeting),
            "name": invitation.name,
            "role": ROLE_NAMES.get(invitation.role, PUBLIC_ROLE),
        }
        return render("room.html" if request.method == "POST" else "personal.html", context)

    async def join_page(self, request: Request) -> Response:
        """GET: the join form. POST: the room when the name and passcode are right."""
        async with transaction(self.database, write=False) as conn:
            meeting = await queries.meeting_by_key(
                conn, username=request.path_params["username"], key=request.path_params["key"]
            )
        if meeting is None:
            return not_found()
        if request.method != "POST":
            return join_form(meeting, name="", errors=[])
        form = await read_form(request)
        if form is None:
            return join_form(meeting, name="", errors=[TOO_LARGE], status=413)
        name = form.get("name", "").strip()
        status, errors = gates.check(
            secret=meeting.password,
            given=form.get("passcode"),
            name=name,
            name_required=True,
            wording=JOIN_WORDING,
        )
        if errors:
            return join_form(meeting, name=name[: gates.NAME_MAX], errors=errors, status=status)
        return render("room.html", {**meeting_context(meeting), "name": name, "role": PUBLIC_ROLE})


def join_form(
    meeting: queries.Meeting, *, name: str, errors: list[str], status: int = 200
) -> Response:
    """The join page, with what the visitor typed and what was wrong with it."""
    context = {
        **meeting_context(meeting),
        "asks_passcode": meeting.password is not None,
        "name": name,
        "errors": errors,
    }
    return render("join.html", context, status=status)
