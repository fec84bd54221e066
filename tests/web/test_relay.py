"""The Janus relay of room pages: an observer subscribes through it but is never let in as a
publisher; a participant is. A real Janus, the application in this process, Janus's HTTP API
spoken by hand through `/{login}/room/{secret}/janus/0` as janus.js does."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from onstream.clock import utcnow
from onstream.janus import JanusProcess
from tests.support.api import ok, rest
from tests.support.app import AppServer

LOGIN, PASSWORD = "rhea", "rhea-secret-12"


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
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_RECORDINGS_DIR": str(tmp_path / "recordings"),
        },
    )
    server.start()
    server.add_account(LOGIN, PASSWORD)
    yield server
    server.close()


def meeting(
    app: AppServer, *people: tuple[str, int], owner: tuple[str, str] = (LOGIN, PASSWORD)
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
class Handle:
    """One VideoRoom handle of a Janus session, reached through a room page's relay."""

    client: httpx.Client
    session: str
    handle: str
    config: dict[str, Any]

    def send(self, body: dict[str, Any]) -> httpx.Response:
        message = {"janus": "message", "transaction": secrets.token_hex(4), "body": body}
        return self.client.post(self.handle, json=message)

    def event(self) -> dict[str, Any]:
        """The next event for this handle (a long poll, as janus.js does)."""
        answer = self.client.get(self.session, params={"maxev": "1"})
        assert answer.status_code == 200, answer.text
        events = answer.json()
        event: dict[str, Any] = events[0] if isinstance(events, list) else events
        return event


def handle(client: httpx.Client, lobby: str) -> Handle:
    """Enter by the lobby, fetch the join config, open a Janus session with one handle."""
    return room_handle(client, enter(client, lobby))


def enter(client: httpx.Client, lobby: str) -> str:
    """Press the lobby's button; the path of the room page it leads to."""
    entered = client.post(lobby, follow_redirects=False)
    assert entered.status_code == 303, entered.text
    return str(entered.headers["location"])


def room_handle(client: httpx.Client, room: str) -> Handle:
    """A fresh join config of a room page, and a Janus session with one handle."""
    config = client.get(f"{room}/join").json()
    relay = config["janus"]
    created = client.post(relay, json={"janus": "create", "transaction": "c"}).json()
    session = f"{relay}/{created['data']['id']}"
    attach = {"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "a"}
    attached = client.post(session, json=attach).json()
    return Handle(client, session, f"{session}/{attached['data']['id']}", config)


def publisher_join(h: Handle, request: str = "join") -> dict[str, Any]:
    return {"request": request, "ptype": "publisher", "room": h.config["room"],
            "id": h.config["participant"], "display": h.config["name"],
            "token": h.config["token"]}  # fmt: skip


def test_an_observer_is_never_let_in_as_a_publisher(app: AppServer) -> None:
    lobbies = meeting(app, ("pia@example.com", 2), ("oz@example.com", 3))
    with app.client() as pia_client, app.client() as oz_client:
        pia = handle(pia_client, lobbies["pia@example.com"])
        assert pia.config["publish"] is True
        assert pia.send(publisher_join(pia)).json()["janus"] == "ack"
        assert pia.event()["plugindata"]["data"]["videoroom"] == "joined"

        oz = handle(oz_client, lobbies["oz@example.com"])
        assert oz.config["publish"] is False
        for request in ("join", "joinandconfigure"):
            refused = oz.send(publisher_join(oz, request))
            assert refused.status_code == 403
            assert refused.json()["error"]["reason"] == "an observer does not publish"
        # nor by naming the handle in the body instead of the path
        sneaky = {"janus": "message", "transaction": "s", "body": publisher_join(oz),
                  "handle_id": int(oz.handle.rsplit("/", 1)[1])}  # fmt: skip
        assert oz.client.post(oz.session, json=sneaky).status_code == 403
        # what an observer's page does is let through: list the publishers, subscribe
        listed = oz.send({"request": "listparticipants", "room": oz.config["room"]}).json()
        people = listed["plugindata"]["data"]["participants"]
        assert [(p["id"], p["publisher"]) for p in people] == [(pia.config["participant"], False)]
        assert oz.client.get(oz.session, params={"maxev": "1"}).status_code == 200
