"""The account center's routes, listed before the pages whose first segment is a login."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from onstream.services import Services
from onstream.web.account import deliveries, files, recordings, series, tokens, webhooks
from onstream.web.account.framework import GuestPage, Page
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
WEBHOOK = "/account/webhooks/{webhook_id:int}"


async def front(_request: Request) -> Response:
    """The server's root has no page of its own: a person who types the bare address is
    taken to their account (its sign-in page when not signed in)."""
    return RedirectResponse("/account", status_code=303)


async def nowhere(_request: Request) -> Response:
    """Any other path under /account: a 404 page (not the join pages' "no session" one)."""
    return render("account/missing.html", status=404)


def account_routes(services: Services) -> list[BaseRoute]:
    """Every page of `/account`, and `/` leading there, each bound to the application's
    services; the page that confirms a new address (`web.email_confirmation`) needs no
    sign-in, the link's token alone decides."""

    def page(path: str, handler: Page | GuestPage, methods: list[str]) -> Route:
        return Route(path, handler.bind(services), methods=methods)

    return [
        Route("/", front, methods=["GET"]),
        page("/account", home, ["GET"]),
        page("/account/sign-in", sign_in_page, BOTH),
        page("/account/sign-out", sign_out, ["POST"]),
        page("/account/settings", settings_page, BOTH),
        page("/account/sessions/new", new_session, BOTH),
        page("/account/sessions/{session_id:int}", session_detail, ["GET"]),
        page(f"{SESSION}/edit", edit_session, BOTH),
        page(f"{SESSION}/delete", delete_session, BOTH),
        page(f"{SESSION}/invitees", add_invitee, BOTH),
        page(f"{INVITEE}", change_invitee, BOTH),
        page(f"{INVITEE}/resend", resend_invitation, BOTH),
        page(f"{INVITEE}/remove", remove_invitee, BOTH),
        page(f"{SESSION}/mail/{{message_id:int}}/send-again", deliveries.send_again, BOTH),
        page("/account/files", files.library, ["GET"]),
        page("/account/files", files.upload, ["POST"]),
        page("/account/files/{file_id:int}", files.file_page, ["GET"]),
        page("/account/files/{file_id:int}/share", files.share, ["POST"]),
        page("/account/files/{file_id:int}/unshare", files.unshare, ["POST"]),
        page("/account/files/{file_id:int}/delete", files.delete, BOTH),
        page("/account/recordings", recordings.listing, ["GET"]),
        page("/account/recordings/{recording_id:int}", recordings.recording_page, BOTH),
        page("/account/recordings/{recording_id:int}/delete", recordings.delete, BOTH),
        page("/account/recordings/jobs/{job_id:int}/retry", recordings.retry_job, ["POST"]),
        page("/account/tokens", tokens.token_list, BOTH),
        page("/account/tokens/revoke", tokens.revoke, ["POST"]),
        page("/account/webhooks", webhooks.webhook_list, BOTH),
        page("/account/webhooks/{webhook_id:int}", webhooks.webhook_page, BOTH),
        page("/account/webhooks/{webhook_id:int}/delete", webhooks.delete, BOTH),
        page(f"{WEBHOOK}/deliveries/{{delivery_id:int}}/redeliver", webhooks.redeliver, ["POST"]),
        page("/account/series", series.series_list, ["GET"]),
        page("/account/series/{series_id:int}", series.series_page, BOTH),
        page("/account/series/{series_id:int}/cancel", series.cancel, ["POST"]),
        EmailConfirmationPage(services.database).route(),
        Route("/account/{rest:path}", nowhere, methods=["GET", "POST"]),
    ]
