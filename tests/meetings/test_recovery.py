"""A room survives its Janus: created again after a restart, moved when its Janus is gone,
and the lobby says plainly when no Janus answers. Real Janus processes, the application in
this process, the pages over HTTP."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.janus.peer import Peer
from tests.support.app import AppServer
from tests.support.waiting import wait_until

from onstream.clock import utcnow
from onstream.janus import JanusAdmin, JanusProcess
from onstream.meetings import repository as rooms_repository
from onstream.meetings import service as meetings
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Connection
from onstream.users import repository as users

LOGIN, PASSWORD = "rosa", "rosa-secret-12"
UNREACHABLE = "The meeting service is not reachable right now; this page will keep trying."


@pytest.fixture(scope="module")
def admin_key() -> str:
    return secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def janus_pair(
    tmp_path_factory: pytest.TempPathFactory, admin_key: str
) -> Iterator[list[JanusProcess]]:
    """Two Janus servers sharing one admin key, as in production."""
    pair = [JanusProcess(tmp_path_factory.mktemp(f"janus{n}"), admin_key=admin_key) for n in (1, 2)]
    for janus in pair:
        janus.start()
    yield pair
    for janus in pair:
        janus.stop()


@pytest.fixture
def running(janus_pair: list[JanusProcess]) -> Iterator[list[JanusProcess]]:
    """Both servers running at the start and at the end of a test, whatever it stopped."""
    for janus in janus_pair:
        janus.start()
    yield janus_pair
    for janus in janus_pair:
        janus.start()


@dataclass
class Site:
    """The application with its rooms on some Janus servers, and one owner's meeting."""

    app: AppServer
    admin_key: str

    def meeting(self) -> str:
        """A new session that starts now; the path of its host lobby."""

        async def create(conn: Connection) -> str:
            owner = await users.account_by_login(conn, LOGIN)
            assert owner is not None
            data = SessionInput(
                topic="Recovery", start_time=f"{utcnow():%Y-%m-%d %H:%M:%S}", duration=60
            )
            session = await sessions.get(conn, owner, await sessions.create(conn, owner, data))
            return f"/{LOGIN}/host/{session.host_key}"

        return self.app.run(create)

    def enter(self, client: httpx.Client) -> str:
        """Enter a new meeting as its host; the path of the room page."""
        entered = client.post(self.meeting(), follow_redirects=False)
        assert entered.status_code == 303, entered.text
        return str(entered.headers["location"])

    def admit_another(self, room_path: str) -> str:
        """Let one more person into the same session; the secret of their room page."""

        async def admit(conn: Connection) -> str:
            host = await rooms_repository.admission_by_secret(
                conn, login=LOGIN, secret=room_path.rsplit("/", 1)[1]
            )
            assert host is not None
            return await meetings.admit(
                conn,
                session_id=host.session_id,
                role=2,
                name="Guest",
                source="public",
                now=utcnow(),
            )

        return self.app.run(admit)

    def room_secret(self, session_room: int) -> str:
        async def find(conn: Connection) -> str:
            rooms = await rooms_repository.open_rooms(conn)
            return next(room.secret for room in rooms if room.janus_room == session_room)

        return self.app.run(find)


@pytest.fixture
def site_on(
    tmp_path: Path, new_database: Callable[[Path], str], admin_key: str
) -> Iterator[Callable[[list[JanusProcess]], Site]]:
    """Starts the application with its rooms on these Janus servers."""
    started: list[AppServer] = []

    def start(servers: list[JanusProcess]) -> Site:
        app = AppServer(
            workdir=tmp_path,
            database_url=new_database(tmp_path),
            extra_env={
                "ONSTREAM_JANUS_URLS": ",".join(janus.url for janus in servers),
                "ONSTREAM_JANUS_ADMIN_KEY": admin_key,
                "ONSTREAM_RECORDINGS_DIR": str(tmp_path / "recordings"),
            },
        )
        app.start()
        started.append(app)
        app.add_account(LOGIN, PASSWORD)
        return Site(app, admin_key)

    yield start
    for app in started:
        app.close()


def on_janus(janus: JanusProcess, key: str, call: Callable[[JanusAdmin], Any]) -> Any:
    """Ask one Janus something through the server's own client."""

    async def ask() -> Any:
        async with JanusAdmin(janus.url, admin_key=key) as admin:
            return await call(admin)

    return asyncio.run(ask())


def joins(janus: JanusProcess, room: int, token: str) -> bool:
    """Whether a browser's publisher join with this token gets into the room."""

    async def join() -> bool:
        async with Peer(janus.url) as peer:
            body = {"request": "join", "ptype": "publisher", "room": room, "token": token}
            answer = await peer.ask(body | {"display": "Rosa"})
        return answer.get("videoroom") == "joined"

    return asyncio.run(join())


def join_config(client: httpx.Client, room_path: str) -> dict[str, Any]:
    answer = client.get(f"{room_path}/join")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    config: dict[str, Any] = answer.json()
    return config


def lobby_page(client: httpx.Client, lobby: str, *, down: bool) -> httpx.Response | None:
    """The lobby, once it shows the meeting service as down (or not)."""
    page = client.get(lobby)
    return page if (UNREACHABLE in page.text) == down else None


