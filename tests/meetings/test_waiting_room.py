"""A session's waiting room: guests of the public link knock and get nothing to join Janus
with until a moderator admits them; a denied guest stays out of that meeting; invitees and
the owner enter directly. A real Janus, the application in this process, pages over HTTP,
the relay over both of its transports."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.web.test_relay import WebSocketChannel

from onstream.clock import utcnow
from onstream.janus import JanusProcess

LOGIN, PASSWORD = "wren", "wren-secret-12"
WAITING = "You are waiting for a moderator to let you in."
DENIED = "A moderator did not let you into this meeting."
PASSCODE = "open-sesame"


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    process = JanusProcess(tmp_path_factory.mktemp("janus"), admin_key=secrets.token_urlsafe(16))
    process.start()
    yield process
    process.stop()


@dataclass(frozen=True)
class Meeting:
    """One session that started a minute ago: its id and the paths of its lobbies."""

    id: int
    host: str
    public: str
    personal: dict[str, str]


@dataclass
class Site:
    """The application with its rooms on a real Janus, and one owner's API client."""

    app: AppServer
    api: httpx.Client

    def meeting(self, **fields: Any) -> Meeting:
        start = utcnow() - timedelta(minutes=1)
        data = {"topic": "Office hours", "duration": 30, "timezone": "UTC"}
        data |= {"start_time": f"{start:%Y-%m-%d %H:%M:%S}", "password": PASSCODE, **fields}
        session_id = ok(rest(self.api, "PUT", "session", data), 201)["id"]
        found = ok(
            self.api.get(f"session/id/{session_id}/return/host_link;session_link/format/json")
        )["sessions"][0]
        groups = ok(self.api.get(f"invitees/id/{session_id}/format/json"))
        personal = {
            person["email"]: urlsplit(person["personal_session_link"]).path
            for group in groups.values()
            for person in group
        }
        return Meeting(
            id=session_id,
            host=urlsplit(found["host_link"]).path,
            public=urlsplit(found["session_link"]).path,
            personal=personal,
        )


def janus_env(janus: JanusProcess, workdir: Path) -> dict[str, str]:
    return {
        "ONSTREAM_JANUS_URLS": janus.url,
        "ONSTREAM_JANUS_WEBSOCKET_URLS": janus.ws_url,
        "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
        "ONSTREAM_RECORDINGS_DIR": str(workdir / "recordings"),
    }


@pytest.fixture
def site(
    tmp_path: Path, new_database: Callable[[Path], str], janus: JanusProcess
) -> Iterator[Site]:
    app = AppServer(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env=janus_env(janus, tmp_path),
    )
    app.start()
    app.add_account(LOGIN, PASSWORD)
    with app.listening(), app.client(f"/api/2/{LOGIN}/", auth=(LOGIN, PASSWORD)) as api:
        yield Site(app, api)
    app.close()


def enter(client: httpx.Client, lobby: str, form: dict[str, str] | None = None) -> str:
    """Press "Join now" on a lobby; the path of the room page it leads to."""
    entered = client.post(lobby, data=form or {}, follow_redirects=False)
    assert entered.status_code == 303, entered.text
    return str(entered.headers["location"])


def knock(client: httpx.Client, meeting: Meeting, name: str) -> str:
    return enter(client, meeting.public, {"name": name, "passcode": PASSCODE})


def joined(client: httpx.Client, room: str) -> dict[str, Any]:
    """The join config of a room page that may join Janus now."""
    answer = client.get(f"{room}/join")
    assert answer.status_code == 200, answer.text
    config: dict[str, Any] = answer.json()
    assert config["token"]
    return config


def refused_while_waiting(client: httpx.Client, room: str) -> None:
    """A waiting guest's endpoints give nothing to join with, nor who is in the room."""
    answer = client.get(f"{room}/join")
    assert answer.status_code == 403
    assert answer.json() == {"error": WAITING, "reason": "waiting"}
    assert client.get(f"{room}/people").status_code == 403
    page = client.get(room)
    assert page.status_code == 200
    config = page_config(page.text)
    assert config["waiting"] is True
    assert not {"token", "room"} & set(config)
    relay_refuses(client, room)


