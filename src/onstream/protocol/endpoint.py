"""The API endpoint: URL → format → account → resource → parameters → handler → document.

Every API request passes through `ApiEndpoint.handle`. The request owns the transaction:
the handler runs inside one, which commits when the handler returns and rolls back when it
raises, so a refused request changes nothing. A `Staged` handler's slow first step runs
before the transaction and is undone when it rolls back; `Call.after_commit` work runs only
after a commit.

This layer knows no resource and no account: the route table, an `Authenticate` callable
and the application's services object are handed to it.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.protocol import idempotency
from onstream.protocol.bodies import MULTIPART_MARGIN_BYTES, close_uploads, read_body_params
from onstream.protocol.errors import Forbidden, MethodNotAllowed, NotFound, UnknownFormat
from onstream.protocol.formats import FORMATS, Format, format_from_accept, get_format
from onstream.protocol.listing import list_headers
from onstream.protocol.mistakes import (
    is_strict,
    query_ignored,
    tell_unread,
    unread_names,
    warning_headers,
)
from onstream.protocol.params import Params, merge_params
from onstream.protocol.resources import (
    Call,
    Handler,
    Intake,
    Reply,
    Resource,
    Staged,
)
from onstream.protocol.respond import DEFAULT_FORMAT, as_api_error, render, render_error
from onstream.protocol.urls import ApiPath, format_hint, parse_api_path
from onstream.protocol.values import Value
from onstream.storage.connection import Database, transaction
from onstream.storage.unit_of_work import run_after_commit


class Caller(Protocol):
    """What the endpoint needs to know of an authenticated account: whether its credentials
    may write (a read-only API token may not), and its id (whose `Idempotency-Key`s)."""

    @property
    def id(self) -> int: ...

    @property
    def read_only(self) -> bool: ...


A = TypeVar("A", bound=Caller)
S = TypeVar("S")

log = logging.getLogger("onstream")

Authenticate = Callable[[Request, str], Awaitable[A]]
"""(the request, login the URL names) → the account, or raise `Unauthorized` (or another
`ApiError`: `TooManyRequests`, `Busy`). It gets the request, not only its `Authorization`
header, so that it can tell clients apart by address."""

FORMAT_NAMES = frozenset(FORMATS)
READ_METHODS = frozenset({"GET", "HEAD"})


class ApiEndpoint(Generic[A, S]):
    """The ASGI endpoint behind `/api/...`, configured with the route table."""

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        authenticate: Authenticate[A],
        resources: Mapping[str, Resource],
        services: S,
    ) -> None:
        self.settings = settings
        self.database = database
        self.authenticate = authenticate
        self.resources = resources
        self.services = services
        self._purged_at: float | None = None
        """When this process last purged expired idempotency keys (monotonic seconds)."""

    async def handle(self, request: Request) -> Response:
        """Answer one API request; every failure becomes an error document."""
        fmt: Format | None = None
        try:
            raw = request.scope["raw_path"].decode("latin-1").removeprefix("/api/")
            fmt = _known_format(_early_format_name(raw, request))
            path = parse_api_path(raw, formats=FORMAT_NAMES)
            return await self._handle(request, path)
        except Exception as exc:  # noqa: BLE001  # the one place every failure is rendered
            return render_error(
                exc,
                fmt,
                context=f"{request.method} {request.url.path}",
                request_id=request.scope.get("onstream.request_id"),
            )

    async def _handle(self, request: Request, path: ApiPath) -> Response:
        resource = self.resources.get(path.resource)
        if resource is None:
            raise NotFound(_unknown_resource(path.resource, self.resources))
        # The metrics label requests by resource, never by raw URL (`onstream.metrics`).
        request.scope["onstream.resource"] = path.resource
        account = await self.authenticate(request, path.username)
        method = "GET" if request.method == "HEAD" else request.method
        handler = resource.methods.get(method)
        if handler is None:
            raise MethodNotAllowed(method, path.resource, resource.allowed)
        if account.read_only and method not in READ_METHODS:
            raise Forbidden(
                f"This API token is read-only; {method} needs the password or a full token"
            )
        key = idempotency.key_of(request.headers, method)
        body = None
        if method not in READ_METHODS:
            body = await read_body_params(request, max_body=self._body_limit(request))
        try:
            keyed = None
            if key is not None:
                raw_path = request.scope["raw_path"].decode("latin-1")
                query = request.scope.get("query_string", b"").decode("latin-1")
                full = f"{raw_path}?{query}" if query else raw_path
                digest = await idempotency.request_hash(method, full, body)
                keyed = idempotency.Keyed(account.id, key, digest)
                await self._purge_keys()
                async with transaction(self.database, write=False) as conn:
                    stored = await idempotency.find(conn, keyed, now=utcnow())
                if stored is not None:
                    return idempotency.replay(stored, keyed)
            try:
                return await self._run(handler, request, path, account, body, keyed)
            except idempotency.Recorded as recorded:
                assert keyed is not None  # only a keyed request claims
                return idempotency.replay(recorded.stored, keyed)
        finally:
            if body:
                await close_uploads(body)

    async def _purge_keys(self) -> None:
        """Forget expired idempotency keys, at most once a minute per process."""
        now = time.monotonic()
        if self._purged_at is not None and now - self._purged_at < idempotency.PURGE_EVERY_SECONDS:
            return
        self._purged_at = now
        async with transaction(self.database, write=True) as conn:
            await idempotency.purge(conn, now=utcnow())

    def _body_limit(self, request: Request) -> int:
        """`max_body_bytes`, or for a multipart body (a file upload) the upload limit plus
        room for the other fields: uploads have their own, usually larger, limit, which the
        resource checks per file. starlette spools multipart files to disk, so a big limit
        costs no memory."""
        limit = self.settings.max_body_bytes
        if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            limit = max(limit, self.settings.upload_max_bytes + MULTIPART_MARGIN_BYTES)
        return limit

    async def _run(
        self,
        handler: Handler | Staged[Any],
        request: Request,
        path: ApiPath,
        account: A,
        body: dict[str, Value] | None,
        keyed: idempotency.Keyed | None = None,
    ) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        merged = merge_params(
            segments=path.segments, query=request.query_params, body=body, method=method
        )
        fmt = get_format(_format_name(path, request, body).lower())
        api_root = f"/api/{path.version}/{path.username}"
        params = Params(merged)
        run = _Run(
            account=account,
            params=params,
            api_root=api_root,
            method=method,
            strict=is_strict(params, request.headers, request.query_params),
            format=fmt.name,
            keyed=keyed,
        )
        ignored_query = (
            []
            if method in READ_METHODS
            else query_ignored(request.query_params, method=method, strict=run.strict)
        )

        def respond(reply: Reply) -> Response:
            headers = warning_headers(run.unread, query=ignored_query)
            if reply.listed is not None:
                raw_path = request.scope["raw_path"].decode("latin-1")
                headers |= list_headers(reply.listed, path=raw_path, query=request.query_params)
            return _respond(reply, fmt, api_root, headers)

        run.respond = respond
        try:
            call, response = await self._call(handler, run)
        except idempotency.Recorded:
            raise
        except Exception as exc:  # told, then rendered by `handle`
            # a refused call names what it ignored too: `start_tme` beside "start_time is
            # required" is the answer
            error = tell_unread(as_api_error(exc, context=f"{method} {request.url.path}"), params)
            if error is exc:
                raise
            raise error from exc
        # here, outside `_call`: a staged handler's undo must never follow a commit
        await run_after_commit(call.after_commit)
        return response

    async def _call(
        self, handler: Handler | Staged[Any], run: _Run[A]
    ) -> tuple[Call[A, S], Response]:
        """The handler in its transaction; a staged one's first step before it."""
        if not isinstance(handler, Staged):
            return await self._transact(handler, run)
        intake = Intake(
            params=run.params, settings=self.settings, services=self.services, account=run.account
        )
        prepared = await handler.prepare(intake)
        try:
            return await self._transact(lambda c: handler.run(c, prepared), run)
        except BaseException:
            await handler.undo(intake, prepared)
            raise

    async def _transact(self, handler: Handler, run: _Run[A]) -> tuple[Call[A, S], Response]:
        """Run the handler in the request's one transaction. Parameters nothing read are
        checked inside it, so that a strict refusal rolls the handler's writes back; a keyed
        request claims its key first and records its answer last, in the same transaction."""
        async with transaction(self.database, write=run.method != "GET") as conn:
            if run.keyed is not None:
                await idempotency.claim(conn, run.keyed, now=utcnow())
            call = Call(
                account=run.account,
                params=run.params,
                conn=conn,
                settings=self.settings,
                api_root=run.api_root,
                services=self.services,
                format=run.format,
            )
            reply = await handler(call)
            run.unread = unread_names(run.params, strict=run.strict)
            response = run.respond(reply)
            if run.keyed is not None:
                await idempotency.record(conn, run.keyed, response)
        return call, response


