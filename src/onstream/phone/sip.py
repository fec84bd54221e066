"""PJSIP (pjsua2) in its own thread: the bridge's SIP endpoint and its calls' media.

pjsua2 is driven from one thread (`mainThreadOnly`, no worker threads): it polls with
`libHandleEvents` and runs the commands the event loop queued (`SipEndpoint.do`). Every
PJSIP object is made, used and dropped in that thread; the event loop sees a call only as a
`CallLink` (thread-safe queues of digits and of its end). Pitfall: a Call or media object
still referenced at `libDestroy` aborts the process, so `stop` hangs up and drops them all
first.

Pitfall: PJSIP's conference removes a port at its next clock tick (from 2.14 on), but
pjsua2's `AudioMediaPort` frees the port the moment its object goes, and the clock, in a
thread of its own, calls every port each tick whether connected or not. A port dropped
while the clock runs may be called after it is freed, which kills the process (the likely
end of a bridge process seen once at a caller's hang-up on a busy machine). So the bridge's
ports are made once per call slot and kept: a call that ends hands its port back, silent,
for the next call.

The endpoint listens for SIP over UDP and over TCP on the same address and port. Incoming
calls are answered at once (200); the account accepts any Request-URI user, so
`sip:<code>@bridge` reaches the same place as the bridge's number. Digits come from RFC 4733
telephone-events and SIP INFO alike (`onDtmfDigit`). With `ONSTREAM_SIP_TRUNK_URI` set the
account also registers at the operator's trunk with the configured user and password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pjsua2 as pj

from onstream.phone.audio import FRAME_BYTES, SILENCE

log = logging.getLogger("onstream.phone")
Command = Callable[[], None]
MAX_CALLS = 4
"""Calls one bridge process takes at once: the ceiling PJSIP is built with in the
`pjsua2-python` wheel (`PJSUA_MAX_CALLS` 4, where PJSIP's default is 32; its
`pjsua_call_subsys_init` cuts any larger `maxCalls` down to it). PJSIP answers one more
caller with 486 Busy Here; `onstream phone --processes N` runs more bridges."""


class SipFailed(Exception):
    """PJSIP could not start: the address is taken or not this host's, say."""


@dataclass(frozen=True, slots=True)
class SipSettings:
    """Where the endpoint listens and how it shows itself and registers."""

    host: str
    port: int
    public_host: str | None = None
    public_port: int | None = None
    trunk_uri: str | None = None
    trunk_user: str | None = None
    trunk_password: str | None = None


