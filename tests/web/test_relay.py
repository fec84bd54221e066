"""The Janus relay of room pages, over both of its transports (janus.js's HTTP calls with long
polls, and one WebSocket): an observer subscribes through it but is never let in as a
publisher; a participant is; a guest not let in and a person removed are refused. A real
Janus, the application in this process (on a real socket for the WebSocket), Janus's API
spoken by hand through `/{login}/room/{secret}/janus/0` as janus.js does."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from onstream.clock import utcnow
from onstream.janus import JanusProcess
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.server import Server

LOGIN, PASSWORD = "rhea", "rhea-secret-12"
TRANSPORTS = ("http", "websocket")


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    process = JanusProcess(tmp_path_factory.mktemp("janus"), admin_key=secrets.token_urlsafe(16))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def app(
    tmp_path: Path, new_database: Callable[[Path], str], janus: JanusProcess
) -> Iterator[AppServer]:
    server = AppServer(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_WEBSOCKET_URLS": janus.ws_url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_RECORDINGS_DIR": str(tmp_path / "recordings"),
        },
    )
    server.start()
    server.add_account(LOGIN, PASSWORD)
    yield server
    server.close()


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest, app: AppServer) -> Iterator[str]:
    """Which of the relay's transports a test's browsers use (the WebSocket needs the
    application on a real socket)."""
    if request.param == "websocket":
        with app.listening():
            yield "websocket"
    else:
        yield "http"


def meeting(
    app: Server, *people: tuple[str, int], owner: tuple[str, str] = (LOGIN, PASSWORD)
) -> dict[str, str]:
    """A session of `owner` that started a minute ago; its invitees' lobby paths by e-mail."""
    start = utcnow() - timedelta(minutes=1)
    invited = [
        {"email": email, "first_name": email.split("@")[0].title(), "role": role,
         "send_email_invitation": 0}
        for email, role in people
    ]  # fmt: skip
    data = {
        "topic": "Lecture",
        "duration": 30,
        "timezone": "UTC",
        "start_time": f"{start:%Y-%m-%d %H:%M:%S}",
        "invited_participants": invited,
    }
    with app.client(f"/api/2/{owner[0]}/", auth=owner) as api:
        session_id = ok(rest(api, "PUT", "session", data), 201)["id"]
        groups = ok(api.get(f"invitees/id/{session_id}/format/json"))
    return {
        p["email"]: urlsplit(p["personal_session_link"]).path
        for group in groups.values()
        for p in group
    }


@dataclass
class Answer:
    """What the relay answered one call: the HTTP status (over the WebSocket: 200, the code
    of a message the relay refused, or 404 once it closed the socket for good) and the body."""

    status_code: int
    body: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return self.body


class Channel(Protocol):
    """One browser's way to Janus through the relay."""

    def call(self, message: dict[str, Any], session: int = 0, handle: int = 0) -> Answer: ...

    def event(self, session: int) -> dict[str, Any]: ...


@dataclass
class HttpChannel:
    """janus.js over HTTP: a POST per call (the ids in the path), long polls for events."""

    client: httpx.Client
    relay: str

    def call(self, message: dict[str, Any], session: int = 0, handle: int = 0) -> Answer:
        path = "/".join([self.relay, *(str(i) for i in (session, handle) if i)])
        answer = self.client.post(path, json={"transaction": secrets.token_hex(4), **message})
        return Answer(answer.status_code, answer.json() if answer.content else {})

    def event(self, session: int) -> dict[str, Any]:
        """The next event of the session (a long poll, as janus.js does)."""
        answer = self.client.get(f"{self.relay}/{session}", params={"maxev": "1"})
        assert answer.status_code == 200, answer.text
        events = answer.json()
        event: dict[str, Any] = events[0] if isinstance(events, list) else events
        return event


