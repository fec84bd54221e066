"""The media side of the rooms: Janus VideoRoom (audio, video) and TextRoom (chat).

One `JanusAdmin` per Janus server keeps a session with both plugins and reconnects when
Janus restarts. A room exists in Janus exactly while people may be in it: created when the
first person is let in (idempotently: a room that exists already is fine), destroyed when
the meeting ends; one lost with its Janus is created again at the next join
(`meetings.placement`, using `exists` and `live_servers`). Every call that fails to reach
Janus raises `MeetingUnavailable`, which the pages turn into "the meeting service is
unavailable"; the API never depends on Janus.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from onstream.config import Settings
from onstream.errors import DomainError
from onstream.janus.client import (
    TEXTROOM,
    TEXTROOM_NO_SUCH_ROOM,
    VIDEOROOM,
    VIDEOROOM_NO_SUCH_ROOM,
    JanusAdmin,
    JanusError,
    JsonDict,
)
from onstream.janus.process import JanusUnavailable
from onstream.services import RoomHandle

log = logging.getLogger("onstream.meetings")

T = TypeVar("T")
PUBLISHER_BITRATE = 2_200_000
"""The most one publisher may send (bits/s, Janus's REMB cap): the three simulcast layers of
a camera (about 150 k + 500 k + 1.5 M) with room for audio."""
ANSWER_SECONDS = 2.0
"""A Janus that has not answered `/info` in this long counts as down (a live one answers in
milliseconds; the bound keeps `/ready` and the lobby quick when one hangs)."""
RESTREAM_SECONDS = 4.0
"""How often a relayed publisher's streams are compared with those announced on the other
server (the room sweeper relays every 5 s; joins relay too, and must not each ask)."""
LIVE_CACHE_SECONDS = 1.5
"""How long one answer about which servers are live is reused: a load balancer probing
`/ready` every second and lobbies polling must not each send Janus a request."""


class MeetingUnavailable(DomainError):
    """No meeting service is configured, or Janus did not answer."""


class JanusRooms:
    """The rooms on the configured Janus servers (`ONSTREAM_JANUS_URLS`)."""

    def __init__(self, settings: Settings) -> None:
        self.servers = settings.janus_servers
        listed = settings.janus_public_urls or settings.janus_public_url or ""
        public = [u.strip() for u in listed.split(",") if u.strip()]
        self._public = dict(zip(self.servers, public, strict=False))
        self._websockets = dict(zip(self.servers, settings.janus_websockets, strict=False))
        self._admin_key = settings.janus_admin_key or ""
        self._admins: dict[str, JanusAdmin] = {}
        self.recordings_root = settings.recordings_root
        self.ice_servers = ice_servers(settings.ice_servers)
        self.max_publishers = settings.room_max_publishers
        self.last_n = settings.room_last_n
        self._live: tuple[float, tuple[str, ...]] | None = None
        self._live_lock = asyncio.Lock()
        self._relaying: dict[tuple[str, int, str], asyncio.Lock] = {}
        # per relayed publisher: when its streams were last compared with those announced
        self._compared: dict[tuple[str, int, int], float] = {}

    @property
    def available(self) -> bool:
        """Whether any Janus server is configured."""
        return bool(self.servers)

    def public_url(self, server: str, relay_path: str) -> str:
        """What a browser uses to reach `server`: its public URL, else our relay path."""
        return self._public.get(server) or relay_path

    def relayed(self, server: str) -> bool:
        """Whether browsers reach `server` through our relay (which checks, on every call,
        that the caller is let into the room), not at a public URL of its own."""
        return server not in self._public

    def relay_target(self, index: int) -> str | None:
        """The Janus server behind `/janus/{index}`, when browsers are relayed to it."""
        if 0 <= index < len(self.servers) and self.servers[index] not in self._public:
            return self.servers[index]
        return None

    def websocket_target(self, index: int) -> str | None:
        """The WebSocket transport of the Janus server behind `/janus/{index}/ws`, when
        browsers are relayed to it and it has one."""
        server = self.relay_target(index)
        return (self._websockets.get(server) or None) if server is not None else None

    async def open(
        self,
        room: RoomHandle,
        *,
        record: bool,
        rec_dir: Path,
        description: str,
        allowed: Sequence[str] = (),
    ) -> None:
        """Create the room's VideoRoom and TextRoom unless they exist, letting in the
        `allowed` tokens (those handed out already, when a room is created again)."""
        admin = self._admin(room.server)
        await asyncio.to_thread(rec_dir.mkdir, parents=True, exist_ok=True)
        await self._call(
            admin.create_room(
                room.janus_room,
                secret=room.secret,
                allowed=list(allowed),
                publishers=self.max_publishers,
                bitrate=PUBLISHER_BITRATE,
                # Janus checks tokens on publisher joins only; a subscriber proves it is in
                # the room by a publisher's private id, unless every call comes through our
                # relay, which lets observers subscribe without joining as publishers.
                require_pvtid=not self.relayed(room.server),
                record=record,
                rec_dir=rec_dir,
                description=description[:100],
            )
        )
        await self._call(
            admin.create_textroom(room.janus_room, secret=room.secret, allowed=list(allowed))
        )

    # --- which servers answer ----------------------------------------------------------

    async def exists(self, room: RoomHandle) -> bool | None:
        """Whether the room's VideoRoom exists on its Janus; None when that Janus does not
        answer or is no longer configured (a restarted Janus answers False: it knows no
        rooms)."""
        if room.server not in self.servers:
            return None
        try:
            return await self._call(self._admin(room.server).exists(room.janus_room))
        except MeetingUnavailable as exc:
            if isinstance(exc.__cause__, JanusError):
                raise
            return None

    async def live_servers(self) -> tuple[str, ...]:
        """The configured servers that answer now, in their configured order; one answer
        is reused for `LIVE_CACHE_SECONDS`, and concurrent callers share one round of asking."""
        if (cached := self._fresh_live()) is not None:
            return cached
        async with self._live_lock:
            if (cached := self._fresh_live()) is not None:
                return cached
            answers = await asyncio.gather(*(self._answers(s) for s in self.servers))
            live = tuple(s for s, ok in zip(self.servers, answers, strict=True) if ok)
            self._live = (time.monotonic(), live)
            return live

    def _fresh_live(self) -> tuple[str, ...] | None:
        if self._live is None or time.monotonic() - self._live[0] > LIVE_CACHE_SECONDS:
            return None
        return self._live[1]

    async def _answers(self, server: str) -> bool:
        try:
            await asyncio.wait_for(self._admin(server).info(), ANSWER_SECONDS)
        except (TimeoutError, JanusError, JanusUnavailable, OSError):
            return False
        return True

    async def allow(self, room: RoomHandle, token: str) -> None:
        """Let one join with this token, in both the video and the chat room."""
        admin = self._admin(room.server)
        await self._call(admin.allowed(room.janus_room, room.secret, "add", [token]))
        await self._call(admin.textroom_allowed(room.janus_room, room.secret, "add", [token]))

    async def mute(self, room: RoomHandle, participant: int, *, mid: str, mute: bool) -> None:
        """Mute (or unmute) one stream of a publisher for everybody."""
        admin = self._admin(room.server)
        await self._call(admin.moderate(room.janus_room, room.secret, participant, mid, mute))

    async def set_recording(self, room: RoomHandle, *, on: bool) -> None:
        """Start or stop recording the room's publishers."""
        admin = self._admin(room.server)
        await self._call(admin.enable_recording(room.janus_room, room.secret, on))

    async def present(self, room: RoomHandle) -> set[int]:
        """The Janus ids of everybody in the room now: the VideoRoom's participants (those
        who publish or may publish) and the chat room's (observers too: their pages only
        subscribe, which the VideoRoom does not list, and join the chat under their id).
        Empty when Janus has no such room (not created yet, or lost in a Janus restart,
        which disconnected everybody)."""
        admin = self._admin(room.server)
        try:
            listed = await self._call(admin.list_participants(room.janus_room))
            chatting = await self._call(admin.textroom_participants(room.janus_room))
        except MeetingUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, JanusError) and (cause.plugin, cause.code) in {
                (VIDEOROOM, VIDEOROOM_NO_SUCH_ROOM),
                (TEXTROOM, TEXTROOM_NO_SUCH_ROOM),
            }:
                return set()
            raise
        present = {int(entry["id"]) for entry in listed}
        present.update(int(e["username"]) for e in chatting if str(e["username"]).isdigit())
        return present

    async def close(self, room: RoomHandle) -> None:
        """Destroy both rooms, and the room's relays on the other servers; everybody in
        them is disconnected at once."""
        if room.server not in self.servers:
            return
        admin = self._admin(room.server)
        await self._call(admin.destroy_room(room.janus_room, room.secret))
        await self._call(admin.destroy_textroom(room.janus_room, room.secret))
        for key in [k for k in self._relaying if k[:2] == (room.server, room.janus_room)]:
            del self._relaying[key]
        for seen in [k for k in self._compared if k[:2] == (room.server, room.janus_room)]:
            del self._compared[seen]
        for server in await self.live_servers():
            if server != room.server:  # no such room there is no error
                await self._call(self._admin(server).destroy_room(room.janus_room, room.secret))

    async def drop_relay(self, room: RoomHandle, *, on: str) -> None:
        """Destroy the room's relay on server `on` if there is one (the room is moving
        there: its remote publishers, fed by a Janus that is gone, must not stay in it). A
        room there with another secret is not the relay, and stays."""
        with contextlib.suppress(MeetingUnavailable):
            await self._call(self._admin(on).destroy_room(room.janus_room, room.secret))

    async def relay(self, room: RoomHandle, *, to: str) -> None:
        """Make the room on server `to` show the room's publishers, as remote publishers
        fed by the room's own Janus (`publish_remotely`), idempotently: the room is created
        there when missing (after a restart too), publishers gone are taken out, and a
        publisher whose forwarding the room's Janus lost (it restarted) is announced again.

        Nobody publishes in a relayed room: it is created with no token allowed, so Janus
        refuses every publisher join there, whoever asks."""
        if to == room.server:
            return
        # one relay of a room to a server at a time in this process: joins arriving together
        # would otherwise announce the same publisher twice, or take out one just announced
        key = (room.server, room.janus_room, to)
        async with self._relaying.setdefault(key, asyncio.Lock()):  # dropped in `close`
            await self._relay(room, to)

    async def _relay(self, room: RoomHandle, to: str) -> None:
        source, target = self._admin(room.server), self._admin(to)
        await self._call(
            target.create_room(
                room.janus_room,
                secret=room.secret,
                allowed=[],
                publishers=self.max_publishers,
                bitrate=PUBLISHER_BITRATE,
                require_pvtid=False,  # observers subscribe without a publisher join
                description="relay",
            )
        )
        prefix = f"onstream-{self.servers.index(to)}-"
        host = urlsplit(to).hostname or "127.0.0.1"
        wanted = {
            int(p["id"]): str(p.get("display", ""))
            for p in await self._call(source.list_participants(room.janus_room))
            if p.get("publisher")
        }
        shown = {int(p["id"]) for p in await self._call(target.list_participants(room.janus_room))}
        for gone in shown - set(wanted):
            await self._call(target.remove_remote_publisher(room.janus_room, room.secret, gone))
        for publisher, display in wanted.items():
            remotes = [
                remote
                for remote in await self._call(
                    source.list_remotes(room.janus_room, room.secret, publisher)
                )
                if remote.startswith(prefix)
            ]
            current = publisher in shown and remotes
            if current and await self._same_streams(room, publisher, remotes):
                continue
            for remote in remotes:  # forwarded to a target that restarted: start afresh
                await self._call(
                    source.unpublish_remotely(
                        room.janus_room, room.secret, publisher=publisher, remote_id=remote
                    )
                )
            if publisher in shown:
                await self._call(
                    target.remove_remote_publisher(room.janus_room, room.secret, publisher)
                )
            streams = await self._call(source.publisher_streams(room.janus_room, publisher))
            port, rtcp_port = await self._call(
                target.add_remote_publisher(
                    room.janus_room,
                    room.secret,
                    publisher=publisher,
                    display=display,
                    streams=streams,
                )
            )
            await self._call(
                source.publish_remotely(
                    room.janus_room,
                    room.secret,
                    publisher=publisher,
                    # the streams announced are named in the id, for `_same_streams` to compare
                    remote_id=f"{prefix}{port}-{_streams_tag(streams)}-{secrets.token_hex(4)}",
                    host=host,
                    port=port,
                    rtcp_port=rtcp_port,  # its subscribers' key frame requests reach the publisher
                )
            )
            log.info("publisher %d of room %d relayed to %s", publisher, room.janus_room, to)

    async def _same_streams(self, room: RoomHandle, publisher: int, remotes: list[str]) -> bool:
        """Whether a relayed publisher still sends the streams it was announced with (named
        in its forwarders' ids, so any process can tell). One who adds a stream (a
        microphone-only presenter who shares a screen or turns a camera on) must be announced
        again, or the relayed room would never show it. The streams are read through a
        throwaway subscription, so at most once per `RESTREAM_SECONDS` per publisher."""
        key = (room.server, room.janus_room, publisher)
        now = time.monotonic()
        if now - self._compared.get(key, -RESTREAM_SECONDS) < RESTREAM_SECONDS:
            return True
        self._compared[key] = now
        source = self._admin(room.server)
        streams = await self._call(source.publisher_streams(room.janus_room, publisher))
        tag = f"-{_streams_tag(streams)}-"
        return all(tag in remote for remote in remotes)

    async def eject(self, room: RoomHandle, *, participants: list[int], tokens: list[str]) -> None:
        """Refuse these tokens from now on and put these participants out."""
        if room.server not in self.servers:
            return
        admin = self._admin(room.server)
        if tokens:
            await self._call(admin.allowed(room.janus_room, room.secret, "remove", tokens))
            await self._call(admin.textroom_allowed(room.janus_room, room.secret, "remove", tokens))
        for participant in participants:
            with contextlib.suppress(MeetingUnavailable):  # not in the room: nothing to do
                await self._call(admin.kick(room.janus_room, room.secret, participant))
            with contextlib.suppress(MeetingUnavailable):
                await self._call(
                    admin.textroom_kick(room.janus_room, room.secret, str(participant))
                )

    async def aclose(self) -> None:
        """Close the Janus sessions (the server's shutdown)."""
        for admin in self._admins.values():
            await admin.close()
        self._admins.clear()

    def _admin(self, server: str) -> JanusAdmin:
        if server not in self.servers:
            raise MeetingUnavailable("The meeting service is not available right now.")
        admin = self._admins.get(server)
        if admin is None:
            admin = self._admins[server] = JanusAdmin(server, admin_key=self._admin_key)
        return admin

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except (JanusError, JanusUnavailable, OSError) as exc:
            log.warning("meeting service call failed: %s", exc)
            raise MeetingUnavailable("The meeting service is not available right now.") from exc


def ice_servers(raw: str | None) -> list[dict[str, object]]:
    """`ONSTREAM_ICE_SERVERS` as RTCIceServer objects: a JSON list, or comma-separated URLs."""
    if not raw or not raw.strip():
        return []
    text = raw.strip()
    if text.startswith("["):
        parsed = json.loads(text)
        return [dict(entry) for entry in parsed if isinstance(entry, dict)]
    return [{"urls": url.strip()} for url in text.split(",") if url.strip()]


def _streams_tag(streams: list[JsonDict]) -> str:
    """A short name of a publisher's streams (each one's mid and type), which changes when
    a stream is added or taken away."""
    kinds = ",".join(sorted(f"{stream.get('mid')}:{stream.get('type')}" for stream in streams))
    return hashlib.blake2s(kinds.encode(), digest_size=4).hexdigest()