def relay_refuses(client: httpx.Client, room: str) -> None:
    """Both of the relay's transports refuse the room's address."""
    relayed = client.post(f"{room}/janus/0", json={"janus": "create", "transaction": "t"})
    assert relayed.status_code in (403, 404)
    base = str(client.base_url).rstrip("/").replace("http://", "ws://", 1)
    socket = WebSocketChannel(f"{base}{room}/janus/0/ws").open()
    assert (socket.socket, socket.refused) == (None, 403)


def page_config(html: str) -> dict[str, Any]:
    """The join config a room page carries."""
    found = re.search(r'<script type="application/json" id="room-config">(.*?)</script>', html)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def waiting(client: httpx.Client, room: str) -> list[dict[str, Any]]:
    body = client.get(f"{room}/people").json()
    return list(body["waiting"])


def moderate(client: httpx.Client, room: str, **body: Any) -> httpx.Response:
    return client.post(f"{room}/moderate", json=body)


def test_a_knocking_guest_gets_credentials_only_once_admitted(site: Site) -> None:
    meeting = site.meeting(waiting_room=1)
    with site.app.client() as host, site.app.client() as guest:
        host_room = enter(host, meeting.host)  # the owner enters directly
        joined(host, host_room)
        guest_room = knock(guest, meeting, "Gus")
        refused_while_waiting(guest, guest_room)

        knocks = waiting(host, host_room)
        assert [(p["name"], p["role"]) for p in knocks] == [("Gus", "participant")]
        gus = knocks[0]["participant"]
        people = host.get(f"{host_room}/people").json()["people"]
        assert gus not in [p["participant"] for p in people]

        assert moderate(host, host_room, action="admit", participant=gus).status_code == 200
        config = joined(guest, guest_room)
        assert config["participant"] == gus
        assert waiting(host, host_room) == []
        people = host.get(f"{host_room}/people").json()["people"]
        assert gus in [p["participant"] for p in people]
        # answering a knock twice is a clear error that changes nothing
        again = moderate(host, host_room, action="deny", participant=gus)
        assert again.status_code == 400
        assert again.json() == {"error": "That person is not waiting."}
        joined(guest, guest_room)


def test_a_denied_guest_stays_out_until_let_back_in(site: Site) -> None:
    meeting = site.meeting(waiting_room=1)
    with site.app.client() as host, site.app.client() as guest:
        host_room = enter(host, meeting.host)
        joined(host, host_room)
        guest_room = knock(guest, meeting, "Dora")
        dora = waiting(host, host_room)[0]["participant"]

        assert moderate(host, host_room, action="deny", participant=dora).status_code == 200
        answer = guest.get(f"{guest_room}/join")
        assert answer.status_code == 403
        assert answer.json() == {"error": DENIED, "reason": "denied"}
        page = guest.get(guest_room)  # a reload says so too, with nothing to join with
        assert page.status_code == 403
        assert "A moderator did not let you in" in page.text
        assert 'id="room-config"' not in page.text
        relay_refuses(guest, guest_room)
        # her browser is refused by the lobby, like a removed guest's
        assert guest.post(meeting.public, data={"name": "Dora", "passcode": PASSCODE},
                          follow_redirects=False).status_code == 403  # fmt: skip
        people = host.get(f"{host_room}/people").json()
        assert people["waiting"] == []
        assert [p["participant"] for p in people["removed"]] == [dora]
        assert dora not in [p["participant"] for p in people["people"]]

        # "Let back in": she may knock again (and waits again)
        assert moderate(host, host_room, action="readmit", participant=dora).status_code == 200
        again = knock(guest, meeting, "Dora")
        refused_while_waiting(guest, again)
        assert [p["name"] for p in waiting(host, host_room)] == ["Dora"]