@dataclass
class WebSocketChannel:
    """janus.js over the relay's WebSocket: every call a message (the ids in its body), the
    answers and events on the same socket."""

    url: str
    socket: ClientConnection | None = None
    events: deque[dict[str, Any]] = field(default_factory=deque)
    refused: int = 0
    """The HTTP status the handshake got, when it was refused."""
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def open(self) -> WebSocketChannel:
        try:
            opening = connect(self.url, subprotocols=["janus-protocol"], open_timeout=10)  # type: ignore[list-item]
            self.socket = self.stack.enter_context(opening)
        except InvalidStatus as exc:
            self.refused = exc.response.status_code
        return self

    def call(self, message: dict[str, Any], session: int = 0, handle: int = 0) -> Answer:
        if self.socket is None:
            return Answer(self.refused or 404, {})
        transaction = secrets.token_hex(4)
        ids = {"session_id": session} if session else {}
        ids |= {"handle_id": handle} if handle else {}
        try:
            self.socket.send(json.dumps({"transaction": transaction, **message, **ids}))
            while True:
                got = json.loads(self.socket.recv(timeout=20))
                if got.get("transaction") != transaction or got["janus"] == "event":
                    self.events.append(got)
                    continue
                error = got.get("error", {}).get("code") if got["janus"] == "error" else None
                return Answer(error if error in (403, 413) else 200, got)
        except ConnectionClosed as exc:
            # the relay closes for good only a socket no longer in the room (its 404)
            return Answer(404 if exc.rcvd is not None and exc.rcvd.code == 4404 else 502, {})

    def event(self, session: int) -> dict[str, Any]:
        assert self.socket is not None
        while not self.events:
            self.events.append(json.loads(self.socket.recv(timeout=20)))
        event: dict[str, Any] = self.events.popleft()
        assert event.get("session_id") == session, event
        return event

    def closed_by_relay(self) -> bool:
        """Whether the relay closed the socket as no longer in the room (reading what is left)."""
        assert self.socket is not None
        try:
            while True:
                self.events.append(json.loads(self.socket.recv(timeout=20)))
        except ConnectionClosed as exc:
            return exc.rcvd is not None and exc.rcvd.code == 4404


def channel(client: httpx.Client, config: dict[str, Any], transport: str) -> Channel:
    """The relay as a room page with `config` reaches it over `transport`."""
    if transport == "http":
        return HttpChannel(client, config["janus"])
    base = str(client.base_url).rstrip("/").replace("http://", "ws://", 1)
    opened = WebSocketChannel(base + config["janusWebSocket"]).open()
    assert opened.socket is not None, opened.refused
    return opened


@dataclass
class Handle:
    """One VideoRoom handle of a Janus session, reached through a room page's relay."""

    relay: Channel
    session: int
    handle: int
    config: dict[str, Any]

    def send(self, body: dict[str, Any]) -> Answer:
        return self.relay.call({"janus": "message", "body": body}, self.session, self.handle)

    def event(self) -> dict[str, Any]:
        """The next event for this handle."""
        return self.relay.event(self.session)


def handle(client: httpx.Client, lobby: str, transport: str = "http") -> Handle:
    """Enter by the lobby, fetch the join config, open a Janus session with one handle."""
    return room_handle(client, enter(client, lobby), transport)


def enter(client: httpx.Client, lobby: str) -> str:
    """Press the lobby's button; the path of the room page it leads to."""
    entered = client.post(lobby, follow_redirects=False)
    assert entered.status_code == 303, entered.text
    return str(entered.headers["location"])


def room_handle(client: httpx.Client, room: str, transport: str = "http") -> Handle:
    """A fresh join config of a room page, and a Janus session with one handle."""
    config = client.get(f"{room}/join").json()
    relay = channel(client, config, transport)
    session = relay.call({"janus": "create"}).json()["data"]["id"]
    attach = {"janus": "attach", "plugin": "janus.plugin.videoroom"}
    attached = relay.call(attach, session).json()
    return Handle(relay, session, attached["data"]["id"], config)


