"""Viewers of one presenter, and join storms, with synthetic WebRTC peers that never decode.

    scripts/in-netns .venv/bin/python -m bench.viewers [--viewers 10,20,40] [--storm 100]
        [--storm-seconds 10] [--seconds 15] [--procs 2] [--signalling relay,wsrelay,websocket]
        [--servers 2 --per-janus 20]

One Janus and one `onstream serve` (one worker), a session started a minute ago with one
moderator (the presenter) and the viewers as observers (role 3). Every peer joins exactly as
the room page does: POST its personal lobby link, GET the room's `join` config (a fresh
Janus token), then Janus's HTTP API through Onstream's relay (`/{login}/room/{secret}/janus/0`,
long polls included): as an observer's page, one handle that lists the room's publishers and
subscribes to them (no publisher handle).

The peers are aiortc peer connections without decoding: the receiver's decoder thread is
replaced by one that only counts the reassembled VP8 frames (and notes the first one and the
first key frame), so a viewer costs about a percent of a core and dozens of them fit beside
Janus on this 2-core machine (GStreamer's `webrtcbin` is cheaper still, see
../shared/notes/load-peers.md, but is not a dependency of the project; aiortc is). The
presenter is an aiortc peer sending a pre-encoded VP8 file (ffmpeg, 640x360, 30 fps,
500 kbit/s, a key frame a second) at its own pace, without encoding.

It measures and prints

* steady: for each number of viewers, all joined and receiving, a `--seconds` window:
  frames/s and kbit/s each viewer receives, Janus's CPU, Janus's CPU per forwarded stream;
* storm: `--storm` viewers joining at even intervals over `--storm-seconds`: the time from
  pressing the lobby's button (the POST) to the first video frame and to the first key frame,
  p50 / p99 / max and the share over 500 ms, and the CPU of Onstream, Janus and the peers
  meanwhile,

and writes bench/results/viewers.json. `--signalling` says how the viewers speak Janus's API,
one or more of: `relay` (HTTP calls and long polls through Onstream's relay), `wsrelay` (one
WebSocket to Onstream's relay, `.../janus/0/ws`, which the room page tries first) and
`websocket` (Janus's own WebSocket transport, straight to Janus; the lobby and the join
config still come from Onstream). Every round runs once per way, back to back in one run.
`--servers 2` runs two Janus processes with `ONSTREAM_ROOM_VIEWERS_PER_JANUS` =
`--per-janus`, so one room's audience spreads over both (the room's publishers relayed to the
second as remote publishers): each round then also prints, per Janus, the viewers placed
there, those receiving the presenter at full rate and that Janus's CPU.

The peers run in `--procs` worker processes (`python -m bench.viewers --worker`, spoken to
line by line on stdin and stdout: the job, "ready", marks, results). CPU figures
are % of one core from /proc (utime + stime); the machine's own busy share is printed too,
because the box may be shared and other work explains a bad figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import queue
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.config import RESULTS
from bench.proc import cpu_seconds, janus_pid, machine_busy
from bench.servers import Server, base_env, free_port, onstream_argv
from onstream.janus.process import JanusProcess

OWNER = ("bench", "bench-password-1")
RESULT_PATH = RESULTS / "viewers.json"
FPS = 30
SLOW_JOIN_S = 0.5
SETTLE_S = 3.0
"""Seconds between everybody receiving and the steady sample."""
SIGNALLING = frozenset({"relay", "wsrelay", "websocket"})
JOIN_LIMIT_S = 60.0
"""A viewer that has no frame this long after its POST counts as failed."""


# --- Janus over Onstream's relay ---------------------------------------------------------------


class JanusSession:
    """One Janus session through the relay: requests, plugin messages, one long poll."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url
        self.id = 0
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._poll: asyncio.Task[None] | None = None
        self.closed = False

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body["transaction"] = body.get("transaction") or secrets.token_hex(6)
        answer = await self.http.post(self.url + path, content=orjson.dumps(body))
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        if data.get("janus") == "error":
            raise RuntimeError(f"janus: {data['error']}")
        return data

    async def create(self) -> None:
        self.id = int((await self._post("", {"janus": "create"}))["data"]["id"])
        self._poll = asyncio.ensure_future(self._long_poll())

    async def attach(self) -> int:
        body = {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        return int((await self._post(f"/{self.id}", body))["data"]["id"])

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a plugin message and wait for its event (the plugin data and any jsep)."""
        transaction = secrets.token_hex(6)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = waiter
        request: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self._post(f"/{self.id}/{handle}", request)
        if answer.get("janus") == "success":  # a synchronous request
            self._waiting.pop(transaction, None)
            return answer
        return await asyncio.wait_for(waiter, 30)

    async def _long_poll(self) -> None:
        while not self.closed:
            try:
                answer = await self.http.get(f"{self.url}/{self.id}", params={"maxev": "10"})
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if answer.status_code != 200:
                return
            events = answer.json()
            for event in events if isinstance(events, list) else [events]:
                waiter = self._waiting.pop(event.get("transaction", ""), None)
                if waiter is not None and not waiter.done() and event.get("janus") == "event":
                    waiter.set_result(event)

    async def destroy(self) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            await self._post(f"/{self.id}", {"janus": "destroy"})
        if self._poll is not None:
            self._poll.cancel()


class JanusWebSocket(JanusSession):
    """The same session over a WebSocket, to Onstream's relay or straight to Janus: one
    socket per session carries requests, answers and events."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        super().__init__(http, url)
        self._socket: Any = None
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body["transaction"] = body.get("transaction") or secrets.token_hex(6)
        parts = [int(p) for p in path.split("/") if p]
        if parts:
            body["session_id"] = parts[0]
        if len(parts) > 1:
            body["handle_id"] = parts[1]
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[body["transaction"]] = answer
        await self._socket.send(orjson.dumps(body).decode())
        data = await asyncio.wait_for(answer, 30)
        if data.get("janus") == "error":
            raise RuntimeError(f"janus: {data['error']}")
        return data

    async def create(self) -> None:
        import websockets

        self._socket = await websockets.connect(self.url, subprotocols=["janus-protocol"])
        self._poll = asyncio.ensure_future(self._long_poll())
        self.id = int((await self._post("", {"janus": "create"}))["data"]["id"])

    async def _long_poll(self) -> None:
        async for text in self._socket:
            event = orjson.loads(text)
            transaction = event.get("transaction", "")
            kind = event.get("janus")
            if kind == "event":
                waiter = self._waiting.pop(transaction, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(event)
            elif kind in ("success", "ack", "error"):
                answer = self._answers.pop(transaction, None)
                if answer is not None and not answer.done():
                    answer.set_result(event)

    async def destroy(self) -> None:
        with contextlib.suppress(Exception):
            await self._post(f"/{self.id}", {"janus": "destroy"})
        self.closed = True
        if self._socket is not None:
            await self._socket.close()
        if self._poll is not None:
            self._poll.cancel()


async def enter(http: httpx.AsyncClient, base: str, link: str) -> dict[str, Any]:
    """Press the lobby's button and fetch the room's join config, as the room page does."""
    path = "/" + link.split("/", 3)[3]
    entered = await http.post(base + path)
    if entered.status_code != 303:
        raise RuntimeError(f"lobby POST answered {entered.status_code}")
    room = entered.headers["location"]
    room = room if room.startswith("/") else "/" + room.split("/", 3)[3]
    config = await http.get(f"{base}{room}/join")
    config.raise_for_status()
    result: dict[str, Any] = config.json()
    result["janus"] = base + result["janus"]
    return result


def jsep_of(description: Any) -> dict[str, Any]:
    return {"type": description.type, "sdp": description.sdp, "trickle": False}


# --- the peers (in a worker process) -----------------------------------------------------------

COUNTERS: dict[int, list[float]] = {}
"""id(track queue) -> [first frame at, first key frame at, frames, bytes]: what the
replacement decoder thread saw."""


def counting_worker(
    loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any], output_q: Any, _error: Any
) -> None:
    """aiortc's decoder thread, without the decoder: counts frames, never decodes."""
    counter = COUNTERS.setdefault(id(output_q), [0.0, 0.0, 0, 0])
    while True:
        task = input_q.get()
        if task is None:
            asyncio.run_coroutine_threadsafe(output_q.put(None), loop)
            return
        _codec, frame = task
        now = time.time()
        if not counter[0]:
            counter[0] = now
        if not counter[1] and frame.data and not frame.data[0] & 0x01:  # VP8 key frame
            counter[1] = now
        counter[2] += 1
        counter[3] += len(frame.data)


@dataclass
class Viewer:
    link: str
    at: float
    """When to press the lobby's button (time.time())."""
    pressed: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    """When each step of the join ended: config, janus (joined), offer, answered."""
    counter: list[float] = field(default_factory=lambda: [0.0, 0.0, 0, 0])
    error: str = ""
    server: int = -1
    """The Janus (`/janus/{n}`) the join config placed the viewer on."""
    session: JanusSession | None = None
    pc: Any = None


async def join_viewer(
    http: httpx.AsyncClient, base: str, viewer: Viewer, signalling: str, websocket: str | None
) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    await asyncio.sleep(max(0.0, viewer.at - time.time()))
    viewer.pressed = time.time()
    config = await enter(http, base, viewer.link)
    viewer.steps["config"] = time.time()
    viewer.server = int(str(config["janus"]).rstrip("/").rsplit("/", 1)[1])
    if signalling == "websocket" and websocket:
        session: JanusSession = JanusWebSocket(http, websocket)
    elif signalling == "wsrelay":
        relayed = base.replace("http://", "ws://", 1) + config["janusWebSocket"]
        session = JanusWebSocket(http, relayed)
    else:
        session = JanusSession(http, config["janus"])
    viewer.session = session
    await session.create()
    lister = await session.attach()
    listed = await session.message(lister, {"request": "listparticipants", "room": config["room"]})
    feeds = [p["id"] for p in listed["plugindata"]["data"]["participants"] if p["publisher"]]
    viewer.steps["janus"] = time.time()
    if not feeds:
        raise RuntimeError("no presenter in the room")
    offer = await session.message(
        lister,
        {"request": "join", "ptype": "subscriber", "room": config["room"],
         "token": config["token"], "streams": [{"feed": feed} for feed in feeds]},
    )  # fmt: skip
    viewer.steps["offer"] = time.time()
    pc = viewer.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    @pc.on("track")
    def on_track(track: Any) -> None:
        viewer.counter = COUNTERS.setdefault(id(track._queue), viewer.counter)

    await pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
    await pc.setLocalDescription(await pc.createAnswer())
    await session.message(
        lister, {"request": "start", "room": config["room"]}, jsep_of(pc.localDescription)
    )
    viewer.steps["answered"] = time.time()


async def run_worker() -> None:
    """A worker process: one JSON job line on stdin (base URL, viewers with their times);
    joins them, prints "ready" once each receives (or failed, or `JOIN_LIMIT_S` passed),
    then answers "mark NAME" (keeps every viewer's counters) with "ok", and "stop" with one
    JSON line: each viewer's times, marks and error."""
    import aiortc.rtcrtpreceiver

    aiortc.rtcrtpreceiver.decoder_worker = counting_worker  # type: ignore[assignment]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    job = orjson.loads(await reader.readline())
    viewers = [Viewer(link, at) for link, at in job["viewers"]]
    limits = httpx.Limits(max_connections=4 * len(viewers) + 10, max_keepalive_connections=None)
    timeout = httpx.Timeout(30.0, read=70.0)
    marks: dict[str, list[list[float]]] = {}

    def say(line: bytes) -> None:
        sys.stdout.buffer.write(line + b"\n")
        sys.stdout.buffer.flush()

    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:

        async def one(viewer: Viewer) -> None:
            try:
                await join_viewer(
                    http, job["base"], viewer, job["signalling"], job.get("websocket")
                )
            except Exception as exc:  # noqa: BLE001  # reported per viewer
                viewer.error = f"{type(exc).__name__}: {exc}"[:200]

        await asyncio.gather(*(one(v) for v in viewers))
        deadline = time.time() + JOIN_LIMIT_S
        while time.time() < deadline and not all(v.error or v.counter[0] for v in viewers):  # noqa: ASYNC110  # counters set by threads
            await asyncio.sleep(0.2)
        say(b"ready")
        while line := (await reader.readline()).decode().split():
            if line[0] == "mark":
                marks[line[1]] = [list(v.counter) for v in viewers]
                say(b"ok")
            else:
                break
        for viewer in viewers:
            if viewer.pc is not None:
                with contextlib.suppress(Exception):
                    await viewer.pc.close()
            if viewer.session is not None:
                await viewer.session.destroy()
    say(
        orjson.dumps(
            [
                {
                    "pressed": v.pressed,
                    "steps": v.steps,
                    "first": v.counter[0],
                    "key": v.counter[1],
                    "marks": {n: m[i] for n, m in marks.items()},
                    "error": v.error,
                    "server": v.server,
                }
                for i, v in enumerate(viewers)
            ]
        )
    )


# --- the presenter -----------------------------------------------------------------------------


def encode_clip(path: Path) -> list[tuple[bytes, bool]]:
    """A 10-second VP8 clip (640x360, 30 fps, 500 kbit/s, key frame every 30): its frames."""
    import av

    if path.exists():
        with av.open(str(path)) as container:
            return [(bytes(p), bool(p.is_keyframe)) for p in container.demux(video=0) if p.size]
    subprocess.run(  # noqa: S603  # our own command line
        [shutil.which("ffmpeg") or "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size=640x360:rate={FPS}", "-t", "10", "-c:v", "libvpx",
         "-b:v", "500k", "-deadline", "realtime", "-g", str(FPS), str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    with av.open(str(path)) as container:
        return [(bytes(p), bool(p.is_keyframe)) for p in container.demux(video=0) if p.size]


def clip_track(frames: list[tuple[bytes, bool]]) -> Any:
    """A video track handing out the clip's encoded frames at 30 fps, looping, never encoding.

    Like a browser's encoder it answers a key frame request (Janus asks for one for every new
    subscriber): the next frame it sends is the clip's next key frame, so a viewer waits for
    the request's round trip, not for the clip's own key frame interval."""
    import av
    from aiortc import MediaStreamTrack

    class Clip(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.start = 0.0
            self.index = 0
            self.position = 0
            self.sender: Any = None

        async def recv(self) -> Any:
            if not self.start:
                self.start = time.monotonic()
            await asyncio.sleep(max(0.0, self.start + self.index / FPS - time.monotonic()))
            if self.sender is not None and self.sender._RTCRtpSender__force_keyframe:
                self.sender._RTCRtpSender__force_keyframe = False
                while not frames[self.position % len(frames)][1]:
                    self.position += 1
            data, _key = frames[self.position % len(frames)]
            self.position += 1
            packet = av.Packet(data)
            packet.pts = self.index * (90000 // FPS)
            packet.time_base = Fraction(1, 90000)
            self.index += 1
            return packet

    return Clip()


async def present(http: httpx.AsyncClient, base: str, link: str, clip: list[Any]) -> Any:
    """The presenter joins and publishes the clip; returns its peer connection and session."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

    config = await enter(http, base, link)
    session = JanusSession(http, config["janus"])
    await session.create()
    handle = await session.attach()
    await session.message(
        handle,
        {"request": "join", "ptype": "publisher", "room": config["room"],
         "id": config["participant"], "display": config["name"], "token": config["token"]},
    )  # fmt: skip
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = clip_track(clip)
    transceiver = pc.addTransceiver(track, direction="sendonly")
    track.sender = transceiver.sender
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name == "VP8"]
    transceiver.setCodecPreferences(vp8)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await session.message(
        handle,
        {"request": "configure", "audio": False, "video": True},
        jsep_of(pc.localDescription),
    )
    await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
    return pc, session


# --- the rig -----------------------------------------------------------------------------------


@dataclass
class Rig:
    janus: JanusProcess
    """The first Janus (`ONSTREAM_JANUS_URLS` lists it first)."""
    server: Server
    owner: httpx.Client
    work: Path
    websocket: str | None = None
    """Janus's own WebSocket URL (for `--signalling websocket`)."""
    others: list[JanusProcess] = field(default_factory=list)
    """The other Janus processes (`--servers`), in the order the URLs list them."""

    @property
    def all_janus(self) -> list[JanusProcess]:
        return [self.janus, *self.others]

    def session(self, viewers: int) -> tuple[str, list[str]]:
        """A session that started a minute ago: the presenter's link and the viewers'."""
        start = datetime.now(UTC) - timedelta(minutes=1)
        invitees = [{"email": "presenter@example.com", "first_name": "Presenter", "role": 1,
                     "send_email_invitation": 0}] + [
            {"email": f"v{i}@example.com", "first_name": f"V{i}", "role": 3,
             "send_email_invitation": 0}
            for i in range(viewers)
        ]  # fmt: skip
        data = {
            "topic": f"Viewers bench, {viewers}",
            "duration": 120,
            "timezone": "UTC",
            "start_time": f"{start:%Y-%m-%d %H:%M:%S}",
            "invited_participants": invitees,
        }
        body = {"input_type": "json", "rest_data": orjson.dumps(data).decode()}
        created = self.owner.put("session/format/json", data=body)
        if created.status_code != 201:
            raise RuntimeError(f"PUT session answered {created.status_code}: {created.text}")
        groups = self.owner.get(f"invitees/id/{created.json()['id']}/format/json").json()
        people = [p for group in groups.values() for p in group]
        presenter = [p["personal_session_link"] for p in people if p["email"].startswith("pr")]
        others = [p["personal_session_link"] for p in people if not p["email"].startswith("pr")]
        return presenter[0], others


@contextlib.contextmanager
def rig(*, servers: int = 1, per_janus: int = 300, event_loops: int | None = None) -> Iterator[Rig]:
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-viewers-")))
        recordings = work / "recordings"
        janus = JanusProcess(work / "janus", recordings_dir=recordings, event_loops=event_loops)
        janus.start()
        stack.callback(janus.stop)
        others = [
            JanusProcess(
                work / f"janus{n}",
                recordings_dir=recordings,
                admin_key=janus.admin_key,
                event_loops=event_loops,
            ).start()
            for n in range(1, servers)
        ]
        for other in others:
            stack.callback(other.stop)
        port = free_port()
        env = base_env(
            f"sqlite:///{work / 'onstream.db'}",
            {
                "ONSTREAM_JANUS_URLS": ",".join(j.url for j in [janus, *others]),
                "ONSTREAM_JANUS_WEBSOCKET_URLS": ",".join(j.ws_url for j in [janus, *others]),
                "ONSTREAM_ROOM_VIEWERS_PER_JANUS": str(per_janus),
                "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
                "ONSTREAM_RECORDINGS_DIR": str(recordings),
                "ONSTREAM_BASE_URL": f"http://127.0.0.1:{port}",
                # every peer talks from 127.0.0.1; real viewers come from an address each
                "ONSTREAM_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            },
        )
        login, password = OWNER
        added = subprocess.run(  # noqa: S603  # our own command line
            [sys.executable, "-m", "onstream", "user", "add", login,
             "--email", "bench@example.com", "--password", password],
            cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if added.returncode != 0:
            raise RuntimeError(f"onstream user add failed: {added.stderr}")
        server = Server("onstream", onstream_argv(port, 1), env, port, work)
        stack.callback(server.stop)
        server.start()
        owner = stack.enter_context(
            httpx.Client(base_url=f"{server.base_url}/api/2/{login}/", auth=OWNER, timeout=30)
        )
        yield Rig(janus, server, owner, work, janus.ws_url, others)


class Cpu:
    """CPU seconds of process groups between two readings."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.first = {name: self._read(pids) for name, pids in groups.items()}
        self.busy0, self.total0 = machine_busy()
        self.t0 = time.monotonic()

    @staticmethod
    def _read(pids: list[int]) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in pids}

    def percent(self) -> dict[str, float]:
        """% of one core per group since creation, and the machine's busy % of all cores."""
        seconds = time.monotonic() - self.t0
        out = {}
        for name, pids in self.groups.items():
            now = self._read(pids)
            used = sum(now[p] - self.first[name].get(p, 0.0) for p in pids)
            out[name] = round(100 * used / seconds, 1)
        busy, total = machine_busy()
        out["machine_all_cores"] = round(100 * (busy - self.busy0) / (total - self.total0), 1)
        return out


class Workers:
    """The worker processes of one round, spoken to line by line."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs
        self.pids = [p.pid for p in procs]

    @classmethod
    async def start(cls, jobs: list[dict[str, Any]]) -> Workers:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.viewers", "--worker",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            )
            for _ in jobs
        ]  # fmt: skip
        for proc, job in zip(procs, jobs, strict=True):
            assert proc.stdin is not None
            proc.stdin.write(orjson.dumps(job) + b"\n")
            await proc.stdin.drain()
        return cls(procs)

    async def _all(self, command: bytes | None) -> list[bytes]:
        async def one(proc: asyncio.subprocess.Process) -> bytes:
            assert proc.stdin is not None
            assert proc.stdout is not None
            if command is not None:
                proc.stdin.write(command + b"\n")
                await proc.stdin.drain()
            return await proc.stdout.readline()

        return list(await asyncio.gather(*(one(p) for p in self.procs)))

    async def ready(self) -> None:
        await self._all(None)

    async def mark(self, name: str) -> None:
        await self._all(f"mark {name}".encode())

    async def stop(self) -> list[dict[str, Any]]:
        lines = await self._all(b"stop")
        for proc in self.procs:
            await proc.wait()
        return [r for line in lines for r in orjson.loads(line)]


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def scenario(
    the_rig: Rig,
    clip: list[Any],
    viewers: int,
    *,
    spread: float,
    hold: float,
    procs: int,
    signalling: str,
) -> dict[str, Any]:
    """Join `viewers` over `spread` seconds, then sample `hold` seconds once all receive."""
    presenter_link, links = the_rig.session(viewers)
    base = the_rig.server.base_url
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=70.0)) as http:
        pc, session = await present(http, base, presenter_link, clip)
        await asyncio.sleep(2.0)  # the presenter's ICE and DTLS, its first key frame
        start = time.time() + 5.0  # the workers import aiortc first
        timed = [(link, start + spread * i / viewers) for i, link in enumerate(links)]
        workers = await Workers.start(
            [
                {
                    "base": base,
                    "viewers": part,
                    "signalling": signalling,
                    "websocket": the_rig.websocket,
                }
                for part in split(timed, procs)
            ]
        )
        pids = [janus_pid(j.directory) for j in the_rig.all_janus]
        groups = {"janus": pids, "onstream": the_rig.server.pids(), "peers": workers.pids}
        if len(pids) > 1:
            groups |= {f"janus{n}": [pid] for n, pid in enumerate(pids)}
        await asyncio.sleep(max(0.0, start - time.time()))
        joins_cpu = Cpu(groups)
        await workers.ready()
        joins_s = time.time() - start
        during_joins = joins_cpu.percent()
        await asyncio.sleep(SETTLE_S)
        await workers.mark("a")
        steady_cpu = Cpu(groups)
        await asyncio.sleep(hold)
        await workers.mark("b")
        steady = steady_cpu.percent()
        seconds = time.monotonic() - steady_cpu.t0
        results = await workers.stop()
        await pc.close()
        await session.destroy()
    ok = [r for r in results if not r["error"] and r["first"]]
    first = [r["first"] - r["pressed"] for r in ok]
    key = [r["key"] - r["pressed"] for r in ok if r["key"]]
    rates = [
        ((r["marks"]["b"][2] - r["marks"]["a"][2]) / seconds,
         8 * (r["marks"]["b"][3] - r["marks"]["a"][3]) / seconds / 1000)
        for r in ok
    ]  # fmt: skip
    receiving = [fps for fps, _ in rates if fps > FPS * 0.8]
    errors = sorted({r["error"] for r in results if r["error"]})
    steps = {
        name: _spread([r["steps"][name] - r["pressed"] for r in ok if name in r["steps"]])
        for name in ("config", "janus", "offer", "answered")
    }
    per_server = {
        str(n): {
            "viewers": sum(1 for r in results if r["server"] == n),
            "full_rate": sum(
                1
                for r, (fps, _) in zip(ok, rates, strict=True)
                if r["server"] == n and fps > FPS * 0.8
            ),
            "janus_cpu": steady[f"janus{n}"],
        }
        for n in range(len(the_rig.all_janus))
        if len(the_rig.all_janus) > 1
    }
    return {
        "signalling": signalling,
        "viewers": viewers,
        "spread_s": spread,
        "per_server": per_server,
        "joins_s": round(joins_s, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "joined": len(ok),
        "errors": errors[:5],
        "first_frame_s": _spread(first),
        "first_key_s": _spread(key),
        "steps_s": steps,
        "slow_joins_pct": round(100 * sum(f > SLOW_JOIN_S for f in first) / max(1, len(first)), 1),
        "fps_median": round(statistics.median([f for f, _ in rates]), 1) if rates else None,
        "fps_min": round(min(f for f, _ in rates), 1) if rates else None,
        "kbps_median": round(statistics.median([k for _, k in rates])) if rates else None,
        "full_rate": len(receiving),
        "cpu_joins": during_joins,
        "cpu_steady": steady,
        "janus_per_stream_pct": round(steady["janus"] / max(1, len(ok)), 2),
        # Onstream's CPU time for the whole storm (lobby, join config, signalling) per join
        "onstream_ms_per_join": round(10 * during_joins["onstream"] * joins_s / max(1, len(ok))),
    }


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "p50": round(pct(values, 0.5), 3),
        "p99": round(pct(values, 0.99), 3),
        "max": round(max(values), 3),
    }


def row(r: dict[str, Any]) -> str:
    first = r["first_frame_s"] or {}
    return (
        f"| {r['signalling']} | {r['viewers']} in {r['spread_s']:g} s | {r['joined']} | "
        f"{r['full_rate']} | "
        f"{r['fps_median']} / {r['fps_min']} | {r['kbps_median']} | "
        f"{first.get('p50')} / {first.get('p99')} s | {r['slow_joins_pct']} % | "
        f"{r['cpu_steady']['janus']} % | {r['janus_per_stream_pct']} % | "
        f"{r['cpu_joins']['onstream']} % | {r['onstream_ms_per_join']} ms | "
        f"{r['cpu_joins']['janus']} % | "
        f"{r['cpu_steady']['peers']} % | {r['cpu_steady']['machine_all_cores']} % |"
    )


HEADER = (
    "| signalling | viewers joining | joined | at full rate | fps median / min | kbit/s "
    "| first frame p50 / p99 | joins > 0.5 s | Janus CPU | Janus per stream | Onstream CPU (joins) "
    "| Onstream CPU per join | Janus CPU (joins) | peers CPU | machine busy |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: |"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.viewers", description=__doc__)
    parser.add_argument("--viewers", default="10,20,40", help="steady rounds, comma-separated")
    parser.add_argument("--steady-spread", type=float, default=10.0)
    parser.add_argument("--storm", type=int, default=100, help="join storm size (0: none)")
    parser.add_argument("--storm-seconds", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0, help="steady sample window")
    parser.add_argument("--procs", type=int, default=2, help="worker processes for the peers")
    parser.add_argument(
        "--signalling", default="relay",
        help="comma-separated ways the viewers speak to Janus: relay (long polls through "
        "Onstream), wsrelay (a WebSocket through Onstream), websocket (straight to Janus)",
    )  # fmt: skip
    parser.add_argument(
        "--janus-event-loops", type=int, default=None,
        help="Janus's static event loops (default one a core; 0: a thread per handle)",
    )  # fmt: skip
    parser.add_argument("--servers", type=int, default=1, help="Janus processes (relay only)")
    parser.add_argument(
        "--per-janus", type=int, default=300, help="ONSTREAM_ROOM_VIEWERS_PER_JANUS"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(run_worker())
        return 0
    rounds = [(int(n), args.steady_spread) for n in args.viewers.split(",") if n.strip()]
    if args.storm:
        rounds.append((args.storm, args.storm_seconds))
    ways = [w.strip() for w in args.signalling.split(",") if w.strip()]
    unknown = set(ways) - SIGNALLING
    if unknown or not ways:
        parser.error(f"--signalling: one or more of {', '.join(sorted(SIGNALLING))}")
    results = []
    if "websocket" in ways and args.servers > 1:
        parser.error("--servers needs --signalling relay or wsrelay")
    with rig(
        servers=args.servers, per_janus=args.per_janus, event_loops=args.janus_event_loops
    ) as the_rig:
        RESULTS.mkdir(parents=True, exist_ok=True)
        clip = encode_clip(RESULTS / "viewers-clip.webm")  # made once, then reused
        for viewers, spread in rounds:
            for way in ways:
                result = asyncio.run(
                    scenario(the_rig, clip, viewers, spread=spread, hold=args.seconds,
                             procs=args.procs, signalling=way)
                )  # fmt: skip
                results.append(result)
                print(json.dumps(result), flush=True)
        janus_version = httpx.get(f"{the_rig.janus.url}/info", timeout=5).json()
    print(HEADER)
    for r in results:
        print(row(r))
    for r in results:
        for n, on in r["per_server"].items():
            print(
                f"{r['viewers']} viewers, Janus {n}: {on['viewers']} placed, "
                f"{on['full_rate']} receiving the presenter at full rate, "
                f"Janus CPU {on['janus_cpu']} %"
            )
    path = RESULT_PATH if args.servers == 1 else RESULTS / f"viewers-{args.servers}-janus.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        orjson.dumps(
            {"at": datetime.now(UTC).isoformat(), "machine": platform.node(),
             "cpus": os.cpu_count(), "janus": janus_version.get("version_string"),
             "procs": args.procs, "signalling": ways, "seconds": args.seconds,
             "servers": args.servers, "per_janus": args.per_janus,
             "janus_event_loops": args.janus_event_loops,
             "rounds": results},
            option=orjson.OPT_INDENT_2,
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
