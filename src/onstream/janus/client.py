"""The server's side of the Janus HTTP API: rooms of the VideoRoom and TextRoom plugins.

    async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
        await admin.create_room(room, secret=secret, allowed=[token])
        await admin.create_textroom(room, secret=secret, allowed=[token])
        ...
        await admin.destroy_room(room, secret)

One `JanusAdmin` per Janus server keeps one Janus session with a handle on each plugin; a
background task sends a keepalive every 25 s (Janus drops a silent session after its
`session_timeout`, 60 s). When Janus answers 458/459 (no such session/handle, e.g. after a
restart) the client makes a new session and sends the request once more.

Every request used here is synchronous in both plugins: the POST's answer carries the result
in `plugindata.data`, so the server never long-polls. A plugin's refusal comes back inside
that answer (`error_code`, `error`) and is raised as `JanusError` with the plugin's name.
Creating an existing room and destroying a missing one succeed, so callers can repeat them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from onstream.janus.process import JanusUnavailable

if TYPE_CHECKING:
    # Imported when a client is made: httpx (with its command line's rich and pygments)
    # costs every server process 6 MB, and a server without meeting rooms never needs it.
    import httpx

JsonDict = dict[str, Any]
AllowedAction = Literal["add", "remove", "enable", "disable"]

VIDEOROOM = "janus.plugin.videoroom"
TEXTROOM = "janus.plugin.textroom"

# Janus core (janus/apierror.h)
NO_SUCH_SESSION = 458
NO_SUCH_HANDLE = 459
# VideoRoom plugin (janus_videoroom.c)
VIDEOROOM_NO_SUCH_ROOM = 426
VIDEOROOM_ROOM_EXISTS = 427
VIDEOROOM_NO_SUCH_FEED = 428
VIDEOROOM_UNAUTHORIZED = 433
# TextRoom plugin (janus_textroom.c): same meanings, other numbers
TEXTROOM_NO_SUCH_ROOM = 417
TEXTROOM_ROOM_EXISTS = 418
TEXTROOM_UNAUTHORIZED = 419

KEEPALIVE_SECONDS = 25.0
TIMEOUT_SECONDS = 10.0

logger = logging.getLogger(__name__)


class JanusError(Exception):
    """Janus refused a request: a core error (`plugin` None) or a plugin's `error_code`."""

    def __init__(self, code: int, reason: str, plugin: str | None = None) -> None:
        self.code = code
        self.reason = reason
        self.plugin = plugin
        super().__init__(f"{plugin or 'janus'} error {code}: {reason}")

    @property
    def session_lost(self) -> bool:
        """Janus no longer knows the session or handle: reconnecting will help."""
        return self.plugin is None and self.code in (NO_SUCH_SESSION, NO_SUCH_HANDLE)


class JanusUnreachable(JanusUnavailable):
    """Janus did not answer over HTTP (refused, timed out, or not JSON)."""


