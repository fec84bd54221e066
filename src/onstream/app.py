"""The ASGI application: routes, the database, authentication and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from onstream import logs
from onstream.accounts import Account
from onstream.apidocs.routes import docs_routes
from onstream.clock import utcnow
from onstream.config import Settings, load_settings
from onstream.logs import RequestContext
from onstream.mail.selection import sender_for
from onstream.mail.sender import Sender
from onstream.media.selection import store_for
from onstream.media.store import MediaStore
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms
from onstream.metrics import MetricsMiddleware
from onstream.monitoring.probes import probe_routes
from onstream.protocol.endpoint import ApiEndpoint, Authenticate
from onstream.routes import RESOURCES
from onstream.services import Services
from onstream.storage.database import Database, open_database, transaction
from onstream.throttle import Throttle
from onstream.users import repository
from onstream.users.authentication import Authenticator, CredentialCache
from onstream.users.digest_store import DigestStore
from onstream.users.password_checks import PasswordChecks
from onstream.web.account.routes import account_routes
from onstream.web.assets import asset_routes
from onstream.web.downloads import download_routes
from onstream.web.playback import playback_routes
from onstream.web.relay import JanusRelay
from onstream.web.routes import web_routes
from onstream.web.slashes import SlashRedirect
from onstream.workers import build_workers

API_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]

log = logging.getLogger("onstream")


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    authenticate: Authenticate[Account] | None = None,
    media: MediaStore | None = None,
    sender: Sender | None = None,
    rooms: JanusRooms | None = None,
    password_checks: PasswordChecks | None = None,
) -> Starlette:
    """Build the application for these settings; the schema must already be migrated.

    Every collaborator has a default made from the settings; tests and the bench pass their
    own (a trusting `authenticate`, a mail `sender` that records, another media store, a
    pool of password checks they can fill).
    """
    database = database or open_database(settings.database_url)
    cache = CredentialCache(
        ttl=settings.auth_cache_seconds, max_entries=settings.auth_cache_entries
    )
    throttle = Throttle(settings)
    password_checks = password_checks or PasswordChecks()
    digest_store = DigestStore(
        database, redis_url=settings.redis_url, prefix=settings.rate_limit_prefix
    )
    authenticator = _authenticator(database, cache, throttle, digest_store, password_checks)
    rooms = rooms or JanusRooms(settings)
    changes = RoomChanges(rooms)
    relay = JanusRelay(rooms, database=database)
    media = media or store_for(settings)
    background = build_workers(
        settings,
        database=database,
        sender=sender or sender_for(settings),
        mail=settings.mail_worker,
        store=media if settings.recording_worker else None,
        rooms=(rooms, changes) if rooms.available else None,
    )
    services = Services(
        media=media,
        mail=background.mail,
        credentials=cache,
        rooms=changes,
        database=database,
        settings=settings,
        throttle=throttle,
        password_checks=password_checks,
    )
    endpoint = ApiEndpoint(
        settings=settings,
        database=database,
        authenticate=authenticate or authenticator.authenticate_request,
        resources=RESOURCES,
        services=services,
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        background.running.start()
        yield
        background.running.stop()  # an encode in hand is killed, its job goes back to the queue
        await background.running.join()
        await relay.aclose()
        await rooms.aclose()
        authenticator.close()
        await digest_store.aclose()
        await throttle.aclose()
        await database.dispose()

    routes = [
        *docs_routes(RESOURCES, base_url=settings.public_base_url),
        Route("/api/{rest:path}", endpoint.handle, methods=API_METHODS),
        *probe_routes(database, settings, rooms=rooms),
        *playback_routes(
            database=database, settings=settings, store=services.media, throttle=throttle
        ),
        *download_routes(database=database, store=services.media),
        *asset_routes(),
        *account_routes(services),
        # last: `/{username}/...` catches the rest
        *web_routes(database, settings, rooms, relay, changes=changes, throttle=throttle),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ClientDisconnect: client_disconnected},
        middleware=[Middleware(RequestContext), Middleware(MetricsMiddleware)],
    )
    SlashRedirect.install(app.router, base_url=settings.public_base_url)
    return app


def _authenticator(
    database: Database,
    cache: CredentialCache,
    throttle: Throttle,
    digest_store: DigestStore,
    password_checks: PasswordChecks,
) -> Authenticator:
    """Basic credentials checked against the accounts in this database."""

    async def load_account(login: str) -> Account | None:
        async with transaction(database, write=False) as conn:
            return await repository.account_by_login(conn, login)

    async def load_epoch() -> int:
        async with transaction(database, write=False) as conn:
            return await repository.credential_epoch_value(conn)

    async def load_token(login: str, digest: str) -> tuple[Account, float | None] | None:
        now = utcnow()
        async with transaction(database, write=False) as conn:
            found = await repository.account_by_token(conn, login=login, token_hash=digest, now=now)
        if found is None:
            return None
        # Written once per verification, not per request (hits are answered by the cache),
        # so "last used" is exact to within ONSTREAM_AUTH_CACHE_SECONDS.
        async with transaction(database, write=True) as conn:
            await repository.touch_token(conn, token_hash=digest, now=now)
        account, expires_at = found
        return account, (expires_at - now).total_seconds() if expires_at else None

    return Authenticator(
        cache=cache,
        load_account=load_account,
        load_epoch=load_epoch,
        load_token=load_token,
        throttle=throttle,
        digest_store=digest_store,
        password_checks=password_checks,
    )


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` and for worker processes: settings from the environment."""
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)  # a worker process of its own
    return create_app(settings)


async def client_disconnected(request: Request, exc: Exception) -> Response:
    """A page's client left before its body arrived (or was too slow and got 408): nobody
    reads this answer, and no error is logged for it."""
    log.info("%s %s: the client closed the connection", request.method, request.url.path)
    return PlainTextResponse("The request body did not arrive", status_code=400)
