"""A session's page shows what was mailed to each invitee, when, and how it went (queued,
sent, kept without a relay, failed with the reason), with "Send again" for a failure: behind
CSRF, in one transaction, and only for the account's own session and message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.mail.test_delivery import event_of
from tests.support.app import AppServer
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until
from tests.web.account.helpers import signed_in
from tests.web.account.test_sessions import post, shown
from tests.web.helpers import invite, login_of, new_session

from onstream.mail.statuses import FAILED, LOGGED, PENDING, SENT
from onstream.mail.tables import outbox

NOT_FOUND = "This link leads to no session"
SEND_AGAIN = re.compile(r'action="(/account/sessions/\d+/mail/(\d+)/send-again)"')


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    return make_account(timezone="UP1", dst=True)


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def states(server: Server, session_id: int) -> dict[str, str]:
    """The outbox status of each message about the session, by recipient."""
    query = select(outbox.c.recipient, outbox.c.status).where(outbox.c.session_id == session_id)
    return {row["recipient"]: row["status"] for row in server.query(query)}


def status_is(server: Server, session_id: int, address: str, status: str) -> Callable[[], bool]:
    return lambda: any(
        address in to and found == status for to, found in states(server, session_id).items()
    )


def send_again_forms(page: httpx.Response) -> list[tuple[str, int]]:
    return [(path, int(number)) for path, number in SEND_AGAIN.findall(page.text)]


def refused(smtp: SmtpServer, reply: str) -> Any:
    """The SMTP sink answers every message with `reply` until the block ends."""

    class Refusing:
        def __enter__(self) -> None:
            smtp.sink.refuse_with = reply

        def __exit__(self, *_exc: object) -> None:
            smtp.sink.refuse_with = None

    return Refusing()


def test_the_page_shows_sent_and_failed_mail_and_sends_a_failure_again(
    server: Server, account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    created = new_session(account, topic="Delivery states")
    invite(account, created.id, email="arrived@example.com", first_name="Ari",
           last_name="Ved", send_email_invitation=1)  # fmt: skip
    smtp.sink.wait_for(lambda m: "arrived@example.com" in str(m["To"]))
    wait_until(status_is(server, created.id, "arrived@example.com", SENT))
    with refused(smtp, "550 5.1.1 No such user here"):
        invite(account, created.id, email="bounced@example.com", first_name="Bo",
               last_name="Unce", send_email_invitation=1)  # fmt: skip
        wait_until(status_is(server, created.id, "bounced@example.com", FAILED))
    page = browser.get(f"/account/sessions/{created.id}")
    text = shown(page)
    assert re.search(r"Ari Ved <arrived@example.com> · moderator .*? Invitation Sent \d+ ", text)
    assert "Bo Unce <bounced@example.com> · moderator" in text
    assert "Invitation Failed: SMTP 550: 5.1.1 No such user here" in text
    (form,) = send_again_forms(page)
    assert "Send again the invitation to Bo Unce" in text
    response = post(browser, form[0])
    assert response.status_code == 303
    assert response.headers["location"] == f"/account/sessions/{created.id}"
    after = shown(browser.get(response.headers["location"]))
    assert "The message is queued to be sent again now." in after
    (mail,) = smtp.sink.wait_for(lambda m: "bounced@example.com" in str(m["To"]))
    assert str(mail["Subject"]).startswith("Invitation: Delivery states")
    wait_until(status_is(server, created.id, "bounced@example.com", SENT))
    settled = browser.get(f"/account/sessions/{created.id}")
    assert send_again_forms(settled) == []
    assert "Failed" not in shown(settled)
    # Sent already: a second "Send again" mails nobody twice.
    twice = post(browser, form[0])
    assert twice.status_code == 303
    assert "delivered meanwhile; it is not sent twice" in shown(
        browser.get(f"/account/sessions/{created.id}")
    )


def test_a_retrying_message_says_why_and_a_withdrawn_invitee_keeps_their_history(
    server: Server, account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    created = new_session(account, topic="Retrying")
    # The sink refuses before the invitation exists: the mail worker may deliver it at once.
    with refused(smtp, "451 4.3.0 Mailbox busy, try later"):
        user_id, _ = invite(account, created.id, email="later@example.com", first_name="Lat",
                            last_name="Er", send_email_invitation=1)  # fmt: skip
        wait_until(
            lambda: (
                "Queued, trying again (last try: SMTP 451: 4.3.0 Mailbox busy, try later)"
                in shown(browser.get(f"/account/sessions/{created.id}"))
            )
        )
    smtp.sink.wait_for(lambda m: "later@example.com" in str(m["To"]))
    wait_until(status_is(server, created.id, "later@example.com", SENT))
    removed = post(browser, f"/account/sessions/{created.id}/invitees/{user_id}/remove")
    assert removed.status_code == 303
    invitation, cancel = smtp.sink.wait_for(lambda m: "later@example.com" in str(m["To"]), count=2)
    calendar, cancelled = event_of(cancel)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert cancelled["UID"] == event_of(invitation)[1]["UID"]
    page = f"/account/sessions/{created.id}"
    wait_until(lambda: "Cancellation (invitation withdrawn) Sent" in shown(browser.get(page)))
    text = shown(browser.get(page))
    assert "Nobody is invited." in text
    assert "E-mail to people no longer invited" in text
    assert re.search(r"later@example.com Invitation Sent .*? later@example.com "
                     r"Cancellation \(invitation withdrawn\) Sent", text)  # fmt: skip


def test_queued_and_kept_without_a_relay(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    for name, env, expected in (
        ("idle", {"ONSTREAM_MAIL_WORKER": "0"}, "Invitation Queued"),
        ("norelay", {"ONSTREAM_MAIL_POLL_SECONDS": "0.1"}, "Invitation Not sent: this server "
         "has no mail relay (kept in its outbox)"),
    ):  # fmt: skip
        workdir = tmp_path / name
        workdir.mkdir()
        app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env)
        app.start()
        try:
            app.add_account("keeper", "keeper-password")
            client = app.api_client("keeper", "keeper-password")
            created = new_session(client, topic="Kept")
            invite(client, created.id, email="kept@example.com", send_email_invitation=1)
            with signed_in(app, "keeper", "keeper-password") as keeper:
                wanted = LOGGED if name == "norelay" else PENDING
                wait_until(status_is(app, created.id, "kept@example.com", wanted))
                page = keeper.get(f"/account/sessions/{created.id}")
                assert expected in shown(page)
                assert send_again_forms(page) == []
            client.close()
        finally:
            app.close()


def test_another_account_cannot_see_or_send_again_my_mail(
    server: Server,
    make_account: MakeAccount,
    account: httpx.Client,
    browser: httpx.Client,
    smtp: SmtpServer,
) -> None:
    mine = new_session(account, topic="My mail")
    other_of_mine = new_session(account, topic="My other session")
    with refused(smtp, "550 5.1.1 Unknown"):
        invite(account, mine.id, email="private@example.com", send_email_invitation=1)
        wait_until(status_is(server, mine.id, "private@example.com", FAILED))
    ((_, message_id),) = send_again_forms(browser.get(f"/account/sessions/{mine.id}"))
    stranger = make_account()
    theirs = new_session(stranger, topic="Their session")
    login = login_of(stranger)
    with signed_in(server, login, f"{login}-password") as intruder:
        assert "private@example.com" not in intruder.get(f"/account/sessions/{theirs.id}").text
        for session_id in (mine.id, theirs.id, 999_999_999):
            path = f"/account/sessions/{session_id}/mail/{message_id}/send-again"
            response = post(intruder, path)
            assert response.status_code == 404, path
            assert NOT_FOUND in response.text
            assert "private@example.com" not in response.text
        assert (
            intruder.get(f"/account/sessions/{mine.id}/mail/{message_id}/send-again").status_code
            == 404
        )
    # My message under my other session is no message of that session either.
    wrong = post(browser, f"/account/sessions/{other_of_mine.id}/mail/{message_id}/send-again")
    assert wrong.status_code == 404
    forged = browser.post(f"/account/sessions/{mine.id}/mail/{message_id}/send-again",
                          data={"csrf": "0" * 64})  # fmt: skip
    assert forged.status_code == 403
    assert states(server, mine.id) == {"Robin van Persie <private@example.com>": FAILED}
