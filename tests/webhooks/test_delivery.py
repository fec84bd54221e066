"""Webhooks against real HTTP receivers: every event arrives, signed, in order per object,
through receivers that are down, slow, failing or hanging up; the back-off is crossed by
moving the server's clock, never by sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from onstream.recordings import service as recordings
from onstream.recordings.models import NewRecording
from onstream.storage.database import Connection
from onstream.users import repository as accounts
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.clock import Clock
from tests.support.receiver import Receiver, verify
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until

SESSION = {"topic": "Hooked", "start_time": "2030-07-10 18:00", "duration": 30}
SESSION_EVENTS = "session.created;session.updated;session.deleted"


@pytest.fixture(scope="module")
def server(loopback_server: AppServer) -> Server:
    """This module's receivers listen on loopback, which its server allows."""
    return loopback_server


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock().install(monkeypatch)


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.stop()


def subscribe(client: httpx.Client, url: str, events: str = SESSION_EVENTS) -> dict[str, Any]:
    answer = ok(rest(client, "PUT", "webhook", {"url": url, "events": events}), 201)
    assert answer["secret"].startswith("whsec_")
    return dict(answer)


def until(condition: Callable[[], bool], clock: Clock | None = None, bound: float = 60) -> None:
    """Wait for `condition`, moving the clock past any back-off on the way."""
    rounds = 0

    def holds() -> bool:
        nonlocal rounds
        if rounds and clock is not None:
            clock.advance(3 * 3600)
        rounds += 1
        return condition()

    wait_until(holds, "the condition to come true", bound)


def churn(client: httpx.Client, sessions: int = 2) -> list[int]:
    """Create, change twice and delete sessions: four events each."""
    ids = []
    for n in range(sessions):
        session_id = ok(rest(client, "PUT", "session", {**SESSION, "topic": f"S{n}"}), 201)["id"]
        for topic in ("first change", "second change"):
            ok(rest(client, "POST", "session", {"id": session_id, "topic": topic}))
        ok(rest(client, "DELETE", "session", {"id": session_id}))
        ids.append(session_id)
    return ids


def check_arrived(receiver: Receiver, secret: str, session_ids: list[int], login: str) -> None:
    """Each event once, signed with the secret, in order per session."""
    for item in receiver.received:
        assert verify(secret, item.signature, item.body), item.signature
    events = receiver.events()
    assert len({e["id"] for e in events}) == len(events) == 4 * len(session_ids)
    for session_id in session_ids:
        mine = [e for e in events if e["data"]["id"] == session_id]
        assert [e["type"] for e in mine] == [
            "session.created",
            "session.updated",
            "session.updated",
            "session.deleted",
        ]
        assert [e["data"]["topic"] for e in mine][1:3] == ["first change", "second change"]
        assert all(e["account"] == login for e in mine)