@dataclass(slots=True)
class _Run(Generic[A]):
    """What one request's handler runs with, and the parameters it left unread."""

    account: A
    params: Params
    api_root: str
    method: str
    strict: bool
    format: str = "xml"
    keyed: idempotency.Keyed | None = None
    unread: list[str] = field(default_factory=list)
    respond: Callable[[Reply], Response] = field(default=lambda reply: _unset(reply))


def _respond(reply: Reply, fmt: Format, api_root: str, headers: dict[str, str]) -> Response:
    headers = {**(reply.headers or {}), **headers}
    if reply.location:
        absolute = reply.location.startswith("/")
        headers["location"] = reply.location if absolute else f"{api_root}/{reply.location}"
    if fmt.own:
        if reply.body is None:
            raise UnknownFormat(f"This call does not answer in the {fmt.name} format")
        headers["content-type"] = fmt.content_type
        return Response(reply.body, status_code=reply.status, headers=headers)
    return render(reply.document, fmt, status=reply.status, headers=headers)


def _early_format_name(raw: str, request: Request) -> str | None:
    """The format from the URL, query or Accept header, before the body has been read (and
    before the path is known to be well-formed)."""
    return (
        format_hint(raw, formats=FORMAT_NAMES)
        or request.query_params.get("format")
        or format_from_accept(request.headers.get("accept"))
    )


def _format_name(path: ApiPath, request: Request, body: Mapping[str, object] | None) -> str:
    """The requested format: URL segment or suffix, `format` parameter, Accept, default."""
    from_body = body.get("format") if body else None
    return (
        path.segments.get("format")
        or path.suffix_format
        or (from_body if isinstance(from_body, str) else None)
        or request.query_params.get("format")
        or format_from_accept(request.headers.get("accept"))
        or DEFAULT_FORMAT.name
    )


def _unknown_resource(name: str, resources: Mapping[str, Resource]) -> str:
    """`Unknown resource 'sesions' (did you mean 'sessions'?); resources: ...`."""
    close = difflib.get_close_matches(name, resources, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"Unknown resource '{name}'{hint}; resources: {', '.join(resources)}"


def _known_format(name: str | None) -> Format | None:
    return FORMATS.get(name.lower()) if name else None


def _unset(reply: Reply) -> Response:
    raise AssertionError("the run's respond was not set")
