"""Uniqueness under parallel clients, against `onstream serve --workers 2` (CONTRACT §5, §6)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.api import ok, rest
from tests.support.server import ServerProcess

PARALLEL = 16
LOCK_WINDOW = 1.0
"""How long the lock test watches a writer wait: a wait has no end to wait for."""


@pytest.fixture(scope="module")
def multi(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[ServerProcess]:
    """Two server processes sharing one database."""
    workdir: Path = tmp_path_factory.mktemp("multi")
    proc = ServerProcess(workdir=workdir, database_url=new_database(workdir))
    for login, bridge in (("racer", False), ("bridged", True)):
        proc.add_account(login, f"{login}-password", phone_bridge=bridge)
    proc.start("--workers", "2")
    yield proc
    proc.stop()


def client(server: ServerProcess, login: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/api/2/{login}/", auth=(login, f"{login}-password"), timeout=30
    )


def in_parallel(send: Any, count: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(send, range(count)))


def session_body(**extra: Any) -> dict[str, Any]:
    return {"topic": "Race", "duration": 30, "start_time": "2030-01-01 10:00:00", **extra}


def test_two_processes_answer(multi: ServerProcess) -> None:
    with client(multi, "racer") as racer:
        assert racer.get("authverify").status_code == 200


def test_friendly_url_is_unique_across_processes(multi: ServerProcess) -> None:
    with client(multi, "racer") as racer:
        responses = in_parallel(
            lambda _: rest(racer, "PUT", "session", session_body(friendly_url="one-winner")), 32
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 31, statuses


def test_inviting_one_new_person_in_parallel(multi: ServerProcess) -> None:
    with client(multi, "racer") as racer:
        session_id = ok(rest(racer, "PUT", "session", session_body()), 201)["id"]
        body = {"session_id": session_id, "email": "same@example.com", "send_email_invitation": 0}
        statuses = sorted(
            r.status_code for r in in_parallel(lambda _: rest(racer, "PUT", "invitee", body), 24)
        )
        assert statuses == [201] + [409] * 23, statuses
        group = ok(racer.get(f"invitees/id/{session_id}/format/json"))["participants"]
        assert [i["email"] for i in group] == ["same@example.com"]


def test_one_new_person_invited_to_many_sessions_at_once_is_one_person(
    multi: ServerProcess,
) -> None:
    with client(multi, "racer") as racer:
        sessions = [ok(rest(racer, "PUT", "session", session_body()), 201)["id"] for _ in range(20)]

        def invite(i: int) -> httpx.Response:
            body = {
                "session_id": sessions[i],
                "email": "Popular@Example.com",
                "send_email_invitation": 0,
            }
            return rest(racer, "PUT", "invitee", body)

        responses = in_parallel(invite, len(sessions))
        assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1


def test_access_codes_stay_unique_under_load(multi: ServerProcess) -> None:
    with client(multi, "bridged") as bridged:
        responses = in_parallel(lambda _: rest(bridged, "PUT", "session", session_body()), 40)
        assert all(r.status_code == 201 for r in responses)
        listing = ok(bridged.get("sessions/count/1000/return/id;session_access_code/format/json"))
        codes = [s["session_access_code"] for s in listing["sessions"]]
        assert len(codes) == 40
        assert len(set(codes)) == 40


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """One server process on an SQLite file, whatever database the suite runs on: every
    request meets the same event loop."""
    proc = ServerProcess(workdir=tmp_path, database_url=f"sqlite:///{tmp_path / 'lock.db'}")
    proc.add_account("racer", "racer-password", email="r@example.com")
    proc.start()
    yield proc
    proc.stop()


def test_a_writer_waits_for_another_process_lock_while_reads_go_on(
    sqlite_server: ServerProcess,
) -> None:
    """Another process holds SQLite's write lock: the server's PUT waits for it
    (asynchronously) and succeeds once it is released, while GETs keep being answered."""
    multi = sqlite_server
    path = multi.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another process's writer holds it
    try:
        with client(multi, "racer") as racer, ThreadPoolExecutor(max_workers=2) as pool:
            pending = pool.submit(rest, racer, "PUT", "session", session_body(topic="Waits"))
            window = time.monotonic() + LOCK_WINDOW
            while time.monotonic() < window:  # reads are answered; the PUT keeps waiting
                assert racer.get("sessions/format/json").status_code == 200
                assert not pending.done()  # waiting for the lock, not failed
            started = time.monotonic()
            for _ in range(10):  # the same process keeps answering reads meanwhile
                assert racer.get("sessions/format/json").status_code == 200
            assert time.monotonic() - started < 2.0
            holder.execute("COMMIT")
            new_id = ok(pending.result(timeout=10), 201)["id"]
            assert ok(racer.get(f"session/id/{new_id}/format/json"))["sessions"][0]["topic"] == (
                "Waits"
            )
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def test_parallel_retries_with_one_idempotency_key_make_one_session(multi: ServerProcess) -> None:
    body = {"input_type": "json", "rest_data": json.dumps(session_body(topic="Keyed race"))}
    headers = {"Idempotency-Key": "one-keyed-race"}
    with client(multi, "bridged") as bridged:
        responses = in_parallel(
            lambda _: bridged.put("session/format/json", data=body, headers=headers), 24
        )
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.content for r in responses}) == 1
        replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == 23
        sessions = ok(bridged.get("sessions/return/id;topic/format/json"))["sessions"]
        assert [s["topic"] for s in sessions].count("Keyed race") == 1
