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

Two transports, one set of checks. janus.js speaks Janus's API either as HTTP calls with
long polls (`handle`, below `.../janus/{n}`) or as messages on one WebSocket (`websocket`,
at `.../janus/{n}/ws`, the "janus-protocol" subprotocol, relayed to Janus's own WebSocket
transport when `ONSTREAM_JANUS_WEBSOCKET_URLS` names it). Both ask `admitted` (the server
is relayed, the admission is live) and `refusal` (size, an observer publishing) of every
call or message, and they keep nothing between calls in this process: every check reads
the database, so any worker of `serve --workers N` relays any socket and sees a removal
another worker wrote. A WebSocket carries Janus's events without the browser asking, so the
relay also reads the admission every `RECHECK_SECONDS` while the socket is open: a person
removed, or a room of a disabled account, loses the socket at their next message or within
that time, and Janus, its transport connection gone, destroys their session at once. Over
the WebSocket a join costs one message per step instead of an HTTP request each plus the
long polls (docs/scaling.md has the figures), which is why the room page tries it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from onstream.meetings import repository
from onstream.meetings.engine import JanusRooms
from onstream.meetings.models import Admission
from onstream.storage.database import Database, transaction
from onstream.web.queries import KEY_MAX

if TYPE_CHECKING:
    import httpx  # imported on the first relayed call (see `onstream.janus.client`)
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger("onstream.relay")

LONG_POLL_SECONDS = 65.0
BODY_MAX_BYTES = 256 * 1024
"""A Janus message with an SDP is a few KiB; nothing a browser sends is near this."""


SUBPROTOCOL = "janus-protocol"
"""What janus.js asks of a WebSocket, and what Janus's WebSocket transport answers."""
RECHECK_SECONDS = 10.0
"""How often an open WebSocket's admission is read again without a message from the browser."""
CONNECT_SECONDS = 5.0
"""How long the relay waits for Janus's WebSocket before refusing the browser's (which then
falls back to the long polls)."""
NOT_IN_THE_ROOM = 4404
"""The close code of a WebSocket whose admission is gone (as the HTTP relay's 404)."""
JANUS_GONE = 1011
"""The close code of a WebSocket whose Janus went away."""

OBSERVER_REFUSED = b'{"janus":"error","error":{"code":403,"reason":"an observer does not publish"}}'
PUBLISHER_JOINS = frozenset({"join", "joinandconfigure"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """A call or message the relay does not pass on: its HTTP status (also the Janus error
    code a WebSocket answers with) and its reason."""

    status: int
    reason: str


TOO_LARGE = Refusal(413, "message too large")
OBSERVER = Refusal(403, "an observer does not publish")


def refusal(admission: Admission, body: bytes) -> Refusal | None:
    """What the relay refuses of a live admission's call, whichever the transport: a body
    over `BODY_MAX_BYTES`, and an observer's (not on stage) join as a publisher."""
    if len(body) > BODY_MAX_BYTES:
        return TOO_LARGE
    if not admission.publishes and publishes(body):
        return OBSERVER
    return None


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
        admission = None if target is None else await self.admitted(request.path_params)
        if target is None or admission is None:
            return Response(status_code=404)
        body = await request.body()
        refused = refusal(admission, body)
        if refused is TOO_LARGE:
            return Response(status_code=413)
        if refused is not None:
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

    async def admitted(self, path_params: Mapping[str, Any]) -> Admission | None:
        """The live admission the URL names (its account enabled, it not revoked, not a
        guest still waiting to be admitted), else None: read from the database on every
        call and message, whichever the transport."""
        secret = str(path_params["secret"])
        if not secret or len(secret) > KEY_MAX:
            return None
        async with transaction(self.database, write=False) as conn:
            admission = await repository.admission_by_secret(
                conn, login=path_params["username"], secret=secret
            )
        if admission is None or admission.revoked or admission.knocking:
            return None
        return admission

    async def websocket(self, websocket: WebSocket) -> None:
        """Relay one browser's WebSocket to Janus's WebSocket transport, message by message.

        Refused before the handshake completes (an HTTP 403, which janus.js answers by
        trying the long-polling relay) when the server has no WebSocket transport, the
        admission is not live, or Janus's WebSocket does not answer."""
        target = self.rooms.websocket_target(int(websocket.path_params["index"]))
        params = websocket.path_params
        if target is None or await self.admitted(params) is None:
            await websocket.close()
            return
        upstream = await self._connect(target)
        if upstream is None:
            await websocket.close()
            return
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        tasks = {
            asyncio.ensure_future(self._to_janus(websocket, upstream, params)),
            asyncio.ensure_future(_to_browser(upstream, websocket)),
            asyncio.ensure_future(self._recheck(params)),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            code = max(_close_code(task) for task in done)  # the most telling
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await upstream.close()
        if websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await websocket.close(code=code)  # the browser may be gone meanwhile

    async def _connect(self, target: str) -> ClientConnection | None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        try:
            return await connect(
                target,
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                max_size=BODY_MAX_BYTES * 4,  # Janus's events carry SDP, a few KiB
                compression=None,
                open_timeout=CONNECT_SECONDS,
                ping_interval=None,  # Janus pings (`pingpong_trigger`); the browser keeps alive
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            log.warning("janus websocket %s did not answer: %s", target, exc)
            return None

    async def _to_janus(
        self, websocket: WebSocket, upstream: ClientConnection, params: Mapping[str, Any]
    ) -> int:
        """The browser's messages, each checked as an HTTP call is, to Janus; the close
        code once the browser is gone or out of the room."""
        while True:
            try:
                message = await websocket.receive()
            except WebSocketDisconnect:
                return 1000
            if message["type"] == "websocket.disconnect":
                return 1000
            text = message.get("text")
            body = text.encode() if text is not None else message.get("bytes") or b""
            admission = await self.admitted(params)
            if admission is None:
                return NOT_IN_THE_ROOM
            refused = refusal(admission, body)
            if refused is not None:
                await websocket.send_text(_error(refused, body))
                continue
            await upstream.send(text if text is not None else body.decode("utf-8", "replace"))

    async def _recheck(self, params: Mapping[str, Any]) -> int:
        """Read the admission again every `RECHECK_SECONDS`; the close code once it is gone."""
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            if await self.admitted(params) is None:
                return NOT_IN_THE_ROOM

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


def _close_code(task: asyncio.Future[int]) -> int:
    """The code a finished side of the relay closes the browser's socket with: its own, or
    `JANUS_GONE` when sending failed (Janus went away in the middle of a message)."""
    if task.cancelled():
        return 1000
    if task.exception() is not None:
        log.info("websocket relay ended: %r", task.exception())
        return JANUS_GONE
    return task.result()


async def _to_browser(upstream: ClientConnection, websocket: WebSocket) -> int:
    """Janus's answers and events to the browser; the close code once Janus is gone."""
    from websockets.exceptions import ConnectionClosed

    with contextlib.suppress(ConnectionClosed):
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)
    return JANUS_GONE


def _error(refused: Refusal, body: bytes) -> str:
    """A refused message's answer over the WebSocket: Janus's own error, with the message's
    transaction (and session) so janus.js hands it to the call that made it."""
    answer: dict[str, object] = {
        "janus": "error",
        "error": {"code": refused.status, "reason": refused.reason},
    }
    with contextlib.suppress(ValueError):
        call = json.loads(body)
        if isinstance(call, dict):
            for key in ("transaction", "session_id"):
                if isinstance(call.get(key), str | int):
                    answer[key] = call[key]
    return json.dumps(answer, separators=(",", ":"))
