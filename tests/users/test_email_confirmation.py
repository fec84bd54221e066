"""Confirming an account's new address (CONTRACT §6a): the link goes out through the real
outbox and SMTP server, a GET of it changes nothing, a POST verifies once, and an expired,
used or replaced link is refused with a page that says why."""

from __future__ import annotations

import itertools
import re
from email.message import EmailMessage

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.clock import Clock
from tests.support.server import Server
from tests.support.smtp import SmtpServer

from onstream.users.tables import email_confirmations

LINK = re.compile(r"http://[^\s\"<>]+/account/email/[A-Za-z0-9_-]+")
_addresses = itertools.count(1)


def new_address() -> str:
    return f"confirm{next(_addresses)}@example.net"


def body_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content())


def change_address(client: httpx.Client, smtp: SmtpServer, address: str) -> str:
    """POST user with a new address; the confirmation link mailed to it."""
    ok(rest(client, "POST", "user", {"email": address}))
    (message,) = smtp.sink.wait_for(lambda m: address in str(m["To"]))
    assert "Confirm your e-mail address" in str(message["Subject"])
    assert message.get_content_type() == "multipart/alternative"
    plain, html = body_of(message, "plain"), body_of(message, "html")
    (link,) = set(LINK.findall(plain))
    assert f'href="{link}"' in html
    return link


def verified(client: httpx.Client) -> bool:
    return bool(ok(client.get("user/format/json"))["users"][0]["email_verified"])


def invited_to(owner: httpx.Client, address: str) -> int:
    body = {"topic": "Board", "duration": 60, "start_time": "2030-07-10 18:00:00"}
    session_id = int(ok(rest(owner, "PUT", "session", body), 201)["id"])
    invite = {"session_id": session_id, "email": address, "send_email_invitation": False}
    ok(rest(owner, "PUT", "invitee", invite), 201)
    return session_id


def test_the_link_verifies_on_post_only(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UP1", dst=True)
    account = make_account(timezone="UM5", dst=True)
    address = new_address()
    session_id = invited_to(owner, address)
    link = change_address(account, smtp, address)
    assert not verified(account)

    for _ in range(2):  # what a mail scanner does: fetch, and fetch again
        page = server.get(link)
        assert page.status_code == 200
        assert "Confirm your e-mail address" in page.text
        assert address in page.text
        assert '<form method="post">' in page.text
        assert page.headers["cache-control"] == "no-store"
    assert server.request("HEAD", link).status_code == 200
    assert not verified(account)
    assert ok(account.get("sessions/invited/1/format/json"))["sessions"] == []

    done = server.post(link)
    assert done.status_code == 200
    assert "Your address is confirmed" in done.text
    assert verified(account)
    (session,) = ok(account.get(f"session/id/{session_id}/format/json"))["sessions"]
    assert (session["timezone"], session["start_time"]) == ("UM5", "2030-07-10 12:00:00")

    again = server.post(link)
    assert again.status_code == 410
    assert "already used" in again.text
    assert server.get(link).status_code == 410


def test_invitation_mail_follows_the_zone_once_verified(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UP1", dst=True)
    account = make_account(timezone="UM5", dst=True)
    address = new_address()
    server.post(change_address(account, smtp, address))
    body = {"topic": "Zones", "duration": 30, "start_time": "2030-07-10 18:00:00"}
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    ok(rest(owner, "PUT", "invitee", {"session_id": session_id, "email": address}), 201)
    (invitation,) = smtp.sink.wait_for(
        lambda m: address in str(m["To"]) and "Zones" in str(m["Subject"])
    )
    assert "Wednesday, 10 July 2030, America/New_York · 12:00 EDT (UTC-04:00)" in body_of(
        invitation, "plain"
    )


def test_an_expired_link_is_refused(
    server: Server, make_account: MakeAccount, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_account()
    link = change_address(account, smtp, new_address())
    Clock().install(monkeypatch).advance(72 * 3600 + 60)
    for response in (server.get(link), server.post(link)):
        assert response.status_code == 410
        assert "This link has expired" in response.text
    assert not verified(account)


def test_a_newer_address_voids_the_older_link(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    account = make_account()
    first = change_address(account, smtp, new_address())
    second_address = new_address()
    second = change_address(account, smtp, second_address)
    for response in (server.get(first), server.post(first)):
        assert response.status_code == 404
        assert "This link is not valid" in response.text
    assert not verified(account)
    assert server.post(second).status_code == 200
    assert verified(account)
    assert ok(account.get("user/format/json"))["users"][0]["email"] == second_address


def test_the_same_address_in_another_case_stays_verified_and_sends_nothing(
    make_account: MakeAccount, smtp: SmtpServer, server: Server
) -> None:
    account = make_account()
    address = ok(account.get("user/format/json"))["users"][0]["email"]
    before = len(server.query(email_confirmations.select()))
    ok(rest(account, "POST", "user", {"email": address.upper(), "first_name": "Same"}))
    assert verified(account)
    assert len(server.query(email_confirmations.select())) == before


def test_the_page_touches_only_its_own_account(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    mine, other = make_account(), make_account()
    other_link = change_address(other, smtp, new_address())
    my_link = change_address(mine, smtp, new_address())
    other_id = ok(other.get("user/format/json"))["users"][0]["id"]
    forged = {"account_id": str(other_id), "id": str(other_id), "token": other_link}
    assert server.post(my_link, data=forged).status_code == 200
    assert verified(mine)
    assert not verified(other)  # nothing in the form chooses the account
    for made_up in (
        my_link[:-2] + "xx",
        my_link + "x",
        my_link.rsplit("/", 1)[0] + "/" + "a" * 200,
    ):
        response = server.post(made_up)
        assert response.status_code == 404, made_up
        assert "This link is not valid" in response.text
    assert server.post(my_link + "/again").status_code in (404, 405)
    assert not verified(other)
    stored = server.query(email_confirmations.select())
    assert not any(other_link.rsplit("/", 1)[1] in str(row.values()) for row in stored)
