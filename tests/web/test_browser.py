"""The pages in a real browser (Debian's Chromium via Playwright): what a person sees."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.helpers import invite, new_session

pytestmark = pytest.mark.live  # Chromium talks to a real socket

SCREENSHOT = "/tmp/onstream-join.png"  # noqa: S108  # a fixed path people look at after a run


def test_personal_link_one_click(owner: httpx.Client, page: Page) -> None:
    created = new_session(owner, topic="Season review", password="never-asked")
    _, link = invite(owner, created.id)
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Season review")
    expect(page.locator("main")).to_contain_text(
        "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST"
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
    expect(page.get_by_role("status").first).to_contain_text("The meeting room opens in")
    expect(page.locator("time.local-time")).to_contain_text("Your time:")
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    page.get_by_role("button", name="Join now").click()
    # too early: the page waits for the room and will enter by itself when it opens
    expect(page.locator("#enter")).to_have_text("Waiting for the room to open…")
    expect(page.locator("#enter")).to_be_disabled()
    expect(page.locator("#waiting")).to_contain_text("you will enter by yourself when it opens")


def test_session_link_with_passcode(owner: httpx.Client, page: Page) -> None:
    created = new_session(owner, topic="Board meeting", password="open sesame")
    page.goto(created.session_link)
    page.get_by_label("Your name").fill("Dennis Bergkamp")
    page.get_by_label("Passcode").fill("wrong")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_contain_text("That passcode is not right")
    expect(page.get_by_label("Your name")).to_have_value("Dennis Bergkamp")
    expect(page.get_by_label("Passcode")).to_have_value("")
    page.get_by_label("Passcode").fill("open sesame")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_have_text("The meeting room is not open yet.")
    expect(page.get_by_label("Your name")).to_have_value("Dennis Bergkamp")


def test_script_in_topic_and_name_is_text(owner: httpx.Client, page: Page) -> None:
    topic = "<script>alert(1)</script>"
    created = new_session(owner, topic=topic)
    _, link = invite(
        owner, created.id, email="img@example.com", first_name="<img src=x onerror=alert(2)>"
    )
    page.goto(created.session_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(topic)
    name = "<script>alert(3)</script>"
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_label("Your name")).to_have_value(name)
    page.goto(link)
    expect(page.locator("main")).to_contain_text("<img src=x onerror=alert(2)> van Persie")
    assert page.locator("main img, main script").count() == 0