def test_a_slow_receiver_gets_every_event_signed_and_in_order(
    make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    receivers.append(slow := Receiver(delay=1.5).start())
    hook = subscribe(client, slow.url)
    ids = churn(client)
    until(lambda: len(slow.received) == 8)
    check_arrived(slow, hook["secret"], ids, client.base_url.path.split("/")[3])
    shown = ok(client.get(f"webhook/id/{hook['id']}/format/json"))["webhooks"][0]
    assert shown["status"] == "ok"
    assert "secret" not in shown


@pytest.mark.parametrize(
    "make_receiver",
    [
        pytest.param(lambda: Receiver(), id="down-then-up"),
        pytest.param(lambda: Receiver(failures=3).start(), id="500-three-times"),
        pytest.param(lambda: Receiver(hang_ups=2).start(), id="hangs-up"),
    ],
)
def test_a_failing_receiver_loses_nothing_and_shows_failing(
    make_account: MakeAccount,
    receivers: list[Receiver],
    clock: Clock,
    make_receiver: Callable[[], Receiver],
) -> None:
    client = make_account()
    receivers.append(receiver := make_receiver())
    hook = subscribe(client, receiver.url)
    ids = churn(client)
    path = f"webhook/id/{hook['id']}/format/json"
    until(lambda: ok(client.get(path))["webhooks"][0]["status"] == "failing")
    shown = ok(client.get(path))["webhooks"][0]
    assert shown["last_error"]
    pending = ok(client.get(f"webhook_deliveries/webhook_id/{hook['id']}/format/json"))
    tried = [d for d in pending["webhook_deliveries"] if d["attempts"] >= 1]
    assert tried
    assert all(d["status"] == "pending" for d in tried)
    assert all(d["last_error"] and d["next_attempt_at"] for d in tried)
    if receiver._server is None:
        receiver.start()
    until(lambda: len(receiver.received) == 8, clock)
    check_arrived(receiver, hook["secret"], ids, client.base_url.path.split("/")[3])
    done = f"webhook_deliveries/webhook_id/{hook['id']}/status/delivered/format/json"
    until(lambda: len(ok(client.get(done))["webhook_deliveries"]) == 8)
    assert ok(client.get(path))["webhooks"][0]["status"] == "ok"


def test_redelivery_sends_an_event_again(
    make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    receivers.append(receiver := Receiver().start())
    hook = subscribe(client, receiver.url, "session.created")
    ok(rest(client, "PUT", "session", SESSION), 201)
    delivered = "webhook_deliveries/status/delivered/format/json"
    until(lambda: len(ok(client.get(delivered))["webhook_deliveries"]) == 1)
    delivery = ok(client.get(delivered))["webhook_deliveries"][0]
    assert delivery["type"] == "session.created"
    assert delivery["webhook_id"] == hook["id"]
    ok(client.post(f"webhook_delivery/id/{delivery['id']}/redeliver/1/format/json"))
    until(lambda: len(receiver.received) == 2)
    first, again = receiver.events()
    assert first == again


def test_only_subscribed_events_of_active_webhooks_are_sent(
    make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    receivers.append(receiver := Receiver().start())
    hook = subscribe(client, receiver.url, "session.deleted")
    paused = subscribe(client, receiver.url, "session.created")
    ok(rest(client, "POST", "webhook", {"id": paused["id"], "active": False}))
    session_id = ok(rest(client, "PUT", "session", SESSION), 201)["id"]
    ok(rest(client, "DELETE", "session", {"id": session_id}))
    until(lambda: len(receiver.received) == 1)
    assert [e["type"] for e in receiver.events()] == ["session.deleted"]
    every = ok(client.get("webhook_deliveries/format/json"))["webhook_deliveries"]
    assert [d["webhook_id"] for d in every] == [hook["id"]]


def test_invitee_invitation_and_file_events(
    make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    receivers.append(receiver := Receiver().start())
    events = "invitee.added;invitee.updated;invitee.deleted;invitation.sent;file.added"
    hook = subscribe(client, receiver.url, events)
    session_id = ok(rest(client, "PUT", "session", SESSION), 201)["id"]
    invite = {"session_id": session_id, "email": "ines@example.com", "role": 2}
    user_id = ok(rest(client, "PUT", "invitee", invite), 201)["id"]
    change = {"session_id": session_id, "user_id": user_id, "role": 3, "send_email_invitation": 0}
    ok(rest(client, "POST", "invitee", change))
    ok(rest(client, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}))
    link = {"file_link": "https://example.com/a.pdf", "is_url": 1}
    file_id = ok(rest(client, "PUT", "file", link), 201)["id"]
    until(lambda: len(receiver.received) == 5)
    for item in receiver.received:
        assert verify(hook["secret"], item.signature, item.body)
    got = receiver.events()
    invitee = [e for e in got if e["type"].startswith("invitee.")]
    assert [e["type"] for e in invitee] == ["invitee.added", "invitee.updated", "invitee.deleted"]
    assert [e["data"]["role"] for e in invitee] == [2, 3, 3]
    assert {e["data"]["email"] for e in invitee} == {"ines@example.com"}
    assert all(e["data"]["session_id"] == session_id for e in invitee)
    (sent,) = [e for e in got if e["type"] == "invitation.sent"]
    assert sent["data"]["session_id"] == session_id
    assert "ines@example.com" in sent["data"]["recipient"]
    (added,) = [e for e in got if e["type"] == "file.added"]
    assert added["data"]["id"] == file_id
    assert added["data"]["file_link"] == link["file_link"]


def test_recording_events(
    server: Server, make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    login = client.base_url.path.split("/")[3]
    receivers.append(receiver := Receiver().start())
    subscribe(client, receiver.url, "recording.ready;recording.updated;recording.deleted")
    session_id = ok(rest(client, "PUT", "session", SESSION), 201)["id"]

    async def record(conn: Connection) -> int:
        owner = await accounts.account_by_login(conn, login)
        assert owner is not None
        new = NewRecording(session_id=session_id, title="Minutes", duration_ms=61000)
        return await recordings.add(conn, owner, new, media=None, base_url="http://test")

    recording_id = server.run(record)
    ok(rest(client, "POST", "recording", {"id": recording_id, "title": "Renamed"}))
    ok(rest(client, "DELETE", "recording", {"id": recording_id}))
    until(lambda: len(receiver.received) == 3)
    got = receiver.events()
    assert [e["type"] for e in got] == ["recording.ready", "recording.updated", "recording.deleted"]
    assert {e["data"]["id"] for e in got} == {recording_id}
    assert [e["data"]["title"] for e in got] == ["Minutes", "Renamed", "Renamed"]


def test_an_invitation_the_mail_server_refuses_is_told_as_failed(
    make_account: MakeAccount, receivers: list[Receiver], smtp: SmtpServer
) -> None:
    client = make_account()
    receivers.append(receiver := Receiver().start())
    subscribe(client, receiver.url, "invitation.sent;invitation.failed")
    session_id = ok(rest(client, "PUT", "session", SESSION), 201)["id"]
    smtp.sink.refuse_with = "550 5.1.1 No such mailbox"
    try:
        invite = {"session_id": session_id, "email": "gone@example.com"}
        ok(rest(client, "PUT", "invitee", invite), 201)
        until(lambda: len(receiver.received) == 1)
    finally:
        smtp.sink.refuse_with = None
    (failed,) = receiver.events()
    assert failed["type"] == "invitation.failed"
    assert failed["data"]["session_id"] == session_id
    assert "No such mailbox" in failed["data"]["error"]


def test_a_series_tells_each_occurrence_created_and_a_cancelled_one_deleted(
    make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    client = make_account()
    receivers.append(receiver := Receiver().start())
    hook = subscribe(client, receiver.url)
    weekly = {**SESSION, "recurrence": "FREQ=WEEKLY;COUNT=3"}
    created = ok(rest(client, "PUT", "session", weekly), 201)
    occurrences = [int(i) for i in created["sessions"]]
    ok(rest(client, "DELETE", "session", {"id": occurrences[1]}))
    until(lambda: len(receiver.received) == 4)
    for item in receiver.received:
        assert verify(hook["secret"], item.signature, item.body)
    told = [(e["type"], e["data"]["id"]) for e in receiver.events()]
    assert sorted(told) == sorted(
        [("session.created", i) for i in occurrences] + [("session.deleted", occurrences[1])]
    )
