"""The account center in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import MakeAccount
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.helpers import invite, login_of, new_session

pytestmark = pytest.mark.live  # Chromium talks to a real socket

SCREENSHOT = Path(__file__).resolve().parents[3] / "test-output" / "account.png"
"""Where the home page's picture goes on each run (docs/account.png, shown in
docs/account-center.md, is a copy)."""


def test_sign_in_see_sessions_and_move_them_with_the_time_zone(
    server: Server, make_account: MakeAccount, page: Page
) -> None:
    account = make_account(timezone="UTC")
    login = login_of(account)
    new_session(account, topic="Quarterly review", start_time="2030-07-10 18:00:00")
    new_session(account, topic="Design critique", start_time="2030-07-12 09:30:00", duration=90)
    new_session(account, topic="Kick-off", start_time="2021-03-01 14:00:00")
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(f"{server.base_url}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your account")
    page.get_by_label("Login").fill(login.upper())
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    upcoming = page.get_by_role("region", name="Upcoming sessions")
    expect(upcoming).to_contain_text("Quarterly review")
    expect(upcoming).to_contain_text("Wednesday, 10 July 2030, 18:00 UTC")
    expect(page.get_by_role("region", name="Past sessions")).to_contain_text("Kick-off")
    expect(page.get_by_role("link", name="Start Quarterly review")).to_be_visible()

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Your settings are saved.")

    page.get_by_role("link", name="Your sessions").click()
    expect(upcoming).to_contain_text("Wednesday, 10 July 2030, Europe/Berlin · 20:00 CEST")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("link", name="Quarterly review", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quarterly review")
    expect(page.locator("main")).to_contain_text(
        "Wednesday, 10 July 2030, Europe/Berlin · 20:00 CEST"
    )


def test_keyboard_reaches_every_control_with_a_visible_focus(
    server: Server, make_account: MakeAccount, page: Page
) -> None:
    account = make_account()
    login = login_of(account)
    page.goto(f"{server.base_url}/account/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Login")).to_be_focused()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(f"{login}-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Your sessions")
    outline = focused.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"


def test_phone_width_does_not_scroll_sideways(
    server: Server, owner: httpx.Client, page: Page
) -> None:
    login = login_of(owner)
    new_session(owner, topic="A rather long topic that has to wrap on a narrow phone screen")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{server.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


def sign_in(page: Page, server: Server, login: str) -> None:
    page.goto(f"{server.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")


def test_create_a_session_with_an_invitee_then_move_it(
    server: Server, make_account: MakeAccount, page: Page, smtp: SmtpServer
) -> None:
    account = make_account(timezone="UP1", dst=True)
    sign_in(page, server, login_of(account))
    page.get_by_role("link", name="New session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New session")
    page.get_by_label("Title").fill("Browser-made session")
    page.get_by_label("Date").fill("2030-07-10")
    page.get_by_label("Time", exact=True).fill("18:00")
    page.get_by_label("Length in minutes").fill("30")
    first = page.get_by_role("group", name="Invitee 1")
    first.get_by_label("E-mail", exact=True).fill("browser-guest@example.com")
    first.get_by_label("First name").fill("Bea")
    first.get_by_label("Role").select_option("1")
    page.get_by_role("button", name="Create session").click()

    expect(page.get_by_role("status")).to_have_text("The session is created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browser-made session")
    expect(page.locator("main")).to_contain_text(
        "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST"
    )
    guest = page.get_by_role("heading", name="Bea <browser-guest@example.com> · moderator")
    expect(guest).to_be_visible()
    (mail,) = smtp.sink.wait_for(lambda m: "browser-guest@example.com" in str(m["To"]))
    assert str(mail["Subject"]).startswith("Invitation: Browser-made session")

    page.get_by_role("link", name="Edit the session").click()
    expect(page.get_by_label("Time", exact=True)).to_have_value("18:00")
    page.get_by_label("Time", exact=True).fill("19:30")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("status")).to_have_text("The session is saved.")
    expect(page.locator("main")).to_contain_text(
        "Wednesday, 10 July 2030, Europe/Berlin · 19:30 CEST"
    )
    (update,) = smtp.sink.wait_for(
        lambda m: (
            "browser-guest@example.com" in str(m["To"])
            and str(m["Subject"]).startswith("Updated: Browser-made session")
        )
    )
    assert "19:30" in str(update["Subject"])
    page.get_by_role("link", name="Your sessions").click()
    upcoming = page.get_by_role("region", name="Upcoming sessions")
    expect(upcoming).to_contain_text("Wednesday, 10 July 2030, Europe/Berlin · 19:30 CEST")


def test_session_forms_fit_a_phone(server: Server, owner: httpx.Client, page: Page) -> None:
    created = new_session(owner, topic="Phone-sized session with a rather long title to wrap")
    invite(owner, created.id, email="a-very-long-address-for-a-phone@example.com")
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, server, login_of(owner))
    base = f"/account/sessions/{created.id}"
    for path in ("/account/sessions/new", base, f"{base}/edit", f"{base}/delete"):
        page.goto(f"{server.base_url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
