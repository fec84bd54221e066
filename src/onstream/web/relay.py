"""`/{login}/room/{secret}/janus/{n}/...`: browsers reach Janus server n through this server.

Janus keeps its API on a private address; the room page talks to this origin only (no CORS,
one public port, the CSP's `connect-src 'self'`). janus.js long-polls `GET .../{session}`
and Janus answers within 30 s, so the relay waits up to 65 s, and gives up on a poll as soon
as the browser is gone. Creating rooms needs Janus's `admin_key`, which only this server
knows, so a browser can join the rooms it was let into and nothing more.

An observer (role 3) only watches, unless a moderator brought them on stage: the relay
refuses their every request to join a room as a publisher (Janus's VideoRoom `join` or
`joinandconfigure` with `ptype` "publisher"), so with no publisher handle they can send
nothing, whatever their page does. (With `ONSTREAM_JANUS_PUBLIC_URLS` browsers reach Janus
directly and only their page keeps observers from publishing: Janus's room tokens say who
may join, not who may publish.)

The relay lives under the room's own address and serves only a live admission: a person
removed from the room, or anybody in a room of a disabled account, gets 404 on their next
call, exactly as for an address that never existed, and their Janus session lapses without
its long poll.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from onstream.meetings import repository
from onstream.meetings.engine import JanusRooms
from onstream.meetings.models import Admission
from onstream.storage.database import Database, transaction
from onstream.web.queries import KEY_MAX

if TYPE_CHECKING:
    import httpx  # imported on the first relayed call (see `onstream.janus.client`)

LONG_POLL_SECONDS = 65.0
BODY_MAX_BYTES = 256 * 1024
"""A Janus message with an SDP is a few KiB; nothing a browser sends is near this."""


OBSERVER_REFUSED = b'{"janus":"error","error":{"code":403,"reason":"an observer does not publish"}}'
PUBLISHER_JOINS = frozenset({"join", "joinandconfigure"})


def publishes(body: bytes) -> bool:
    """Whether a Janus API call asks to join a VideoRoom as a publisher (anything that is
    not plain JSON counts as such: Janus would refuse it anyway)."""
    if not body:
        return False
    try:
        call = json.loads(body)
    except ValueError:
        return True
    if not isinstance(call, dict):
        return True
    message = call.get("body")
    if call.get("janus") != "message" or not isinstance(message, dict):
        return False
    return message.get("request") in PUBLISHER_JOINS and message.get("ptype") == "publisher"


class JanusRelay:
    """Forwards the browser's Janus API calls to the server the path names."""

    def __init__(self, rooms: JanusRooms, *, database: Database) -> None:
        self.rooms = rooms
        self.database = database
        self._http: httpx.AsyncClient | None = None

    async def handle(self, request: Request) -> Response:
        """Forward one request; 404 for a server that is not relayed, 502 when it is down."""
        target = self.rooms.relay_target(int(request.path_params["index"]))
        admission = None if target is None else await self._admitted(request)
        if target is None or admission is None:
            return Response(status_code=404)
        body = await request.body()
        if len(body) > BODY_MAX_BYTES:
            return Response(status_code=413)
        if not admission.publishes and publishes(body):
            return Response(OBSERVER_REFUSED, status_code=403, media_type="application/json")
        path = request.path_params.get("path", "")
        upstream = asyncio.ensure_future(
            self._client().request(
                request.method,
                f"{target}/{path}" if path else target,
                params=request.query_params,
                content=body or None,
                headers={"content-type": "application/json"} if body else None,
            )
        )
        while not upstream.done():
            await asyncio.wait({upstream}, timeout=1.0)
            if not upstream.done() and await request.is_disconnected():
                upstream.cancel()
                return Response(status_code=499)
        import httpx

        try:
            answer = upstream.result()
        except httpx.HTTPError:
            error = b'{"janus":"error","error":{"code":502,"reason":"meeting service unavailable"}}'
            return Response(error, status_code=502, media_type="application/json")
        return Response(
            answer.content, status_code=answer.status_code, media_type="application/json"
        )

    async def _admitted(self, request: Request) -> Admission | None:
        """The live admission the URL names (its account enabled, it not revoked, not a
        guest still waiting to be admitted), else None."""
        secret = str(request.path_params["secret"])
        if not secret or len(secret) > KEY_MAX:
            return None
        async with transaction(self.database, write=False) as conn:
            admission = await repository.admission_by_secret(
                conn, login=request.path_params["username"], secret=secret
            )
        if admission is None or admission.revoked or admission.knocking:
            return None
        return admission

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=LONG_POLL_SECONDS))
        return self._http

    async def aclose(self) -> None:
        """Close the connections to Janus (the server's shutdown)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None
