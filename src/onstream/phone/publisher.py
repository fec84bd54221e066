"""The caller in the session's VideoRoom: a WebRTC publisher (aiortc) with the caller's
admission id, name and token, exactly as the room page joins. Janus thus lists, mutes,
kicks and records the caller like anybody else, and the browser page needs no change.

The room's audio comes back through VideoRoom `rtp_forward`s: every other publisher's audio
stream is forwarded (plain RTP, Opus) to the call's own UDP port, each with its own SSRC
and the same payload type (browsers send Opus as 111, another caller's aiortc as 96), and
mixed in `audio.RoomMix`. New publishers are forwarded as Janus announces them.

Janus's answers to `join` and `publish` are asynchronous: one long poll per session
(`GET /janus/{session}`) reads every event; requests wait for the event carrying their
transaction. A `leaving` or `kicked` event about ourselves, a `hangup`, or the room's
`destroyed` ends the call (`gone` is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

import httpx
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from onstream.phone.audio import OPUS_PAYLOAD, CallerTrack, ForwardedAudio, RoomMix

JsonDict = dict[str, Any]
VIDEOROOM = "janus.plugin.videoroom"
log = logging.getLogger("onstream.phone")


class PublisherFailed(RuntimeError):
    """Janus refused the caller's join or publish."""


