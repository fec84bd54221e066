"""A session's mail states in a real browser (Debian's Chromium via Playwright), at desktop
and phone width, with pictures in test-output/ (`session-mail.png`, two invitees' cards, is
the copy in docs/account-center.md); "Send again" clicked."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until
from tests.web.account.test_browser import sign_in
from tests.web.helpers import invite, login_of, new_session

from onstream.mail.tables import outbox

pytestmark = pytest.mark.live  # Chromium talks to a real socket

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def settled(server: Server, session_id: int, count: int) -> bool:
    """`count` messages about the session, none of them still waiting for a first try."""
    query = select(outbox.c.status, outbox.c.attempts).where(outbox.c.session_id == session_id)
    rows = server.query(query)
    return len(rows) == count and all(row["attempts"] > 0 for row in rows)


def mailed_session(server: Server, owner: httpx.Client, smtp: SmtpServer) -> int:
    """A session with an invitation sent, one refused for good, one withdrawn (its
    cancellation sent), one not mailed, and one the relay keeps deferring."""
    created = new_session(owner, topic="Quarterly review", start_time="2030-07-10 18:00:00")
    invite(owner, created.id, email="ana@example.com", first_name="Ana", last_name="Lima",
           role=2, send_email_invitation=1)  # fmt: skip
    leaving, _ = invite(owner, created.id, email="lee@example.com", first_name="Lee",
                        last_name="Park", role=2, send_email_invitation=1)  # fmt: skip
    invite(owner, created.id, email="own@example.com", first_name="Omar", last_name="Said",
           role=3)  # fmt: skip
    wait_until(lambda: settled(server, created.id, 2))
    ok(rest(owner, "DELETE", "invitee", {"session_id": created.id, "user_id": leaving}))
    wait_until(lambda: settled(server, created.id, 3))
    smtp.sink.refuse_with = "550 5.1.1 <bo@example.net>: Recipient address rejected"
    try:
        invite(owner, created.id, email="bo@example.net", first_name="Bo", last_name="Berg",
               role=2, send_email_invitation=1)  # fmt: skip
        wait_until(lambda: settled(server, created.id, 4))
    finally:
        smtp.sink.refuse_with = None
    return created.id


def test_delivery_states_at_desktop_and_phone_width_and_send_again(
    server: Server, make_account: MakeAccount, page: Page, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UP1", dst=True)
    ok(rest(owner, "POST", "user", {"first_name": "Dana", "last_name": "Reyes"}))
    session_id = mailed_session(server, owner, smtp)
    sign_in(page, server, login_of(owner))
    page.goto(f"{server.base_url}/account/sessions/{session_id}")
    to_ana = page.get_by_role("list", name="E-mail to Ana Lima")
    expect(to_ana).to_contain_text("Invitation Sent")
    to_bo = page.get_by_role("list", name="E-mail to Bo Berg")
    expect(to_bo).to_contain_text("Failed: SMTP 550: 5.1.1 <bo@example.net>")
    expect(page.get_by_text("No e-mail sent to Omar Said.")).to_be_visible()
    gone = page.get_by_role("list", name="E-mail to people no longer invited")
    expect(gone).to_contain_text("Cancellation (invitation withdrawn) Sent")
    OUTPUT.mkdir(exist_ok=True)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.get_by_role("heading", name="Invitees").scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(OUTPUT / f"session-mail-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    top = page.get_by_role("heading", name="Invitees").bounding_box()
    bottom = page.locator("ul.invitees > li").nth(1).bounding_box()
    assert top is not None
    assert bottom is not None
    clip = {"x": bottom["x"] - 24, "y": top["y"] - 12, "width": bottom["width"] + 48,
            "height": bottom["y"] + bottom["height"] - top["y"] + 24}  # fmt: skip
    page.screenshot(path=str(OUTPUT / "session-mail.png"), clip=clip, full_page=True)
    page.get_by_role("button", name="Send again the invitation to Bo Berg").click()
    expect(page.get_by_role("status")).to_have_text("The message is queued to be sent again now.")
    smtp.sink.wait_for(lambda m: "bo@example.net" in str(m["To"]))
    wait_until(lambda: "Sent" in (page.reload() and to_bo.inner_text()))
    expect(page.get_by_role("button", name="Send again the invitation to Bo Berg")).to_have_count(0)
