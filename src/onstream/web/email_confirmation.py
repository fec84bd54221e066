"""The page behind the link that confirms an account's new e-mail address (CONTRACT §6a).

`/account/email/{token}`: GET shows the address and a "Confirm" button and changes nothing,
because mail scanners and link previews fetch every link in a message; POST confirms. The
token alone is the credential (256 random bits, mailed to the address it confirms), so the
page asks for no login and needs no CSRF token: a forged POST must already know the token,
and all it can do is what the link's recipient was asked to do. Nothing from the form is
read: the token decides which account and which address.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from onstream.storage.database import Database, transaction
from onstream.users import email_confirmation
from onstream.users.email_confirmation import Link, LinkState
from onstream.web.rendering import render

TOKEN_MAX = 128
"""Tokens are 43 characters; anything much longer is no token of ours."""
STATUS = {
    LinkState.VALID: 200,
    LinkState.CONFIRMED: 200,
    LinkState.UNKNOWN: 404,
    LinkState.EXPIRED: 410,
    LinkState.USED: 410,
}


class EmailConfirmationPage:
    """The handler, with the database it confirms in."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def route(self) -> Route:
        """Its route; `account` is a reserved login, so no account's pages shadow it."""
        return Route("/account/email/{token}", self.page, methods=["GET", "POST"])

    async def page(self, request: Request) -> Response:
        """GET: what the link would do. POST: do it."""
        token = str(request.path_params["token"])
        if len(token) > TOKEN_MAX:
            return confirmation_page(Link(LinkState.UNKNOWN))
        if request.method == "POST":
            async with transaction(self.database, write=True) as conn:
                link = await email_confirmation.confirm(conn, token)
        else:
            async with transaction(self.database, write=False) as conn:
                link = await email_confirmation.look(conn, token)
        return confirmation_page(link)


def confirmation_page(link: Link) -> HTMLResponse:
    """The page for a link in this state, with a status that says the same."""
    context = {"state": link.state.value, "email": link.email, "login": link.login}
    return render("email_confirmation.html", context, status=STATUS[link.state])
