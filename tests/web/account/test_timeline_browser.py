"""The account center's lists in a real browser as the server's clock moves: a meeting is
Upcoming, then Now while its room is open, then Past with its recordings; and the question
before a session in the past is written, which mails nobody unless the organiser asks.

The application runs in this process on a real socket (`AppServer.listening`), so the test
moves its clock (`tests.support.clock`) and Chromium sees the pages of that moved time."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.clock import Clock
from tests.support.recordings import add_recording
from tests.support.smtp import SmtpServer
from tests.web.helpers import login_of, new_session

from onstream.clock import utcnow
from onstream.mail.tables import outbox

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
MINUTE = 60


@pytest.fixture(scope="module")
def site(app_server: AppServer) -> Iterator[AppServer]:
    """The in-process application, listening on its port for Chromium."""
    with app_server.listening():
        yield app_server


def recording(site: AppServer, account: httpx.Client, session_id: int, title: str) -> None:
    """`onstream recording add`, in a thread of its own: the command runs its own event loop,
    and Playwright's runs in this thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(add_recording, site, account, session_id, title=title).result()


def sign_in(page: Page, site: AppServer, login: str) -> None:
    page.goto(f"{site.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")


def wall(minutes_from_now: float) -> str:
    """A start time on the UTC clock, this many minutes from the server's now."""
    return f"{utcnow() + timedelta(minutes=minutes_from_now):%Y-%m-%d %H:%M:%S}"


