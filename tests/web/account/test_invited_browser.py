"""Registered invitees in the account center, in Debian's Chromium (CONTRACT §6a): a session
of another account shows on the reader's own clock once the reader's address is confirmed,
and never before."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.helpers import login_of, new_session

pytestmark = pytest.mark.live  # Chromium talks to a real socket

LINK = re.compile(r"http://[^\s\"<>]+/account/email/[A-Za-z0-9_-]+")


def address_of(client: httpx.Client) -> str:
    return str(ok(client.get("user/format/json"))["users"][0]["email"])


def invite_address(owner: httpx.Client, session_id: int, address: str) -> None:
    body = {"session_id": session_id, "email": address, "send_email_invitation": False}
    ok(rest(owner, "PUT", "invitee", body), 201)


def sign_in(page: Page, server: Server, login: str) -> None:
    page.goto(f"{server.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")


def test_an_invited_account_sees_the_session_on_its_own_clock_once_confirmed(
    server: Server, make_account: MakeAccount, page: Page, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UTC")
    reader = make_account(timezone="UP3", dst=False)
    board = new_session(owner, topic="Board meeting", start_time="2030-07-10 18:00:00")
    invite_address(owner, board.id, address_of(reader))

    sign_in(page, server, login_of(reader))
    invited = page.get_by_role("region", name="Sessions you are invited to")
    expect(invited).to_contain_text("Board meeting")
    expect(invited).to_contain_text("Wednesday, 10 July 2030, Asia/Riyadh · 21:00 UTC+3")
    expect(invited).to_contain_text(f"invited by {login_of(owner)} as participant")
    join = page.get_by_role("link", name="Join Board meeting")
    expect(join).to_have_attribute("href", re.compile(rf"/{login_of(owner)}/go/"))
    (doc,) = ok(reader.get(f"session/id/{board.id}/format/json"))["sessions"]
    assert (doc["start_time"], doc["timezone"]) == ("2030-07-10 21:00:00", "UP3")
    assert doc["personal_session_link"] == join.get_attribute("href")

    # A new address is not confirmed yet: the old one's invitation is gone with it, and the
    # new one's stays hidden from the page and from the API until the mailed link is opened.
    address = f"new-{login_of(reader)}@example.net"
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("E-mail address").fill(address)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Open the link we e-mailed")
    expect(page.locator("#email-state")).to_contain_text(f"{address} is not confirmed yet")
    review = new_session(owner, topic="Budget review", start_time="2030-07-11 08:00:00")
    invite_address(owner, review.id, address)
    page.get_by_role("link", name="Your sessions").click()
    expect(invited).not_to_contain_text("Budget review")
    expect(invited).not_to_contain_text("Board meeting")
    assert reader.get(f"session/id/{review.id}/format/json").status_code == 404

    (message,) = smtp.sink.wait_for(lambda m: address in str(m["To"]))
    plain = message.get_body(("plain",))
    assert plain is not None
    (link,) = set(LINK.findall(str(plain.get_content())))
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.goto(f"{server.base_url}/account")
    expect(invited).to_contain_text("Budget review")
    expect(invited).to_contain_text("Thursday, 11 July 2030, Asia/Riyadh · 11:00 UTC+3")
    (doc,) = ok(reader.get(f"session/id/{review.id}/format/json"))["sessions"]
    assert doc["start_time"] == "2030-07-11 11:00:00"
