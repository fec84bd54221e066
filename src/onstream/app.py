"""The ASGI application: routes, the database, authentication and error handling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from onstream.config import Settings, load_settings
from onstream.mail.sender import sender_for
from onstream.mail.worker import DeliveryWorker
from onstream.media.store import SERVICE_NAME as MEDIA_STORE
from onstream.media.store import store_for
from onstream.protocol.auth import Authenticator, CredentialCache
from onstream.protocol.endpoint import ApiEndpoint
from onstream.routes import RESOURCES
from onstream.storage.database import open_database, transaction
from onstream.users import repository
from onstream.users.models import Account
from onstream.web.downloads import download_routes
from onstream.web.playback import playback_routes
from onstream.web.routes import web_routes

API_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]

log = logging.getLogger("onstream")


def create_app(settings: Settings) -> Starlette:
    """Build the application for these settings; the schema must already be migrated."""
    database = open_database(settings.database_url)
    cache = CredentialCache(
        ttl=settings.auth_cache_seconds, max_entries=settings.auth_cache_entries
    )

    async def load_account(login: str) -> Account | None:
        async with transaction(database, write=False) as conn:
            return await repository.account_by_login(conn, login)

    async def load_epoch() -> int:
        async with transaction(database, write=False) as conn:
            return await repository.credential_epoch_value(conn)

    worker = DeliveryWorker(database=database, sender=sender_for(settings), settings=settings)
    store = store_for(settings)
    authenticator = Authenticator(cache=cache, load_account=load_account, load_epoch=load_epoch)
    endpoint = ApiEndpoint(
        settings=settings,
        database=database,
        authenticator=authenticator,
        resources=RESOURCES,
        services={"credential_cache": cache, "mail_worker": worker, MEDIA_STORE: store},
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(worker.run()) if settings.mail_worker else None
        yield
        if task is not None:
            worker.stop()
            await task
        authenticator.close()
        await database.dispose()

    routes = [
        Route("/api/{rest:path}", endpoint.handle, methods=API_METHODS),
        Route("/health", health, methods=["GET"]),
        *playback_routes(database=database, settings=settings, store=store),
        *download_routes(database=database, store=store),
        *web_routes(database, settings),  # last: `/{username}/...` catches what is left
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    return app


async def health(_request: Request) -> Response:
    """Liveness probe for load balancers and the test fixture."""
    return PlainTextResponse("ok")


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` and for worker processes: settings from the environment."""
    return create_app(load_settings())