def test_a_meeting_is_upcoming_then_now_then_past_with_its_recording(
    site: AppServer, make_account: MakeAccount, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch)
    account = make_account(timezone="UTC")
    meeting = new_session(account, topic="Weekly sync", start_time=wall(120), duration=30)
    new_session(account, topic="Design review", start_time=wall(3 * 24 * 60), duration=60)
    earlier = new_session(account, topic="Kick-off", start_time=wall(-3 * 24 * 60), duration=60)
    recording(site, account, earlier.id, "Kick-off recording")
    sign_in(page, site, login_of(account))
    now = page.get_by_role("region", name="Now")
    upcoming = page.get_by_role("region", name="Upcoming sessions")
    past = page.get_by_role("region", name="Past sessions")

    # Two hours before: upcoming, with its Start button; nothing is on now.
    expect(upcoming).to_contain_text("Weekly sync")
    expect(upcoming.get_by_role("link", name="Start Weekly sync")).to_be_visible()
    expect(now).to_contain_text("No meeting room is open now")
    expect(past).to_contain_text("Kick-off")
    expect(past.get_by_role("link", name="Kick-off recording")).to_be_visible()

    # Ten minutes before the start its room is open: Now, with Start.
    clock.advance(110 * MINUTE)
    page.reload()
    expect(now.get_by_role("link", name="Start Weekly sync")).to_be_visible()
    expect(upcoming).not_to_contain_text("Weekly sync")
    expect(past).not_to_contain_text("Weekly sync")
    OUTPUT.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(OUTPUT / "account-lists-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(OUTPUT / "account-lists-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # After its end, within the grace period, the room is still open: still Now.
    clock.advance(45 * MINUTE)
    page.reload()
    expect(now).to_contain_text("Weekly sync")

    # Once the room closed: Past, without a Start button, with its recording linked.
    clock.advance(30 * MINUTE)
    recording(site, account, meeting.id, "Weekly sync recording")
    page.reload()
    expect(past).to_contain_text("Weekly sync")
    expect(now).to_contain_text("No meeting room is open now")
    expect(page.get_by_role("link", name="Start Weekly sync")).to_have_count(0)
    link = past.get_by_role("link", name="Weekly sync recording")
    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith(f"{site.base_url}/play/"), href
    assert site.get(href).status_code == 200  # the recording's playback page
    page.get_by_role("link", name="Weekly sync", exact=True).click()
    expect(page.locator("main")).to_contain_text("This meeting has ended.")
    expect(page.get_by_role("link", name="Start as moderator")).to_have_count(0)


def outbox_to(site: AppServer, address: str) -> list[dict[str, object]]:
    """The e-mails queued for this address, sent or not."""
    return site.query(select(outbox.c.subject).where(outbox.c.recipient == address))


@pytest.fixture
def page_without_scripts(browser: Browser) -> Iterator[Page]:
    """A page of a browser with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_a_session_in_the_past_is_asked_about_and_mails_nobody_unless_ticked(
    site: AppServer, make_account: MakeAccount, page_without_scripts: Page, smtp: SmtpServer
) -> None:
    page = page_without_scripts  # the question needs no script
    account = make_account(timezone="UTC")
    sign_in(page, site, login_of(account))
    yesterday = utcnow() - timedelta(days=1)

    def fill(title: str, email: str, date: str) -> None:
        page.goto(f"{site.base_url}/account/sessions/new")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Date").fill(date)
        page.get_by_label("Time", exact=True).fill("10:00")
        first = page.get_by_role("group", name="Invitee 1")
        first.get_by_label("E-mail", exact=True).fill(email)
        expect(first.get_by_label("Send the invitation by e-mail")).to_be_checked()
        page.get_by_role("button", name="Create session").click()

    # Asked first; "Change the date" goes back to the form with what was typed.
    fill("Yesterday's review", "past-quiet@example.com", f"{yesterday:%Y-%m-%d}")
    question = page.get_by_role("heading", level=1)
    expect(question).to_have_text("This meeting is in the past — create it anyway?")
    page.get_by_role("button", name="Change the date").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New session")
    expect(page.get_by_label("Title")).to_have_value("Yesterday's review")
    expect(page.get_by_label("Date")).to_have_value(f"{yesterday:%Y-%m-%d}")

    # Created anyway, box unticked: invited, but no invitation is queued or sent.
    page.get_by_role("button", name="Create session").click()
    expect(question).to_have_text("This meeting is in the past — create it anyway?")
    page.get_by_role("button", name="Create it anyway").click()
    expect(page.get_by_role("status")).to_have_text("The session is created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Yesterday's review")
    expect(page.locator("main")).to_contain_text("past-quiet@example.com")
    assert outbox_to(site, "past-quiet@example.com") == []

    # Created anyway with the box ticked: the invitation goes.
    fill("Yesterday's debrief", "past-loud@example.com", f"{yesterday:%Y-%m-%d}")
    page.get_by_label("Send the invitations by e-mail").check()
    page.get_by_role("button", name="Create it anyway").click()
    expect(page.get_by_role("status")).to_have_text("The session is created.")
    smtp.sink.wait_for(lambda m: "past-loud@example.com" in str(m["To"]))
    assert smtp.sink.to("past-quiet@example.com") == []  # queued before, never sent

    # A session in the future is not asked about; moving it into the past is, and its
    # mailed invitee hears nothing of the move unless the box is ticked.
    tomorrow = utcnow() + timedelta(days=1)
    fill("Tomorrow's planning", "mover-past@example.com", f"{tomorrow:%Y-%m-%d}")
    expect(page.get_by_role("status")).to_have_text("The session is created.")
    smtp.sink.wait_for(lambda m: "mover-past@example.com" in str(m["To"]))
    page.get_by_role("link", name="Edit the session").click()
    page.get_by_label("Date").fill(f"{yesterday:%Y-%m-%d}")
    page.get_by_role("button", name="Save session").click()
    expect(question).to_have_text("This meeting is in the past — save it anyway?")
    page.get_by_role("button", name="Save it anyway").click()
    expect(page.get_by_role("status")).to_have_text("The session is saved.")
    expect(page.locator("main")).to_contain_text(f"{yesterday:%A}, {yesterday.day} ")
    subjects = [row["subject"] for row in outbox_to(site, "mover-past@example.com")]
    assert [s for s in subjects if str(s).startswith("Updated:")] == []


def test_the_api_still_mails_a_session_in_the_past(
    site: AppServer, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    account = make_account(timezone="UTC")
    body = {
        "topic": "Old times",
        "start_time": "2020-01-15 10:00:00",
        "duration": 30,
        "invited_participants": [{"email": "api-past@example.com"}],
    }
    ok(rest(account, "PUT", "session", body), 201)
    smtp.sink.wait_for(lambda m: "api-past@example.com" in str(m["To"]))
