"""Invitation e-mail over real SMTP (aiosmtpd): content, updates, retries, no loss, no dupes."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.clock import Clock
from tests.support.server import Server, ServerProcess, free_port
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until

from onstream.mail.statuses import FAILED, PENDING, SENT
from onstream.mail.tables import outbox


def part(message: EmailMessage, content_type: str) -> EmailMessage:
    for sub in message.walk():
        if sub.get_content_type() == content_type:
            assert isinstance(sub, EmailMessage)
            return sub
    raise AssertionError(f"no {content_type} part")


def text_of(message: EmailMessage, content_type: str = "text/plain") -> str:
    content = part(message, content_type).get_content()
    return content.decode() if isinstance(content, bytes) else str(content)


def event_of(message: EmailMessage) -> Any:
    calendar_part = part(message, "text/calendar")
    assert calendar_part.get_param("method") in ("REQUEST", "CANCEL")
    payload = calendar_part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = Calendar.from_ical(payload)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def to(address: str) -> Callable[[EmailMessage], bool]:
    return lambda m: address in str(m["To"])


def invite(client: httpx.Client, session_id: int, email: str, **extra: Any) -> int:
    body = {"session_id": session_id, "email": email, **extra}
    return int(ok(rest(client, "PUT", "invitee", body), 201)["id"])


def test_invitation_carries_everything(make_account: MakeAccount, smtp: SmtpServer) -> None:
    owner = make_account(timezone="UP1", dst=True, phone_bridge=True)
    body = {
        "topic": "Quarterly review & plans",
        "duration": 90,
        "start_time": "2030-07-10 18:00:00",
        "password": "pa$$'word",
    }
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    invite(owner, session_id, "guest1@example.org", first_name="Gia", last_name="Guest")
    (message,) = smtp.sink.wait_for(to("guest1@example.org"))
    session = ok(owner.get(f"session/id/{session_id}/format/json"))["sessions"][0]
    link = ok(owner.get(f"invitees/id/{session_id}/format/json"))["participants"][0][
        "personal_session_link"
    ]
    assert "Quarterly review & plans" in str(message["Subject"])
    assert "Gia Guest" in str(message["To"])
    plain = text_of(message)
    for expected in (
        "Quarterly review & plans",
        "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST (UTC+02:00)",
        "90 minutes",
        link,
        "pa$$'word",
        str(session["session_access_code"]),
    ):
        assert expected in plain, expected
    html = text_of(message, "text/html")
    assert "Quarterly review &amp; plans" in html
    assert f'href="{link}"' in html
    calendar, event = event_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART").isoformat() == "2030-07-10T16:00:00+00:00"
    assert event.decoded("DTEND").isoformat() == "2030-07-10T17:30:00+00:00"
    assert str(event["UID"]).startswith(f"session-{session_id}@")
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Quarterly review & plans"


def test_registered_invitees_see_their_own_zone(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UP1", dst=True)
    guest = make_account(timezone="UM5", dst=True)
    guest_email = ok(guest.get("user/format/json"))["users"][0]["email"]
    body = {"topic": "Cross-Atlantic", "duration": 30, "start_time": "2030-07-10 18:00:00"}
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    invite(owner, session_id, guest_email)
    invite(owner, session_id, "walkin@example.org")
    (registered,) = smtp.sink.wait_for(to(guest_email))
    (walkin,) = smtp.sink.wait_for(to("walkin@example.org"))
    assert "Wednesday, 10 July 2030, America/New_York · 12:00 EDT (UTC-04:00)" in text_of(
        registered
    )
    assert "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST (UTC+02:00)" in text_of(walkin)


def test_changes_reach_mailed_invitees_with_the_same_uid(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account()
    body = {"topic": "Standup", "duration": 15, "start_time": "2030-03-01 09:00:00"}
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    invite(owner, session_id, "mailed@example.org")
    invite(owner, session_id, "unmailed@example.org", send_email_invitation=False)
    (first,) = smtp.sink.wait_for(to("mailed@example.org"))
    ok(rest(owner, "POST", "session", {"id": session_id, "password": "only-passcode"}))
    ok(rest(owner, "POST", "session", {"id": session_id, "start_time": "2030-03-02 10:00:00"}))
    _, update = smtp.sink.wait_for(to("mailed@example.org"), count=2)
    assert str(update["Subject"]).startswith("Updated: Standup")
    _, first_event = event_of(first)
    _, update_event = event_of(update)
    assert update_event["UID"] == first_event["UID"]
    assert int(update_event["SEQUENCE"]) == 1
    assert update_event.decoded("DTSTART").isoformat() == "2030-03-02T10:00:00+00:00"
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    *_, cancel = smtp.sink.wait_for(to("mailed@example.org"), count=3)
    calendar, cancel_event = event_of(cancel)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert cancel_event["UID"] == first_event["UID"]
    assert int(cancel_event["SEQUENCE"]) == 2
    assert len(smtp.sink.to("mailed@example.org")) == 3  # the passcode change sent nothing
    assert smtp.sink.to("unmailed@example.org") == []


def test_post_invitee_sends_the_invitation_again(
    make_account: MakeAccount, smtp: SmtpServer, server: Server
) -> None:
    owner = make_account()
    body = {"topic": "Resend", "duration": 15, "start_time": "2030-03-01 09:00:00"}
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    user_id = invite(owner, session_id, "again@example.org")
    smtp.sink.wait_for(to("again@example.org"))
    ok(rest(owner, "POST", "invitee", {"session_id": session_id, "user_id": user_id, "role": 1}))
    smtp.sink.wait_for(to("again@example.org"), count=2)
    quiet = {"session_id": session_id, "user_id": user_id, "role": 3, "send_email_invitation": 0}
    ok(rest(owner, "POST", "invitee", quiet))
    # The quiet change queued nothing: the outbox holds the two messages sent, no third.
    wait_until(lambda: statuses(messages_to(server, "again@example.org")) == [SENT, SENT])
    assert len(smtp.sink.to("again@example.org")) == 2


# --- delivery guarantees, each on a server of its own -------------------------------------


def outbox_rows(server: Server) -> list[dict[str, Any]]:
    """Every message in the server's outbox, read with SQL, oldest first."""
    return server.query(select(outbox).order_by(outbox.c.id))


