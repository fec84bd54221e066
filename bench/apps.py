"""ASGI apps that exist only for the benchmark, served by uvicorn like `onstream serve`.

`baseline`: B, the goals' baseline: a bare ASGI app answering every request with a small
orjson body.
`auth_off`: the real application from `onstream.app.create_app`, with its authenticator
replaced by one that trusts the login in the URL (bench only: it lets anyone in).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import HTTPConnection

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY = orjson.dumps({"ok": True})
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def _baseline(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def baseline() -> ASGIApp:
    """Factory for `uvicorn --factory bench.apps:baseline`."""
    return _baseline


def auth_off() -> Starlette:
    """Factory for `uvicorn --factory bench.apps:auth_off`: the server with no password check.

    onstream is imported here, not at the top, so that the baseline's processes stay bare.
    """
    from onstream.accounts import Account
    from onstream.app import create_app
    from onstream.config import load_settings
    from onstream.protocol.errors import Unauthorized
    from onstream.storage.database import open_database, transaction
    from onstream.users import repository

    settings = load_settings()
    database = open_database(settings.database_url)
    accounts: dict[str, Account] = {}

    async def trusting(_request: HTTPConnection, url_login: str) -> Account:
        """The account the URL names, without looking at the credentials."""
        account = accounts.get(url_login)
        if account is None:
            async with transaction(database, write=False) as conn:
                account = await repository.account_by_login(conn, url_login)
            if account is None:
                raise Unauthorized("Wrong login or password")
            accounts[url_login] = account
        return account

    return create_app(settings, database=database, authenticate=trusting)
