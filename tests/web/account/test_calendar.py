"""The account center's calendar feed: turn it on, make a new link, turn it off."""

from __future__ import annotations

import html
import re

from icalendar import Calendar
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.web.account.helpers import post_form, signed_in
from tests.web.helpers import login_of

FEED = re.compile(r'id="feed-url" type="text" readonly value="([^"]+)"')


def shown_feed(page: str) -> str | None:
    found = FEED.search(page)
    return html.unescape(found.group(1)) if found else None


def test_the_settings_page_turns_the_feed_on_renews_it_and_turns_it_off(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    body = {"topic": "In my calendar", "duration": 30, "start_time": "2030-02-02 08:00:00"}
    ok(rest(account, "PUT", "session", body), 201)
    login = login_of(account)
    with signed_in(server, login, f"{login}-password") as browser, server.client() as web:
        page = browser.get("/account/settings").text
        assert shown_feed(page) is None
        assert "Turn on" in page
        assert (
            post_form(browser, "/account/settings", section="calendar", feed="new").status_code
            == 303
        )
        first = shown_feed(browser.get("/account/settings").text)
        assert first is not None
        assert ok(account.get("calendar_feed/format/json"))["url"] == first
        (event,) = Calendar.from_ical(web.get(first).content).walk("VEVENT")
        assert str(event["SUMMARY"]) == "In my calendar"
        post_form(browser, "/account/settings", section="calendar", feed="new")
        page = browser.get("/account/settings").text
        assert "the previous one no longer works" in page
        second = shown_feed(page)
        assert second not in (None, first)
        assert web.get(first).status_code == 404
        post_form(browser, "/account/settings", section="calendar", feed="off")
        page = browser.get("/account/settings").text
        assert shown_feed(page) is None
        assert "calendar feed is turned off" in page
        assert web.get(str(second)).status_code == 404


def test_the_page_shows_only_ones_own_feed(server: Server, make_account: MakeAccount) -> None:
    alice, bob = make_account(), make_account()
    alice_url = ok(rest(alice, "POST", "calendar_feed"))["url"]
    login = login_of(bob)
    with signed_in(server, login, f"{login}-password") as browser:
        page = browser.get("/account/settings").text
        assert shown_feed(page) is None
        assert alice_url not in page
        post_form(browser, "/account/settings", section="calendar", feed="off")
    assert ok(alice.get("calendar_feed/format/json"))["url"] == alice_url