def messages_to(server: Server, address: str) -> list[dict[str, Any]]:
    return [row for row in outbox_rows(server) if address in row["recipient"]]


def statuses(rows: list[dict[str, Any]]) -> list[str]:
    return [row["status"] for row in rows]


class MailRig:
    """A server, its database and an SMTP port, for tests that stop and start things: the
    application in this process, or with `live` a real `onstream serve`."""

    def __init__(self, workdir: Path, database_url: str, *, live: bool, **settings: Any) -> None:
        self.smtp = SmtpServer(free_port())
        kind = ServerProcess if live else AppServer
        self.server: AppServer | ServerProcess = kind(
            workdir=workdir, database_url=database_url, extra_env=self.smtp.env(**settings)
        )
        self.server.add_account("mailer", "mailer-password", email="m@example.com")
        self.client = self.server.api_client("mailer", "mailer-password")

    def invite(self, *emails: str, topic: str = "Rig", **person: str) -> None:
        """PUT a session that invites these addresses (each with the `person` fields)."""
        body = {
            "topic": topic,
            "duration": 30,
            "start_time": "2030-01-01 10:00:00",
            "invited_participants": [{"email": e, **person} for e in emails],
        }
        ok(rest(self.client, "PUT", "session", body), 201)

    def outbox(self) -> list[dict[str, Any]]:
        return outbox_rows(self.server)

    def count(self, status: str) -> int:
        return statuses(self.outbox()).count(status)

    def worker(self) -> subprocess.Popen[bytes]:
        """A real `onstream worker` process on the rig's database."""
        return subprocess.Popen(
            [sys.executable, "-m", "onstream", "worker"],
            cwd=self.server.workdir,
            env=self.server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        self.client.close()
        if isinstance(self.server, AppServer):
            self.server.close()
        else:
            self.server.stop()
        self.smtp.stop()


@pytest.fixture
def rig_factory(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> Iterator[Callable[..., MailRig]]:
    rigs: list[MailRig] = []

    def make(*, live: bool = False, **settings: Any) -> MailRig:
        workdir = tmp_path / f"rig{len(rigs)}"
        workdir.mkdir()
        rig = MailRig(workdir, new_database(workdir), live=live, **settings)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()


def test_retries_until_the_smtp_server_comes_up(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory()
    rig.server.start()
    rig.invite("patient@example.org")
    wait_until(lambda: max(row["attempts"] for row in rig.outbox()) >= 2)
    (row,) = rig.outbox()
    assert row["status"] == PENDING
    assert row["last_error"]
    rig.smtp.start()
    (message,) = rig.smtp.sink.wait_for(to("patient@example.org"))
    assert "Rig" in str(message["Subject"])
    wait_until(lambda: statuses(rig.outbox()) == [SENT])


def test_a_burst_of_messages_shares_smtp_connections(
    rig_factory: Callable[..., MailRig],
) -> None:
    rig = rig_factory()
    rig.smtp.start()
    rig.server.start()
    guests = [f"guest{n}@example.org" for n in range(8)]
    rig.invite(*guests, topic="Burst", first_name="Näme")
    rig.smtp.sink.wait_for(lambda m: "Burst" in str(m["Subject"]), count=len(guests))
    envelopes = rig.smtp.sink.envelopes
    assert sorted(rcpt for _, _, (rcpt,) in envelopes) == sorted(guests)  # bare addresses
    assert {sender for _, sender, _ in envelopes} == {"onstream@localhost"}
    connections = {peer for peer, _, _ in envelopes}
    assert len(connections) < len(guests) // 2, connections
    for message in rig.smtp.sink.messages:
        assert str(message["To"]).startswith("Näme <guest")


def test_a_4xx_answer_is_retried(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory()
    rig.smtp.start()
    rig.smtp.sink.refuse_with = "451 4.3.0 Try again later"
    rig.server.start()
    rig.invite("later@example.org")
    wait_until(lambda: any("451" in (row["last_error"] or "") for row in rig.outbox()))
    assert statuses(rig.outbox()) == [PENDING]
    rig.smtp.sink.refuse_with = None
    rig.smtp.sink.wait_for(to("later@example.org"))
    wait_until(lambda: statuses(rig.outbox()) == [SENT])


def test_a_5xx_answer_fails_at_once_with_the_reason(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory()
    rig.smtp.start()
    rig.smtp.sink.refuse_with = "550 5.1.1 No such mailbox"
    rig.server.start()
    rig.invite("nobody@example.org")
    wait_until(lambda: statuses(rig.outbox()) == [FAILED])
    (row,) = rig.outbox()
    assert "SMTP 550: 5.1.1 No such mailbox" in row["last_error"]


def test_gives_up_after_the_configured_time(
    rig_factory: Callable[..., MailRig], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch)
    rig = rig_factory(ONSTREAM_MAIL_GIVE_UP_SECONDS=3600)
    rig.server.start()
    rig.invite("unreachable@example.org")
    wait_until(lambda: max(row["attempts"] for row in rig.outbox()) >= 2)
    assert statuses(rig.outbox()) == [PENDING]  # retried, not given up within the hour
    clock.advance(3600)
    wait_until(lambda: statuses(rig.outbox()) == [FAILED])
    (row,) = rig.outbox()
    assert re.search(r"(refused|Connect)", row["last_error"], re.IGNORECASE)


def test_no_duplicate_after_a_restart(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory()
    rig.smtp.start()
    rig.server.start()
    rig.invite("once@example.org")
    rig.smtp.sink.wait_for(to("once@example.org"))
    wait_until(lambda: statuses(rig.outbox()) == [SENT])
    rig.server.stop()
    rig.server.start()
    # A message queued after the restart is delivered: the new worker has taken its rounds.
    rig.invite("after@example.org")
    rig.smtp.sink.wait_for(to("after@example.org"))
    wait_until(lambda: statuses(rig.outbox()) == [SENT, SENT])
    assert len(rig.smtp.sink.to("once@example.org")) == 1


def test_no_loss_when_killed_between_commit_and_send(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory(live=True, ONSTREAM_MAIL_WORKER=0)
    rig.smtp.start()
    rig.server.start()
    rig.invite("survivor@example.org")
    assert isinstance(rig.server, ServerProcess)
    assert rig.server.process is not None
    rig.server.process.send_signal(signal.SIGKILL)
    rig.server.process.wait()
    listing = rig.server.cli("outbox")  # what the operator looks at after the crash
    assert listing.returncode == 0, listing.stderr
    assert "pending: 1" in listing.stdout
    worker = rig.worker()
    try:
        rig.smtp.sink.wait_for(to("survivor@example.org"))
        wait_until(lambda: statuses(rig.outbox()) == [SENT])
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert len(rig.smtp.sink.to("survivor@example.org")) == 1


def test_two_workers_send_each_message_once(rig_factory: Callable[..., MailRig]) -> None:
    rig = rig_factory(ONSTREAM_MAIL_WORKER=0)
    rig.smtp.start()
    rig.server.start()
    addresses = [f"crowd{i}@example.org" for i in range(60)]
    rig.invite(*addresses, topic="Crowd")
    workers = [rig.worker() for _ in range(2)]
    try:
        rig.smtp.sink.wait_for(lambda m: "crowd" in str(m["To"]), count=60, timeout=60)
        wait_until(lambda: rig.count(SENT) == 60)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)
    received = sorted(str(m["To"]) for m in rig.smtp.sink.messages)
    assert received == sorted(addresses)
