"""`JanusProcess` and `write_janus_config`: what runs, what loads, how it fails and stops."""

from __future__ import annotations

import json
import os
import resource
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from onstream.janus import (
    JanusAdmin,
    JanusDidNotStart,
    JanusNotInstalled,
    JanusProcess,
    JanusUnreachable,
    write_janus_config,
)
from onstream.janus.config import protected_folders
from onstream.janus.process import free_port
from tests.support.waiting import wait_until_async


def test_the_config_loads_only_videoroom_textroom_http_and_websockets(
    janus: JanusProcess,
) -> None:
    info = httpx.get(f"{janus.url}/info", timeout=5).json()
    assert set(info["plugins"]) == {"janus.plugin.videoroom", "janus.plugin.textroom"}
    assert set(info["transports"]) == {"janus.transport.http", "janus.transport.websockets"}
    # the WebSocket transport answers Janus's subprotocol on its own port
    with connect(janus.ws_url, subprotocols=["janus-protocol"], open_timeout=5) as socket:  # type: ignore[list-item]
        socket.send('{"janus":"info","transaction":"i"}')
        assert json.loads(socket.recv(timeout=5))["server-name"] == "onstream-janus"
    assert info["events"] == {}
    assert info["loggers"] == {}
    assert info["session-timeout"] == 60
    assert info["server-name"] == "onstream-janus"


def test_handles_share_one_event_loop_a_core(janus: JanusProcess) -> None:
    """Every handle's media runs on one of a thread a core, not on a thread of its own: for
    a hundred viewers of one presenter that halves Janus's CPU (docs/rooms.md)."""
    cores = os.cpu_count() or 1
    assert f"Spawned {cores} static event loops" in janus.log_path.read_text()


def test_write_janus_config_writes_four_files(tmp_path: Path) -> None:
    write_janus_config(
        tmp_path / "conf", http_port=8188, admin_key="k", recordings_dir=tmp_path / "rec"
    )
    assert sorted(p.name for p in (tmp_path / "conf").iterdir()) == [
        "janus.jcfg",
        "janus.plugin.textroom.jcfg",
        "janus.plugin.videoroom.jcfg",
        "janus.transport.http.jcfg",
    ]
    assert (tmp_path / "rec").is_dir()
    assert "libjanus_websockets.so" in (tmp_path / "conf" / "janus.jcfg").read_text()  # off
    write_janus_config(
        tmp_path / "conf", http_port=8188, ws_port=8189, admin_key="k", recordings_dir=tmp_path
    )
    websockets = (tmp_path / "conf" / "janus.transport.websockets.jcfg").read_text()
    assert "ws_port = 8189" in websockets
    assert 'ws_ip = "127.0.0.1"' in websockets
    assert "libjanus_websockets.so" not in (tmp_path / "conf" / "janus.jcfg").read_text()
    for plugin in ("videoroom", "textroom"):
        assert 'admin_key = "k"' in (tmp_path / "conf" / f"janus.plugin.{plugin}.jcfg").read_text()


def test_protected_folders_leave_the_recordings_writable(tmp_path: Path) -> None:
    folders = protected_folders(Path("/var/lib/onstream-test/recordings"))
    assert "/var" not in folders
    assert "/var/log" in folders
    assert "/usr" in folders
    assert protected_folders(tmp_path) == protected_folders(Path("/nowhere"))


def test_context_manager_starts_and_stops(tmp_path: Path) -> None:
    with JanusProcess(tmp_path) as janus:
        assert janus.running
        assert janus.url == f"http://127.0.0.1:{janus.http_port}/janus"
        assert httpx.get(f"{janus.url}/info", timeout=5).status_code == 200
    assert not janus.running
    assert janus.log_tail(1) == "Bye!"  # a clean shutdown on SIGTERM


def test_a_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JanusNotInstalled, match="'janus-not-installed' was not found on PATH"):
        JanusProcess(tmp_path, binary="janus-not-installed").start()


@pytest.fixture
def no_core_files() -> Iterator[None]:
    """Janus dies of SIGSEGV on this exit path: spare the disk its 100 MB core file."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


@pytest.mark.usefixtures("no_core_files")
def test_a_janus_that_exits_at_start_shows_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken, socket.socket() as taken_too:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: Janus cannot bind it either
        taken_too.bind(("127.0.0.1", 0))  # nor its WebSocket's: it has no transport left
        port, ws_port = taken.getsockname()[1], taken_too.getsockname()[1]
        janus = JanusProcess(tmp_path, http_port=port, ws_port=ws_port)
        with pytest.raises(JanusDidNotStart, match="last lines of") as failed:
            janus.start()
    assert "Janus exited with code" in str(failed.value)
    # Janus crashes on this exit path, so its very last lines may never be written; what
    # it did write is in the message, whichever lines those are.
    written = [line for line in janus.log_path.read_text().splitlines() if line.strip()]
    assert written, "Janus wrote no log"
    assert written[-1] in str(failed.value), str(failed.value)
    assert not janus.running


@pytest.mark.anyio
async def test_the_client_reconnects_after_a_restart(tmp_path: Path) -> None:
    with JanusProcess(tmp_path, http_port=free_port()) as janus:
        async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
            await admin.create_room(7, secret="s", allowed=[])
            before = admin.session_id
            janus.restart()
            assert not await admin.exists(7)  # a new Janus knows neither session nor room
            assert admin.session_id not in (None, before)
            assert await admin.create_room(7, secret="s", allowed=[]) == 7


@pytest.mark.anyio
async def test_keepalives_hold_the_session_past_the_timeout(tmp_path: Path) -> None:
    with JanusProcess(tmp_path, session_timeout=2) as janus:
        client = JanusAdmin(janus.url, admin_key=janus.admin_key, keepalive_seconds=0.5)
        silent = JanusAdmin(janus.url, admin_key=janus.admin_key, keepalive_seconds=3600)
        async with client as admin, silent:
            session = admin.session_id
            # A session without keepalives, opened at the same time, is dropped by Janus:
            # by then the other one has lived past the timeout on its keepalives alone.
            expired = f"Timeout expired for session {silent.session_id}"

            async def dropped() -> bool:
                return expired in janus.log_path.read_text(errors="replace")

            await wait_until_async(dropped, expired)
            assert await admin.create_room(8, secret="s", allowed=[]) == 8
            assert admin.session_id == session


@pytest.mark.anyio
async def test_a_silent_janus_is_unreachable() -> None:
    admin = JanusAdmin(f"http://127.0.0.1:{free_port()}/janus", admin_key="k")
    with pytest.raises(JanusUnreachable, match="did not answer"):
        await admin.exists(1)
    with pytest.raises(JanusUnreachable, match="did not answer"):
        async with admin:
            pass
