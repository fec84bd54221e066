"""`Idempotency-Key` on PUT and POST: a retry replays the first answer and acts once."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from tests.conftest import MakeAccount
from tests.support.api import error, ok
from tests.support.clock import Clock
from tests.support.server import Server

from onstream.protocol import idempotency
from onstream.protocol.idempotency import idempotency_keys
from onstream.storage.connection import Connection

SESSION = {"topic": "Retry me", "duration": 30, "start_time": "2030-01-15 10:00:00"}


def keyed(
    client: httpx.Client, method: str, path: str, data: Any, key: str | None
) -> httpx.Response:
    body = {"input_type": "json", "rest_data": orjson.dumps(data).decode()}
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.request(method, f"{path}/format/json", data=body, headers=headers)


def session_ids(client: httpx.Client) -> list[int]:
    body = ok(client.get("sessions/return/id/format/json"))
    return [int(s["id"]) for s in body["sessions"]]


OWN_HEADERS = {"idempotent-replayed", "x-request-id"}
"""Headers of the retry itself: the replay mark, and the id its own log lines carry."""


def without_replay_mark(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k not in OWN_HEADERS]


def test_a_retry_replays_the_first_answer_and_creates_one_session(
    make_account: MakeAccount,
) -> None:
    client = make_account()
    first = keyed(client, "PUT", "session", SESSION, "create-1")
    again = keyed(client, "PUT", "session", SESSION, "create-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert without_replay_mark(again) == without_replay_mark(first)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert session_ids(client) == [first.json()["id"]]


def test_without_a_key_every_request_acts(make_account: MakeAccount) -> None:
    client = make_account()
    keyed(client, "PUT", "session", SESSION, None)
    keyed(client, "PUT", "session", SESSION, None)
    assert len(session_ids(client)) == 2


def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    make_account: MakeAccount,
) -> None:
    client = make_account()
    ok(keyed(client, "PUT", "session", SESSION, "k"), 201)
    other = {**SESSION, "topic": "Something else"}
    message = error(keyed(client, "PUT", "session", other, "k"), 422)
    assert "Idempotency-Key" in message
    assert "different request" in message
    assert len(session_ids(client)) == 1
    error(keyed(client, "POST", "session", SESSION, "k"), 422)  # another method


def test_post_is_keyed_too(make_account: MakeAccount) -> None:
    client = make_account()
    session_id = ok(keyed(client, "PUT", "session", SESSION, None), 201)["id"]
    change = {"id": session_id, "topic": "Renamed once"}
    first = keyed(client, "POST", "session", change, "rename")
    ok(keyed(client, "POST", "session", {"id": session_id, "topic": "Manual"}, None))
    again = keyed(client, "POST", "session", change, "rename")
    assert again.content == first.content
    (session,) = ok(client.get(f"session/id/{session_id}/return/topic/format/json"))["sessions"]
    assert session["topic"] == "Manual"  # the replay did not rename it back


def test_a_refused_request_records_no_key(make_account: MakeAccount) -> None:
    client = make_account()
    error(keyed(client, "PUT", "session", {"topic": "No start"}, "fix-and-retry"), 400)
    ok(keyed(client, "PUT", "session", SESSION, "fix-and-retry"), 201)


def test_get_ignores_the_header(make_account: MakeAccount) -> None:
    client = make_account()
    headers = {"Idempotency-Key": "x" * 400}
    assert client.get("sessions/format/json", headers=headers).status_code == 200
    ok(keyed(client, "PUT", "session", SESSION, None), 201)
    second = client.get("sessions/return/id/format/json", headers=headers)
    assert len(second.json()["sessions"]) == 1


def test_keys_are_per_account(make_account: MakeAccount) -> None:
    alice, bob = make_account(), make_account()
    mine = ok(keyed(alice, "PUT", "session", SESSION, "shared"), 201)
    theirs = ok(keyed(bob, "PUT", "session", SESSION, "shared"), 201)
    assert mine["id"] != theirs["id"]
    assert session_ids(bob) == [theirs["id"]]
    other = {**SESSION, "topic": "Bob's own"}
    ok(keyed(bob, "PUT", "session", other, "alice-only"), 201)
    ok(keyed(alice, "PUT", "session", SESSION, "alice-only"), 201)  # no 422 across accounts


def test_long_or_empty_keys_are_400(make_account: MakeAccount) -> None:
    client = make_account()
    assert "255" in error(keyed(client, "PUT", "session", SESSION, "k" * 256), 400)
    error(keyed(client, "PUT", "session", SESSION, " "), 400)
    assert session_ids(client) == []
    ok(keyed(client, "PUT", "session", SESSION, "k" * 255), 201)


def test_a_key_expires_after_24_hours(
    make_account: MakeAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_account()
    clock = Clock().install(monkeypatch)
    ok(keyed(client, "PUT", "session", SESSION, "daily"), 201)
    clock.advance(23 * 3600)
    keyed(client, "PUT", "session", SESSION, "daily")
    assert len(session_ids(client)) == 1
    clock.advance(2 * 3600)
    ok(keyed(client, "PUT", "session", {**SESSION, "topic": "New day"}, "daily"), 201)
    assert len(session_ids(client)) == 2


def upload(client: httpx.Client, content: bytes, key: str) -> httpx.Response:
    return client.put(
        "file/format/json",
        data={"is_url": "0", "file_description": "keyed"},
        files={"file": ("notes.txt", content, "text/plain")},
        headers={"Idempotency-Key": key},
    )


def test_an_upload_retried_with_its_key_is_stored_once(make_account: MakeAccount) -> None:
    client = make_account()
    first = upload(client, b"the minutes", "upload-1")
    again = upload(client, b"the minutes", "upload-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    error(upload(client, b"other minutes", "upload-1"), 422)  # same name, other content
    files = ok(client.get("files/format/json"))["files"]
    assert [f["id"] for f in files] == [first.json()["id"]]


def test_expired_keys_are_purged(
    make_account: MakeAccount, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_account()
    ok(keyed(client, "PUT", "session", SESSION, "to-be-purged"), 201)

    async def count(conn: Connection) -> int:
        query = select(func.count()).where(idempotency_keys.c.key == "to-be-purged")
        return int(await conn.scalar(query.select_from(idempotency_keys)))

    assert server.run(count, write=False) == 1
    clock = Clock().install(monkeypatch)
    server.run(lambda conn: idempotency.purge(conn, now=clock.utcnow()))
    assert server.run(count, write=False) == 1  # still within its day
    clock.advance(24 * 3600 + 1)
    server.run(lambda conn: idempotency.purge(conn, now=clock.utcnow()))
    assert server.run(count, write=False) == 0
