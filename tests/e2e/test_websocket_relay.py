"""The relay's WebSocket under a real `onstream serve`: with two worker processes every socket
is relayed whichever worker the kernel gives it, and a removal written by one worker closes a
socket held by the other; each socket counts toward its address's connection cap until it
closes. A real Janus (both transports), Janus's API spoken by hand as janus.js does."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until
from tests.web.test_relay import (  # noqa: F401
    LOGIN,
    PASSWORD,
    WebSocketChannel,
    handle,
    janus,
    meeting,
    publisher_join,
)
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from onstream.janus import JanusProcess

CLIENT = "127.0.0.5"
"""The address of the capped client (the test's other calls come from 127.0.0.1)."""


def serve(
    workdir: Path, database_url: str, rooms: JanusProcess, *args: str, **env: str
) -> ServerProcess:
    """`onstream serve` with the rooms on Janus `rooms`, its WebSocket transport named."""
    extra = {
        "ONSTREAM_JANUS_URLS": rooms.url,
        "ONSTREAM_JANUS_WEBSOCKET_URLS": rooms.ws_url,
        "ONSTREAM_JANUS_ADMIN_KEY": rooms.admin_key,
        "ONSTREAM_RECORDINGS_DIR": str(workdir / "recordings"),
    }
    server = ServerProcess(workdir=workdir, database_url=database_url, extra_env=extra | env)
    server.add_account(LOGIN, PASSWORD)
    return server.start(*args)


@pytest.fixture
def two_workers(
    tmp_path: Path,
    new_database: Callable[[Path], str],
    janus: JanusProcess,  # noqa: F811
) -> Iterator[ServerProcess]:
    server = serve(tmp_path, new_database(tmp_path), janus, "--workers", "2")
    yield server
    server.stop()


def test_two_workers_relay_every_socket_and_each_sees_a_removal(
    two_workers: ServerProcess,
) -> None:
    people = [(f"p{i}@example.com", 2) for i in range(6)]
    lobbies = meeting(two_workers, ("mo@example.com", 1), *people)
    with two_workers.client() as mo:
        mo_room = mo.post(lobbies["mo@example.com"], follow_redirects=False).headers["location"]
        clients = [two_workers.client() for _ in people]
        # six sockets, each a connection of its own: the kernel spreads them over both workers
        handles = [
            handle(c, lobbies[email], "websocket")
            for c, (email, _) in zip(clients, people, strict=True)
        ]
        for h in handles:
            assert h.send(publisher_join(h)).json()["janus"] == "ack"
            assert h.event()["plugindata"]["data"]["videoroom"] == "joined"
        removed, kept = handles[:3], handles[3:]
        for h in removed:
            body = {"action": "remove", "participant": h.config["participant"]}
            assert mo.post(f"{mo_room}/moderate", json=body).status_code == 200
        listing = {"request": "listparticipants", "room": handles[0].config["room"]}
        assert [h.send(listing).status_code for h in removed] == [404] * 3
        assert [h.send(listing).status_code for h in kept] == [200] * 3
        for c in clients:
            c.close()


def test_a_socket_counts_toward_its_address_cap_until_it_closes(
    tmp_path: Path,
    new_database: Callable[[Path], str],
    janus: JanusProcess,  # noqa: F811
) -> None:
    server = serve(
        tmp_path, new_database(tmp_path), janus, ONSTREAM_MAX_CONNECTIONS_PER_ADDRESS="2"
    )
    try:
        lobbies = meeting(server, ("pia@example.com", 2))
        with server.client() as pia:
            room = pia.post(lobbies["pia@example.com"], follow_redirects=False)
            config = pia.get(f"{room.headers['location']}/join").json()
        url = server.base_url.replace("http://", "ws://") + config["janusWebSocket"]
        first, second = relayed(url), relayed(url)
        assert first is not None
        assert second is not None
        assert relayed(url) is None  # a third connection of 127.0.0.5 is closed at once
        first.close()
        wait_until(lambda: (third := relayed(url)) is not None and third.close() is None,
                   what="the closed socket's share given back")  # fmt: skip
        second.close()
    finally:
        server.stop()


def relayed(url: str) -> ClientConnection | None:
    """An open WebSocket to the relay from `CLIENT`, or None when the server closed the
    connection instead."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), source_address=(CLIENT, 0))
    try:
        return connect(url, sock=sock, subprotocols=["janus-protocol"], legacy=True, open_timeout=5)  # type: ignore[list-item]
    except (WebSocketException, OSError):
        sock.close()
        return None