class JanusClient:
    """One Janus session with one handle on each plugin of `PLUGINS`, made on first use."""

    PLUGINS: ClassVar[tuple[str, ...]] = (VIDEOROOM, TEXTROOM)

    def __init__(
        self,
        url: str,
        *,
        admin_key: str,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
        timeout_seconds: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.keepalive_seconds = keepalive_seconds
        import httpx

        self._http = httpx.AsyncClient(timeout=timeout_seconds, transport=transport)
        self._session: int | None = None
        self._handles: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._keepalive: asyncio.Task[None] | None = None

    @property
    def session_id(self) -> int | None:
        """The current Janus session, None before the first request or after losing it."""
        return self._session

    async def connect(self) -> None:
        """Create the session and attach the plugins, unless that is done already."""
        async with self._lock:
            if self._session is not None:
                return
            answer = await self._post("", {"janus": "create"})
            session = int(answer["data"]["id"])
            handles = {}
            for plugin in self.PLUGINS:
                answer = await self._post(f"/{session}", {"janus": "attach", "plugin": plugin})
                handles[plugin] = int(answer["data"]["id"])
            self._session, self._handles = session, handles
            if self._keepalive is None:
                self._keepalive = asyncio.create_task(self._keep_alive())

    async def close(self) -> None:
        """Stop the keepalives, destroy the session (if Janus still answers), close HTTP."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
            self._keepalive = None
        if self._session is not None:
            with contextlib.suppress(JanusError, JanusUnavailable):
                await self._post(f"/{self._session}", {"janus": "destroy"})
            self._session = None
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        try:
            await self.connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def info(self) -> JsonDict:
        """Janus' `/info`: version, loaded plugins and transports, settings."""
        return await self._send("GET", "/info")

    async def request(self, plugin: str, body: JsonDict) -> JsonDict:
        """Send one synchronous plugin request; its `plugindata.data`, or raise JanusError."""
        await self.connect()
        used = self._session
        try:
            return await self._message(plugin, body)
        except JanusError as exc:
            if not exc.session_lost:
                raise
            logger.info("janus session lost (%s); reconnecting", exc.reason)
        if self._session == used:  # a concurrent request may have reconnected already
            self._forget()
        return await self._message(plugin, body)

    async def _message(self, plugin: str, body: JsonDict) -> JsonDict:
        await self.connect()
        path = f"/{self._session}/{self._handles[plugin]}"
        answer = await self._post(path, {"janus": "message", "body": body})
        data = answer.get("plugindata", {}).get("data")
        if not isinstance(data, dict):
            raise JanusError(0, f"answer without plugin data: {answer}", plugin)
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")), plugin)
        return data

    def _forget(self) -> None:
        self._session, self._handles = None, {}

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_seconds)
            if self._session is None:
                continue
            try:
                await self._post(f"/{self._session}", {"janus": "keepalive"})
            except (JanusError, JanusUnavailable) as exc:
                logger.warning("janus keepalive failed: %s", exc)
                self._forget()  # the next request makes a new session

    async def _post(self, path: str, message: JsonDict) -> JsonDict:
        message = {**message, "transaction": secrets.token_hex(8)}
        return await self._send("POST", path, message)

    async def _send(self, method: str, path: str, message: JsonDict | None = None) -> JsonDict:
        import httpx

        try:
            response = await self._http.request(method, self.url + path, json=message)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnreachable(f"Janus at {self.url} did not answer: {exc!r}") from exc
        if not isinstance(answer, dict):
            raise JanusUnreachable(f"Janus at {self.url} answered {answer!r}")
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        if response.status_code != 200:
            raise JanusUnreachable(f"Janus at {self.url} answered HTTP {response.status_code}")
        return answer