def publisher_join(h: Handle, request: str = "join") -> dict[str, Any]:
    return {"request": request, "ptype": "publisher", "room": h.config["room"],
            "id": h.config["participant"], "display": h.config["name"],
            "token": h.config["token"]}  # fmt: skip


def test_an_observer_is_never_let_in_as_a_publisher(app: AppServer, transport: str) -> None:
    lobbies = meeting(app, ("pia@example.com", 2), ("oz@example.com", 3))
    with app.client() as pia_client, app.client() as oz_client:
        pia = handle(pia_client, lobbies["pia@example.com"], transport)
        assert pia.config["publish"] is True
        assert pia.send(publisher_join(pia)).json()["janus"] == "ack"
        assert pia.event()["plugindata"]["data"]["videoroom"] == "joined"

        oz = handle(oz_client, lobbies["oz@example.com"], transport)
        assert oz.config["publish"] is False
        for request in ("join", "joinandconfigure"):
            refused = oz.send(publisher_join(oz, request))
            assert refused.status_code == 403
            assert refused.json()["error"]["reason"] == "an observer does not publish"
        # nor by naming the handle in the body instead of the path
        sneaky = {"janus": "message", "body": publisher_join(oz), "handle_id": oz.handle}
        assert oz.relay.call(sneaky, oz.session).status_code == 403
        # nor in a message too large for the relay to read
        padded = publisher_join(oz) | {"display": "x" * 300_000}
        assert oz.send(padded).status_code == 413
        # what an observer's page does is let through: list the publishers, subscribe
        listed = oz.send({"request": "listparticipants", "room": oz.config["room"]}).json()
        people = listed["plugindata"]["data"]["participants"]
        assert [(p["id"], p["publisher"]) for p in people] == [(pia.config["participant"], False)]
        assert oz.relay.call({"janus": "keepalive"}, oz.session).status_code == 200


def test_a_removed_person_is_refused_at_the_next_call(app: AppServer, transport: str) -> None:
    lobbies = meeting(app, ("mo@example.com", 1), ("pia@example.com", 2))
    with app.client() as mo_client, app.client() as pia_client:
        mo_room = enter(mo_client, lobbies["mo@example.com"])
        pia = handle(pia_client, lobbies["pia@example.com"], transport)
        assert pia.send(publisher_join(pia)).json()["janus"] == "ack"
        assert pia.event()["plugindata"]["data"]["videoroom"] == "joined"

        body = {"action": "remove", "participant": pia.config["participant"]}
        assert mo_client.post(f"{mo_room}/moderate", json=body).status_code == 200
        listing = {"request": "listparticipants", "room": pia.config["room"]}
        assert pia.send(listing).status_code == 404
        # and a new connection is refused before it reaches Janus
        if transport == "websocket":
            again = WebSocketChannel(ws_url(app, pia.config)).open()
            assert (again.socket, again.refused) == (None, 403)
        created = HttpChannel(pia_client, pia.config["janus"]).call({"janus": "create"})
        assert created.status_code == 404


def ws_url(app: AppServer, config: dict[str, Any]) -> str:
    return app.base_url.replace("http://", "ws://", 1) + config["janusWebSocket"]


def test_a_disabled_accounts_room_is_refused_until_enabled(app: AppServer, transport: str) -> None:
    lobbies = meeting(app, ("pia@example.com", 2))
    with app.client() as pia_client:
        pia = handle(pia_client, lobbies["pia@example.com"], transport)
        listing = {"request": "listparticipants", "room": pia.config["room"]}
        assert pia.send(listing).status_code == 200

        assert app.cli("user", "disable", LOGIN).returncode == 0
        assert pia.send(listing).status_code == 404  # the open socket too is closed
        if transport == "websocket":
            refused = WebSocketChannel(ws_url(app, pia.config)).open()
            assert (refused.socket, refused.refused) == (None, 403)

        assert app.cli("user", "enable", LOGIN).returncode == 0
        again = room_handle(
            pia_client, urlsplit(pia.config["join"]).path.rsplit("/", 1)[0], transport
        )
        assert again.send(listing).status_code == 200
