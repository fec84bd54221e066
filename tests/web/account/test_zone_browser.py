"""The settings page's zone picker in a real browser (Debian's Chromium via Playwright): a
searchable list of IANA zones, the browser's own zone offered beside it, and the page at
desktop and phone widths (pictures in test-output/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import MakeAccount
from tests.support.api import ok
from tests.support.server import Server
from tests.web.helpers import login_of, new_session

pytestmark = pytest.mark.live  # Chromium talks to a real socket

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"


@pytest.fixture
def new_york_page(browser: Browser) -> Iterator[Page]:
    """A page whose browser believes it is in New York (Intl reports America/New_York)."""
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, server: Server, login: str) -> None:
    page.goto(f"{server.base_url}/account/settings")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")


def test_type_part_of_a_place_pick_it_and_save(
    server: Server, make_account: MakeAccount, new_york_page: Page
) -> None:
    page = new_york_page
    account = make_account(timezone="UTC")
    new_session(account, topic="Zone review", start_time="2030-07-10 18:00:00")
    sign_in(page, server, login_of(account))
    field = page.get_by_label("Time zone")
    expect(field).to_have_value("UTC")
    # The list holds every IANA zone; typing part of a name narrows it to the places.
    options = page.locator("#timezone-names option")
    assert options.count() > 300
    field.fill("Berl")
    matches = [v for v in options.evaluate_all("os => os.map(o => o.value)") if "Berl" in v]
    assert matches == ["Europe/Berlin"]
    field.press("ArrowDown")
    field.press("Enter")
    if field.input_value() != "Europe/Berlin":  # headless Chromium shows no list to pick from
        field.fill("Europe/Berlin")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Your settings are saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.locator("#timezone-hint")).to_contain_text("Your clock now: Europe/Berlin · ")
    user = ok(account.get("user/format/json"))["users"][0]
    assert (user["timezone"], user["dst"]) == ("UP1", True)
    page.get_by_role("link", name="Your sessions").click()
    expect(page.locator("main")).to_contain_text(
        "Wednesday, 10 July 2030, Europe/Berlin · 20:00 CEST"
    )


def test_the_browsers_zone_is_offered_and_used_with_one_click(
    server: Server, make_account: MakeAccount, new_york_page: Page
) -> None:
    page = new_york_page
    account = make_account(timezone="UP1", dst=True)
    sign_in(page, server, login_of(account))
    field = page.get_by_label("Time zone")
    expect(field).to_have_value("Europe/Berlin")  # UP1 with DST, shown as its place
    offer = page.locator("[data-zone-for=timezone]")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("This browser is on America/New_York.")
    offer.get_by_role("button", name="Use it").click()
    expect(field).to_have_value("America/New_York")
    expect(offer).to_be_hidden()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Your settings are saved.")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    expect(page.locator("[data-zone-for=timezone]")).to_be_hidden()  # nothing left to offer
    user = ok(account.get("user/format/json"))["users"][0]
    assert (user["timezone"], user["dst"]) == ("UM5", True)


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 800), ("phone", 390, 844)])
def test_the_settings_page_at_desktop_and_phone_width(
    server: Server, make_account: MakeAccount, browser: Browser, name: str, width: int, height: int
) -> None:
    context = browser.new_context(
        timezone_id="Asia/Kolkata", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    try:
        account = make_account(timezone="UP1", dst=True)
        sign_in(page, server, login_of(account))
        field = page.get_by_label("Time zone")
        expect(page.locator("[data-zone-for=timezone]")).to_contain_text("Asia/Kolkata")
        box = field.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, "the page scrolls sideways"
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"settings-zone-{name}.png"), full_page=True)
    finally:
        context.close()