class VideoRoomAdmin(JanusClient):
    """Rooms of the VideoRoom plugin: create, admit, moderate, record, destroy."""

    PLUGINS: ClassVar[tuple[str, ...]] = (VIDEOROOM,)

    async def create_room(
        self,
        room: int,
        *,
        secret: str,
        allowed: Sequence[str],
        publishers: int = 6,
        record: bool = False,
        rec_dir: Path | str | None = None,
        description: str = "",
        bitrate: int = 512_000,
        require_pvtid: bool = True,
    ) -> int:
        """Create room `room` (kept as it is when it exists already); returns `room`.

        Only joins carrying one of the `allowed` tokens get in (none at all while the list is
        empty). Janus checks tokens on publisher joins only, so `require_pvtid` makes a
        subscriber prove with the `private_id` of its publisher join that it is a participant.
        """
        body: JsonDict = {
            "request": "create",
            "room": room,
            "admin_key": self.admin_key,
            "permanent": False,
            "is_private": True,
            "secret": secret,
            "allowed": list(allowed),
            "require_pvtid": require_pvtid,
            "publishers": publishers,
            "bitrate": bitrate,
            "fir_freq": 10,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "notify_joining": True,
            "record": record,
        }
        if rec_dir is not None:
            body["rec_dir"] = str(rec_dir)
        if description:
            body["description"] = description
        try:
            data = await self.request(VIDEOROOM, body)
        except JanusError as exc:
            if exc.plugin == VIDEOROOM and exc.code == VIDEOROOM_ROOM_EXISTS:
                return room
            raise
        return int(data["room"])

    async def exists(self, room: int) -> bool:
        """Whether the room exists."""
        data = await self.request(VIDEOROOM, {"request": "exists", "room": room})
        return bool(data["exists"])

    async def allowed(
        self, room: int, secret: str, action: AllowedAction, tokens: Sequence[str] = ()
    ) -> list[str]:
        """Add or remove join tokens (or `disable` the check: anybody may join); the list."""
        body = {"request": "allowed", "room": room, "secret": secret, "action": action}
        data = await self.request(VIDEOROOM, body | {"allowed": list(tokens)})
        return [str(token) for token in data.get("allowed", [])]

    async def kick(self, room: int, secret: str, participant_id: int) -> None:
        """Put a participant out; remove their token first, or a reload brings them back."""
        body = {"request": "kick", "room": room, "secret": secret, "id": participant_id}
        await self.request(VIDEOROOM, body)

    async def moderate(
        self, room: int, secret: str, participant_id: int, mid: str, mute: bool
    ) -> None:
        """Drop (or pass again) one stream of a publisher: `mid` "0" is audio, "1" video on
        our page; Janus tells everybody with a `moderation` event."""
        body = {"request": "moderate", "room": room, "secret": secret, "id": participant_id}
        await self.request(VIDEOROOM, body | {"mid": mid, "mute": mute})

    async def list_rooms(self) -> list[JsonDict]:
        """Every room with its settings (`require_pvtid`, `record`, `num_participants`, ...);
        private ones too, thanks to the admin key."""
        data = await self.request(VIDEOROOM, {"request": "list", "admin_key": self.admin_key})
        return list(data["list"])

    async def list_participants(self, room: int) -> list[JsonDict]:
        """`[{"id", "display", "publisher", "talking"?}, ...]` (no streams)."""
        data = await self.request(VIDEOROOM, {"request": "listparticipants", "room": room})
        return list(data["participants"])

    async def enable_recording(self, room: int, secret: str, record: bool = True) -> None:
        """Start or stop recording every publisher of the room into its `rec_dir`."""
        body = {"request": "enable_recording", "room": room, "secret": secret, "record": record}
        await self.request(VIDEOROOM, body)

    async def destroy_room(self, room: int, secret: str) -> None:
        """Destroy the room (participants get `destroyed`); a missing room is no error."""
        body = {"request": "destroy", "room": room, "secret": secret, "permanent": False}
        try:
            await self.request(VIDEOROOM, body)
        except JanusError as exc:
            if not (exc.plugin == VIDEOROOM and exc.code == VIDEOROOM_NO_SUCH_ROOM):
                raise

    # --- remote publishers: a room's publishers relayed to the same room on another Janus --

    async def add_remote_publisher(
        self, room: int, secret: str, *, publisher: int, display: str, streams: list[JsonDict]
    ) -> tuple[int, int | None]:
        """Announce `publisher` of another Janus in this room, with its `streams` (type,
        mindex, mid, codec, simulcast); the port Janus receives its RTP on, and the one it
        sends RTCP feedback from (key frame requests of its subscribers), if any."""
        body: JsonDict = {
            "request": "add_remote_publisher",
            "room": room,
            "secret": secret,
            "id": publisher,
            "display": display,
            "streams": streams,
        }
        data = await self.request(VIDEOROOM, body)
        rtcp = data.get("rtcp_port")
        return int(data["port"]), int(rtcp) if rtcp else None

    async def remove_remote_publisher(self, room: int, secret: str, publisher: int) -> None:
        """Take a remote publisher out of this room (subscribers see it leave)."""
        body = {"request": "remove_remote_publisher", "room": room, "secret": secret}
        await self.request(VIDEOROOM, {**body, "id": publisher})

    async def publish_remotely(
        self,
        room: int,
        secret: str,
        *,
        publisher: int,
        remote_id: str,
        host: str,
        port: int,
        rtcp_port: int | None = None,
    ) -> None:
        """Forward every stream of a local publisher (all simulcast layers) to another
        Janus's remote publisher at host:port, taking its RTCP feedback from `rtcp_port`."""
        body: JsonDict = {
            "request": "publish_remotely",
            "room": room,
            "secret": secret,
            "admin_key": self.admin_key,
            "publisher_id": publisher,
            "remote_id": remote_id,
            "host": host,
            "port": port,
        }
        if rtcp_port:
            body["rtcp_port"] = rtcp_port
        await self.request(VIDEOROOM, body)

    async def unpublish_remotely(
        self, room: int, secret: str, *, publisher: int, remote_id: str
    ) -> None:
        """Stop forwarding a local publisher to one remote Janus."""
        body: JsonDict = {
            "request": "unpublish_remotely",
            "room": room,
            "secret": secret,
            "admin_key": self.admin_key,
            "publisher_id": publisher,
            "remote_id": remote_id,
        }
        await self.request(VIDEOROOM, body)

    async def list_remotes(self, room: int, secret: str, publisher: int) -> list[str]:
        """The remote ids a local publisher is forwarded under now."""
        body = {"request": "listremotes", "room": room, "secret": secret, "publisher_id": publisher}
        data = await self.request(VIDEOROOM, body)
        return [str(entry.get("remote_id")) for entry in data.get("list", [])]

    async def publisher_streams(self, room: int, publisher: int) -> list[JsonDict]:
        """A publisher's streams as a remote publisher needs them (type, mindex, mid, codec,
        simulcast). `listparticipants` has no streams, so a throwaway session asks to
        subscribe to the publisher and reads what Janus would send (its `attached` event),
        then goes without ever answering the offer."""
        answer = await self._post("", {"janus": "create"})
        session = int(answer["data"]["id"])
        try:
            attach = {"janus": "attach", "plugin": VIDEOROOM}
            handle = int((await self._post(f"/{session}", attach))["data"]["id"])
            join = {"request": "join", "ptype": "subscriber", "room": room}
            body = {**join, "streams": [{"feed": publisher}]}
            await self._post(f"/{session}/{handle}", {"janus": "message", "body": body})
            return _remote_streams(await self._attached(session))
        finally:
            with contextlib.suppress(JanusError, JanusUnavailable):
                await self._post(f"/{session}", {"janus": "destroy"})

    async def _attached(self, session: int) -> list[JsonDict]:
        """The streams of the subscription's `attached` event (long polls, at most 5 s)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while loop.time() < deadline:
            event = await self._send("GET", f"/{session}?maxev=1&rid={secrets.token_hex(4)}")
            data = event.get("plugindata", {}).get("data", {})
            if "error_code" in data:
                raise JanusError(int(data["error_code"]), str(data.get("error", "")), VIDEOROOM)
            if data.get("videoroom") == "attached":
                return list(data.get("streams", []))
        raise JanusError(0, "no answer to a subscription", VIDEOROOM)


def _remote_streams(attached: list[JsonDict]) -> list[JsonDict]:
    """A subscription's streams described as the publisher sends them."""
    streams: list[JsonDict] = []
    for index, stream in enumerate(attached):
        kind = str(stream.get("type", ""))
        if kind not in {"audio", "video"}:
            continue
        mid = str(stream.get("feed_mid", stream.get("mid", index)))
        entry: JsonDict = {
            "type": kind,
            "mindex": int(mid) if mid.isdigit() else index,
            "mid": mid,
            "codec": stream.get("codec", "opus" if kind == "audio" else "vp8"),
        }
        if kind == "video":
            entry["simulcast"] = "simulcast" in stream
        streams.append(entry)
    return streams