@dataclass(eq=False)
class CallLink:
    """One call as the event loop sees it. Filled by the SIP thread."""

    call_id: int
    remote_uri: str
    local_uri: str
    digits: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    media_ready: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class BridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    """A conference port between a call and the room: frames the caller says go to
    `heard`, frames the caller hears come from `spoken` (both run on PJSIP's clock).

    Made once and lent to one call after another (see the module's pitfall): between
    calls it has neither, passes silence and takes nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: Callable[[bytes], None] | None = None
        self.spoken: Callable[[], bytes] | None = None

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        heard = self.heard
        if heard is not None and frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            heard(bytes(frame.buf))

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        spoken = self.spoken
        data = spoken() if spoken is not None else SILENCE
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(data if len(data) == FRAME_BYTES else SILENCE)
        frame.size = FRAME_BYTES


class _Player(pj.AudioMediaPlayer):  # type: ignore[misc]
    def __init__(self, done: Callable[[], None]) -> None:
        super().__init__()
        self.done = done

    def onEof2(self) -> None:
        self.done()


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, endpoint: SipEndpoint, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.endpoint = endpoint
        self.link: CallLink | None = None
        self.media: pj.AudioMedia | None = None
        self.player: _Player | None = None
        self.port: BridgePort | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.endpoint.call_ended(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if (
                media.type == pj.PJMEDIA_TYPE_AUDIO
                and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                and self.media is None
            ):
                self.media = self.getAudioMedia(index)
                if self.link is not None:
                    self.endpoint.tell(self.link.media_ready.set)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        if self.link is not None:
            self.endpoint.tell(self.link.digits.put_nowait, str(prm.digit))


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, endpoint: SipEndpoint) -> None:
        super().__init__()
        self.endpoint = endpoint

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.endpoint.incoming(_Call(self.endpoint, self, prm.callId))

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        log.info("trunk registration: %s %s", prm.code, prm.reason)


class SipEndpoint:
    """The bridge's SIP endpoint; `on_call` runs in the event loop for each new call."""

    def __init__(
        self,
        settings: SipSettings,
        loop: asyncio.AbstractEventLoop,
        on_call: Callable[[CallLink], None],
    ) -> None:
        self.settings = settings
        self.loop = loop
        self.on_call = on_call
        self._commands: queue.Queue[Command] = queue.Queue()
        self._calls: dict[int, _Call] = {}
        self._ended: list[_Call] = []
        self._ports: list[BridgePort] = []
        """Every port made, kept until PJSIP is destroyed."""
        self._spare_ports: list[BridgePort] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failure: SipFailed | None = None
        self._thread = threading.Thread(target=self._run, name="sip", daemon=True)

    # --- the event loop's side -------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; `SipFailed` when PJSIP could not listen."""
        self._thread.start()
        self._ready.wait(15)
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        """Hang up every call and destroy PJSIP (waits for the thread)."""
        self._stop.set()
        self._thread.join(15)

    def do(self, command: Command) -> None:
        """Run `command` in the SIP thread."""
        self._commands.put(command)

    def tell(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` in the event loop (from the SIP thread)."""
        self.loop.call_soon_threadsafe(callback, *args)

    def play(self, link: CallLink, path: Path) -> asyncio.Future[None]:
        """Play a WAV file to the caller; the future is done at its end (a call that ended
        meanwhile never finishes it: wait for `link.ended` too)."""
        done: asyncio.Future[None] = self.loop.create_future()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        def command() -> None:
            call = self._calls.get(link.call_id)
            if call is None or call.media is None:
                self.tell(finish)
                return
            self._stop_player(call)
            player = _Player(lambda: self.tell(finish))
            player.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)
            player.startTransmit(call.media)
            call.player = player

        self.do(command)
        return done

    def connect(
        self, link: CallLink, heard: Callable[[bytes], None], spoken: Callable[[], bytes]
    ) -> None:
        """Join the call's audio to the room: both directions through a `BridgePort`."""

        def command() -> None:
            call = self._calls.get(link.call_id)
            if call is None or call.media is None:
                return
            port = self._spare_ports.pop() if self._spare_ports else self._new_port()
            port.heard, port.spoken = heard, spoken
            call.media.startTransmit(port)
            port.startTransmit(call.media)
            call.port = port

        self.do(command)

    def hangup(self, link: CallLink) -> None:
        """End the call (BYE)."""

        def command() -> None:
            call = self._calls.get(link.call_id)
            if call is not None:
                prm = pj.CallOpParam()
                prm.statusCode = pj.PJSIP_SC_OK
                try:
                    call.hangup(prm)
                except pj.Error as exc:
                    log.info("hangup of call %s: %s", link.call_id, exc.info())

        self.do(command)

    # --- the SIP thread's side -------------------------------------------------------------

    def incoming(self, call: _Call) -> None:
        info = call.getInfo()
        link = CallLink(call_id=info.id, remote_uri=info.remoteUri, local_uri=info.localUri)
        call.link = link
        self._calls[info.id] = call
        prm = pj.CallOpParam()
        prm.statusCode = pj.PJSIP_SC_OK
        call.answer(prm)
        self.tell(self.on_call, link)

    def call_ended(self, call: _Call) -> None:
        if call.link is not None:
            self.tell(call.link.ended.set)
        self._ended.append(call)

    def _new_port(self) -> BridgePort:
        port = BridgePort()
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, 8000, 1, 20000, 16)
        port.createPort(f"room-{len(self._ports)}", fmt)
        self._ports.append(port)
        return port

    def _stop_player(self, call: _Call) -> None:
        if call.player is not None and call.media is not None:
            with contextlib.suppress(pj.Error):
                call.player.stopTransmit(call.media)
        call.player = None

    def _release(self, call: _Call) -> None:
        self._stop_player(call)
        if call.port is not None:
            if call.media is not None:
                with contextlib.suppress(pj.Error):
                    call.media.stopTransmit(call.port)
                with contextlib.suppress(pj.Error):
                    call.port.stopTransmit(call.media)
            call.port.heard = call.port.spoken = None
            self._spare_ports.append(call.port)
        call.port = None
        call.media = None
        self._calls.pop(call.link.call_id if call.link else -1, None)

    def _run(self) -> None:
        endpoint = pj.Endpoint()
        try:
            endpoint.libCreate()
            config = pj.EpConfig()
            config.uaConfig.threadCnt = 0
            config.uaConfig.mainThreadOnly = True
            config.uaConfig.maxCalls = MAX_CALLS
            config.logConfig.level = 1
            config.logConfig.consoleLevel = 1
            config.medConfig.noVad = True
            config.medConfig.clockRate = 8000
            config.medConfig.sndClockRate = 8000
            endpoint.libInit(config)
            transport = pj.TransportConfig()
            transport.boundAddress = self.settings.host
            transport.port = self.settings.port
            if self.settings.public_host:
                transport.publicAddress = self.settings.public_host
            endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
            endpoint.transportCreate(pj.PJSIP_TRANSPORT_TCP, transport)
            endpoint.libStart()
            endpoint.audDevManager().setNullDev()
            account = _Account(self)
            account.create(self._account_config())
        except Exception as exc:  # noqa: BLE001 - reported to start(), which raises it
            reason = exc.reason if isinstance(exc, pj.Error) else str(exc)
            where = f"{self.settings.host}:{self.settings.port}"
            self._failure = SipFailed(f"the phone bridge cannot listen on {where}: {reason}")
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                endpoint.libHandleEvents(10)
                self._drain()
            self._hang_up_all()
            for _ in range(20):
                endpoint.libHandleEvents(10)
            self._drain()
            self._release_all()
            self._calls.clear()
            self._ended.clear()
            endpoint.audDevManager().setNoDev()  # the clock stops before the ports go
            self._spare_ports.clear()
            self._ports.clear()
            account.shutdown()
            del account
        finally:
            endpoint.libDestroy()

    def _release_all(self) -> None:
        for call in [*self._calls.values(), *self._ended]:
            self._release(call)

    def _hang_up_all(self) -> None:
        for live in list(self._calls.values()):
            prm = pj.CallOpParam()
            prm.statusCode = pj.PJSIP_SC_OK
            with contextlib.suppress(pj.Error):
                live.hangup(prm)

    def _drain(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            try:
                command()
            except pj.Error as exc:
                log.warning("SIP command failed: %s", exc.info())
        for call in self._ended:
            self._release(call)
        self._ended.clear()

    def _account_config(self) -> pj.AccountConfig:
        config = pj.AccountConfig()
        host = self.settings.public_host or self.settings.host
        port = self.settings.public_port or self.settings.port
        config.idUri = f"sip:bridge@{host}:{port}"
        config.mediaConfig.transportConfig.boundAddress = self.settings.host
        if self.settings.public_host:
            config.mediaConfig.transportConfig.publicAddress = self.settings.public_host
        trunk = self.settings.trunk_uri
        if trunk:
            user = self.settings.trunk_user or "bridge"
            domain = trunk.split("sip:", 1)[-1].split(";", 1)[0]
            config.idUri = f"sip:{user}@{domain.split(':', 1)[0]}"
            config.regConfig.registrarUri = trunk if trunk.startswith("sip") else f"sip:{trunk}"
            config.regConfig.timeoutSec = 300
            credentials = pj.AuthCredInfo(
                "digest", "*", user, 0, self.settings.trunk_password or ""
            )
            config.sipConfig.authCreds.append(credentials)
        return config