def test_a_restarted_janus_gets_the_room_again_with_its_recording(
    running: list[JanusProcess], site_on: Callable[[list[JanusProcess]], Site]
) -> None:
    janus = running[0]
    site = site_on([janus])
    with site.app.client() as client:
        room_path = site.enter(client)
        first = join_config(client, room_path)
        assert client.post(f"{room_path}/moderate", json={"action": "record", "on": True}).json()[
            "recording"
        ]
        secret_before = site.room_secret(first["room"])

        janus.restart()  # the same port; Janus knows no rooms now
        assert not on_janus(janus, site.admin_key, lambda a: a.exists(first["room"]))

        again = join_config(client, room_path)
        assert again["room"] == first["room"]
        assert again["janus"] == f"{room_path}/janus/0"  # relayed under the room's address
        assert again["token"] != first["token"]
        assert on_janus(janus, site.admin_key, lambda a: a.exists(first["room"]))
        listed = on_janus(janus, site.admin_key, lambda a: a.list_rooms())
        assert [r["record"] for r in listed if r["room"] == first["room"]] == [True]
        assert site.room_secret(first["room"]) == secret_before  # what Janus has again
        assert joins(janus, again["room"], again["token"])
        # The page's own join (the room page) works as well, and moderation uses the new secret.
        assert client.get(room_path).status_code == 200
        stop = client.post(f"{room_path}/moderate", json={"action": "record", "on": False})
        assert stop.status_code == 200, stop.text


def test_a_room_whose_janus_is_gone_moves_to_the_live_one(
    running: list[JanusProcess], site_on: Callable[[list[JanusProcess]], Site]
) -> None:
    site = site_on(running)
    with site.app.client() as client:
        room_path = site.enter(client)
        first = join_config(client, room_path)
        index = int(first["janus"].rsplit("/", 1)[1])
        gone, other = running[index], running[1 - index]
        secret_before = site.room_secret(first["room"])
        gone.stop()

        moved = join_config(client, room_path)
        assert moved["janus"] == f"{room_path}/janus/{1 - index}"
        assert moved["room"] == first["room"]
        assert on_janus(other, site.admin_key, lambda a: a.exists(first["room"]))
        assert joins(other, moved["room"], moved["token"])
        assert site.room_secret(first["room"]) != secret_before
        record = client.post(f"{room_path}/moderate", json={"action": "record", "on": True})
        assert record.status_code == 200, record.text  # the new secret is the one Janus has
        # Later joins stay there, even once the first Janus is back.
        gone.start()
        assert join_config(client, room_path)["janus"] == f"{room_path}/janus/{1 - index}"


def test_the_lobby_says_when_no_janus_answers_and_lets_in_once_one_does(
    running: list[JanusProcess], site_on: Callable[[list[JanusProcess]], Site]
) -> None:
    janus = running[0]
    site = site_on([janus])
    lobby = site.meeting()
    with site.app.client() as client:
        room_path = site.enter(client)
        janus.stop()
        page = wait_until(lambda: lobby_page(client, lobby, down=True), "the lobby says so")
        assert 'data-service="down"' in page.text
        assert "The meeting room is open." not in page.text
        refused = client.post(lobby, follow_redirects=False)
        assert refused.status_code == 503
        assert UNREACHABLE in refused.text
        gone = client.get(f"{room_path}/join")
        assert gone.status_code == 503
        assert gone.json() == {
            "error": "The meeting service is not reachable right now.",
            "reason": "unavailable",
        }

        janus.start()
        page = wait_until(lambda: lobby_page(client, lobby, down=False), "an open lobby")
        assert "The meeting room is open." in page.text
        assert 'data-service="up"' in page.text
        assert client.post(lobby, follow_redirects=False).status_code == 303


def test_the_join_config_refuses_unknown_and_ended_admissions(
    running: list[JanusProcess], site_on: Callable[[list[JanusProcess]], Site]
) -> None:
    site = site_on([running[0]])
    with site.app.client() as client:
        room_path = site.enter(client)
        unknown = client.get(f"/{LOGIN}/room/not-a-secret/join")
        assert unknown.status_code == 404
        assert unknown.json()["reason"] == "removed"
        join_config(client, room_path)  # the first join opens the room
        assert client.post(f"{room_path}/moderate", json={"action": "end"}).status_code == 200
        ended = client.get(f"{room_path}/join")
        assert ended.status_code in (404, 410)
        assert "traceback" not in ended.text.lower()


@pytest.mark.parametrize("loss", ["restart", "stop"])
def test_people_coming_back_at_once_get_one_room_with_one_secret(
    loss: str, running: list[JanusProcess], site_on: Callable[[list[JanusProcess]], Site]
) -> None:
    site = site_on(running)
    with site.app.client() as client:
        room_path = site.enter(client)
        others = [f"/{LOGIN}/room/{site.admit_another(room_path)}" for _ in range(5)]
        first = join_config(client, room_path)
        index = int(first["janus"].rsplit("/", 1)[1])
        if loss == "restart":
            running[index].restart()
        else:
            running[index].stop()

        with ThreadPoolExecutor(len(others)) as pool:
            configs = list(pool.map(lambda path: join_config(client, path), others))
        servers = {config["janus"].rsplit("/", 1)[1] for config in configs}
        assert len(servers) == 1, "everyone is placed on one Janus"
        janus = running[int(configs[0]["janus"].rsplit("/", 1)[1])]
        for config in configs:
            assert joins(janus, config["room"], config["token"])
        record = client.post(f"{room_path}/moderate", json={"action": "record", "on": True})
        assert record.status_code == 200, record.text