class TextRoomAdmin(JanusClient):
    """Rooms of the TextRoom plugin, a room's text chat over a data channel."""

    PLUGINS: ClassVar[tuple[str, ...]] = (TEXTROOM,)

    async def create_textroom(
        self,
        room: int,
        *,
        secret: str,
        allowed: Sequence[str],
        description: str = "",
        history: int = 0,
    ) -> int:
        """Create chat room `room` (kept as it is when it exists already); returns `room`.

        Only joins carrying one of the `allowed` tokens get in; `history` messages are
        replayed to whoever joins.
        """
        body: JsonDict = {
            "request": "create",
            "room": room,
            "admin_key": self.admin_key,
            "permanent": False,
            "is_private": True,  # created through the API, TextRoom rooms are public otherwise
            "secret": secret,
            "allowed": list(allowed),
            "history": history,
        }
        if description:
            body["description"] = description
        try:
            data = await self.request(TEXTROOM, body)
        except JanusError as exc:
            if exc.plugin == TEXTROOM and exc.code == TEXTROOM_ROOM_EXISTS:
                return room
            raise
        return int(data["room"])

    async def textroom_exists(self, room: int) -> bool:
        """Whether the chat room exists."""
        data = await self.request(TEXTROOM, {"request": "exists", "room": room})
        return bool(data["exists"])

    async def textroom_allowed(
        self, room: int, secret: str, action: AllowedAction, tokens: Sequence[str] = ()
    ) -> list[str]:
        """Add or remove join tokens (or `disable` the check); the resulting list."""
        body = {"request": "allowed", "room": room, "secret": secret, "action": action}
        data = await self.request(TEXTROOM, body | {"allowed": list(tokens)})
        return [str(token) for token in data.get("allowed", [])]

    async def textroom_kick(self, room: int, secret: str, username: str) -> None:
        """Put a participant out of the chat (everybody gets `kicked`)."""
        body = {"request": "kick", "room": room, "secret": secret, "username": username}
        await self.request(TEXTROOM, body)

    async def list_textrooms(self) -> list[JsonDict]:
        """Every chat room (`room`, `description`, `num_participants`, ...), private ones too."""
        data = await self.request(TEXTROOM, {"request": "list", "admin_key": self.admin_key})
        return list(data["list"])

    async def textroom_participants(self, room: int) -> list[JsonDict]:
        """`[{"username", "display"?}, ...]`."""
        data = await self.request(TEXTROOM, {"request": "listparticipants", "room": room})
        return list(data["participants"])

    async def destroy_textroom(self, room: int, secret: str) -> None:
        """Destroy the chat room; a missing room is no error."""
        body = {"request": "destroy", "room": room, "secret": secret, "permanent": False}
        try:
            await self.request(TEXTROOM, body)
        except JanusError as exc:
            if not (exc.plugin == TEXTROOM and exc.code == TEXTROOM_NO_SUCH_ROOM):
                raise


class JanusAdmin(VideoRoomAdmin, TextRoomAdmin):
    """Both plugins on one session: what the server keeps, one per Janus server."""

    PLUGINS: ClassVar[tuple[str, ...]] = (VIDEOROOM, TEXTROOM)
