"""`/ready` with meeting rooms configured: a node whose Janus servers all stay silent sends
everybody to "the meeting service is unavailable", so it is not ready; `/health` does not
ask Janus. Against a real Janus, stopped and started again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from onstream.janus import JanusProcess
from tests.support.app import AppServer
from tests.support.waiting import wait_until

NOT_READY = {"ready": False, "reason": "no meeting server answers (1 configured)"}


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[JanusProcess]:
    process = JanusProcess(tmp_path / "janus").start()
    yield process
    process.stop()


@pytest.fixture
def with_rooms(
    tmp_path: Path, new_database: Callable[[Path], str], janus: JanusProcess
) -> Iterator[AppServer]:
    app = AppServer(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
        },
    )
    app.start()
    yield app
    app.close()


def ready_answer(app: AppServer, status: int) -> httpx.Response | None:
    response = app.get("/ready")
    return response if response.status_code == status else None


def test_not_ready_while_no_janus_answers(with_rooms: AppServer, janus: JanusProcess) -> None:
    assert ready_answer(with_rooms, 200) is not None

    janus.stop()
    down = wait_until(lambda: ready_answer(with_rooms, 503), "/ready to notice Janus is down")
    assert down is not None
    assert down.json() == NOT_READY
    health = with_rooms.get("/health")
    assert (health.status_code, health.text) == (200, "ok")

    janus.start()
    up = wait_until(lambda: ready_answer(with_rooms, 200), "/ready to see Janus again")
    assert up is not None
    assert up.json() == {"ready": True}


def test_ready_without_rooms_configured(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    app = AppServer(workdir=tmp_path, database_url=new_database(tmp_path)).start()
    try:
        response = app.get("/ready")
    finally:
        app.close()
    assert (response.status_code, response.json()) == (200, {"ready": True})
