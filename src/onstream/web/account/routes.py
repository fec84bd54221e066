"""The account center's routes, listed before the pages whose first segment is a login."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from onstream.storage.database import Database
from onstream.web.account import files, recordings
from onstream.web.account.home import home, session_detail
from onstream.web.account.invitees import (
    add_invitee,
    change_invitee,
    remove_invitee,
    resend_invitation,
)
from onstream.web.account.sessions import delete_session, edit_session, new_session
from onstream.web.account.settings import settings_page
from onstream.web.account.signing import sign_in_page, sign_out
from onstream.web.email_confirmation import EmailConfirmationPage
from onstream.web.rendering import render

BOTH = ["GET", "POST"]
SESSION = "/account/sessions/{session_id:int}"
INVITEE = SESSION + "/invitees/{user_id:int}"


async def front(_request: Request) -> Response:
    """The server's root has no page of its own: a person who types the bare address is
    taken to their account (its sign-in page when not signed in)."""
    return RedirectResponse("/account", status_code=303)


async def nowhere(_request: Request) -> Response:
    """Any other path under /account: a 404 page (not the join pages' "no session" one)."""
    return render("account/missing.html", status=404)


def account_routes(database: Database) -> list[BaseRoute]:
    """Every page of `/account`, and `/` leading there; the page that confirms a new address
    (`web.email_confirmation`) needs no sign-in, the link's token alone decides."""
    return [
        Route("/", front, methods=["GET"]),
        Route("/account", home, methods=["GET"]),
        Route("/account/sign-in", sign_in_page, methods=BOTH),
        Route("/account/sign-out", sign_out, methods=["POST"]),
        Route("/account/settings", settings_page, methods=BOTH),
        Route("/account/sessions/new", new_session, methods=BOTH),
        Route("/account/sessions/{session_id:int}", session_detail, methods=["GET"]),
        Route(f"{SESSION}/edit", edit_session, methods=BOTH),
        Route(f"{SESSION}/delete", delete_session, methods=BOTH),
        Route(f"{SESSION}/invitees", add_invitee, methods=BOTH),
        Route(f"{INVITEE}", change_invitee, methods=BOTH),
        Route(f"{INVITEE}/resend", resend_invitation, methods=BOTH),
        Route(f"{INVITEE}/remove", remove_invitee, methods=BOTH),
        Route("/account/files", files.library, methods=["GET"]),
        Route("/account/files", files.upload, methods=["POST"]),
        Route("/account/files/{file_id:int}", files.file_page, methods=["GET"]),
        Route("/account/files/{file_id:int}/share", files.share, methods=["POST"]),
        Route("/account/files/{file_id:int}/unshare", files.unshare, methods=["POST"]),
        Route("/account/files/{file_id:int}/delete", files.delete, methods=BOTH),
        Route("/account/recordings", recordings.listing, methods=["GET"]),
        Route("/account/recordings/{recording_id:int}", recordings.recording_page, methods=BOTH),
        Route("/account/recordings/{recording_id:int}/delete", recordings.delete, methods=BOTH),
        EmailConfirmationPage(database).route(),
        Route("/account/{rest:path}", nowhere, methods=["GET", "POST"]),
    ]
