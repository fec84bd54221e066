"""The account center's routes, listed before the pages whose first segment is a login."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from onstream.web.account.home import home, session_detail
from onstream.web.account.settings import settings_page
from onstream.web.account.signing import sign_in_page, sign_out

BOTH = ["GET", "POST"]


def account_routes() -> list[BaseRoute]:
    """Every page of `/account`."""
    return [
        Route("/account", home, methods=["GET"]),
        Route("/account/sign-in", sign_in_page, methods=BOTH),
        Route("/account/sign-out", sign_out, methods=["POST"]),
        Route("/account/settings", settings_page, methods=BOTH),
        Route("/account/sessions/{session_id:int}", session_detail, methods=["GET"]),
    ]