def test_invitees_enter_directly_and_only_moderators_answer_knocks(site: Site) -> None:
    people = [
        {"email": "mo@example.com", "first_name": "Mo", "role": 1},
        {"email": "pat@example.com", "first_name": "Pat", "role": 2},
    ]
    meeting = site.meeting(waiting_room=1, invited_participants=people)
    with site.app.client() as mo, site.app.client() as pat, site.app.client() as guest:
        mo_room = enter(mo, meeting.personal["mo@example.com"])
        pat_room = enter(pat, meeting.personal["pat@example.com"])
        joined(mo, mo_room)
        joined(pat, pat_room)
        guest_room = knock(guest, meeting, "Gil")
        gil = waiting(mo, mo_room)[0]["participant"]  # an invited moderator sees the knock
        assert "waiting" not in pat.get(f"{pat_room}/people").json()
        assert moderate(pat, pat_room, action="admit", participant=gil).status_code == 403
        assert moderate(guest, guest_room, action="admit", participant=gil).status_code == 403
        refused_while_waiting(guest, guest_room)
        # the moderator of another meeting cannot answer this one's knocks
        other = site.meeting()
        with site.app.client() as stranger:
            stranger_room = enter(stranger, other.host)
            joined(stranger, stranger_room)
            answer = moderate(stranger, stranger_room, action="admit", participant=gil)
            assert answer.status_code == 400
            assert waiting(stranger, stranger_room) == []
        refused_while_waiting(guest, guest_room)
        assert moderate(mo, mo_room, action="admit", participant=gil).status_code == 200
        joined(guest, guest_room)


def test_one_knock_per_browser_and_off_means_straight_in(site: Site) -> None:
    meeting = site.meeting(waiting_room=1)
    with site.app.client() as host, site.app.client() as guest:
        host_room = enter(host, meeting.host)
        joined(host, host_room)
        first = knock(guest, meeting, "Hal")
        second = knock(guest, meeting, "Hal")  # pressed "Join now" again
        assert guest.get(f"{first}/join").status_code == 404
        assert [p["name"] for p in waiting(host, host_room)] == ["Hal"]
        # turning the waiting room off lets in whoever waits, and the next guests directly
        ok(rest(site.api, "POST", "session", {"id": meeting.id, "waiting_room": 0}))
        joined(guest, second)
        with site.app.client() as late:
            joined(late, knock(late, meeting, "Ivy"))
        assert waiting(host, host_room) == []


def test_without_a_waiting_room_guests_enter_directly(site: Site) -> None:
    meeting = site.meeting()
    with site.app.client() as guest:
        joined(guest, knock(guest, meeting, "Jo"))


def test_knocks_and_answers_reach_every_server_of_one_database(
    site: Site, janus: JanusProcess, tmp_path: Path
) -> None:
    """A second application on the same database (another process, another host) knows
    the knocks the first one took, and its moderator's answers hold there."""
    workdir = tmp_path / "second"
    workdir.mkdir()
    env = janus_env(janus, tmp_path)
    second = AppServer(workdir=workdir, database_url=site.app.database_url, extra_env=env)
    second.start()
    try:
        meeting = site.meeting(waiting_room=1)
        with second.client() as host, site.app.client() as guest, site.app.client() as late:
            host_room = enter(host, meeting.host)
            joined(host, host_room)
            guest_room = knock(guest, meeting, "Kim")
            late_room = knock(late, meeting, "Lou")
            assert [p["name"] for p in waiting(host, host_room)] == ["Kim", "Lou"]
            kim, lou = (p["participant"] for p in waiting(host, host_room))
            assert moderate(host, host_room, action="admit", participant=kim).status_code == 200
            assert moderate(host, host_room, action="deny", participant=lou).status_code == 200
            assert joined(guest, guest_room)["participant"] == kim
            assert late.get(f"{late_room}/join").json()["reason"] == "denied"
    finally:
        second.close()