class RoomPublisher:
    """One caller's presence in one VideoRoom."""

    def __init__(
        self,
        *,
        janus_url: str,
        room: int,
        secret: str,
        admin_key: str,
        participant: int,
        display: str,
        token: str,
        forward_host: str,
    ) -> None:
        self.url = janus_url.rstrip("/")
        self.room = room
        self.secret = secret
        self.admin_key = admin_key
        self.participant = participant
        self.display = display
        self.token = token
        self.forward_host = forward_host
        self.track = CallerTrack()
        self.mix = RoomMix()
        self.gone = asyncio.Event()
        self.gone_reason = ""
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=40.0))
        self._session: int | None = None
        self._handle: int | None = None
        self._waiting: dict[str, asyncio.Future[JsonDict]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pc: RTCPeerConnection | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._port = 0
        self._forwarded: set[int] = set()

    async def start(self) -> None:
        """Join as a publisher, publish the caller's audio, forward the others' to us."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: ForwardedAudio(self.mix), local_addr=(self.forward_host, 0)
        )
        self._transport = transport
        self._port = int(transport.get_extra_info("sockname")[1])
        created = await self._post("", {"janus": "create"})
        self._session = int(created["data"]["id"])
        attached = await self._post(f"/{self._session}", {"janus": "attach", "plugin": VIDEOROOM})
        self._handle = int(attached["data"]["id"])
        self._tasks.append(asyncio.create_task(self._poll()))
        self._tasks.append(asyncio.create_task(self._keepalive()))
        joined, _ = await self._message(
            {
                "request": "join",
                "ptype": "publisher",
                "room": self.room,
                "id": self.participant,
                "display": self.display,
                "token": self.token,
            }
        )
        if joined.get("videoroom") != "joined":
            raise PublisherFailed(f"join refused: {joined.get('error', joined)}")
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver(self.track, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        configured, jsep = await self._message(
            {"request": "publish", "audio": True, "video": False}, jsep=offer
        )
        if jsep is None:
            raise PublisherFailed(f"publish refused: {configured.get('error', configured)}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        for publisher in joined.get("publishers", []):
            await self._forward(publisher)

    async def stop(self) -> None:
        """Leave the room and let go of everything (the call ended)."""
        self.track.finish()
        if self._session is not None and self._handle is not None:
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                await self._post(f"/{self._session}", {"janus": "destroy"})
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pc is not None:
            await self._pc.close()
        if self._transport is not None:
            self._transport.close()
        await self._http.aclose()

    async def _forward(self, publisher: JsonDict) -> None:
        """Forward a publisher's audio stream to our port, SSRC = a value of its own."""
        feed = int(publisher.get("id", 0))
        if feed == self.participant or feed in self._forwarded:
            return
        audio = [s for s in publisher.get("streams", []) if s.get("type") == "audio"]
        if not audio:
            return
        self._forwarded.add(feed)
        body = {
            "request": "rtp_forward",
            "room": self.room,
            "publisher_id": feed,
            "secret": self.secret,
            "admin_key": self.admin_key,
            "host": self.forward_host,
            "streams": [
                {
                    "mid": str(audio[0].get("mid", "0")),
                    "port": self._port,
                    "ssrc": feed & 0xFFFFFFFF,
                    # one payload type for every source: browsers send Opus as 111,
                    # aiortc (another caller's publisher) as 96
                    "pt": OPUS_PAYLOAD,
                }
            ],
        }
        answer = await self._post(
            f"/{self._session}/{self._handle}", {"janus": "message", "body": body}
        )
        data = answer.get("plugindata", {}).get("data", {})
        if "error" in data:
            log.warning("rtp_forward of %s refused: %s", feed, data["error"])
            self._forwarded.discard(feed)

    async def _message(
        self, body: JsonDict, *, jsep: JsonDict | None = None
    ) -> tuple[JsonDict, JsonDict | None]:
        """A request whose answer comes as an event: its data and its jsep, if any."""
        transaction = secrets.token_hex(8)
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        message: JsonDict = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        try:
            answer = await self._send(f"/{self._session}/{self._handle}", message)
            if answer.get("janus") != "ack":
                event = answer
            else:
                event = await asyncio.wait_for(future, 15.0)
        finally:
            self._waiting.pop(transaction, None)
        data = event.get("plugindata", {}).get("data", {})
        if event.get("janus") == "error":
            data = {"error": event.get("error", {}).get("reason", "error")}
        return data, event.get("jsep")

    async def _poll(self) -> None:
        while True:
            try:
                response = await self._http.get(f"{self.url}/{self._session}", params={"maxev": 10})
                events = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("janus long poll failed: %s", exc)
                self._end("janus unreachable")
                return
            for event in events if isinstance(events, list) else [events]:
                await self._event(event)

    async def _event(self, event: JsonDict) -> None:
        kind = event.get("janus")
        future = self._waiting.get(str(event.get("transaction", "")))
        if future is not None and kind in ("event", "error") and not future.done():
            future.set_result(event)
            return
        if kind in ("hangup", "detached"):
            self._end(kind)
            return
        data = event.get("plugindata", {}).get("data", {})
        if data.get("videoroom") == "destroyed":
            self._end("destroyed")
            return
        if data.get("leaving") == "ok" or data.get("reason") == "kicked":
            self._end("kicked")
            return
        if str(data.get("kicked", "")) == str(self.participant):
            self._end("kicked")
            return
        for publisher in data.get("publishers", []):
            await self._forward(publisher)
        for key in ("leaving", "unpublished"):
            feed = data.get(key)
            if isinstance(feed, int):
                self._forwarded.discard(feed)
                self.mix.forget(feed & 0xFFFFFFFF)

    def _end(self, reason: str) -> None:
        if not self.gone.is_set():
            self.gone_reason = reason
            self.gone.set()

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(25)
            with contextlib.suppress(httpx.HTTPError, ValueError):
                await self._post(f"/{self._session}", {"janus": "keepalive"})

    async def _post(self, path: str, message: JsonDict) -> JsonDict:
        return await self._send(path, {**message, "transaction": secrets.token_hex(8)})

    async def _send(self, path: str, message: JsonDict) -> JsonDict:
        response = await self._http.post(self.url + path, json=message)
        answer: JsonDict = response.json()
        if answer.get("janus") == "error" and message.get("janus") != "message":
            raise PublisherFailed(str(answer.get("error", {}).get("reason", "janus error")))
        return answer
