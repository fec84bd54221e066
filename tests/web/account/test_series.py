"""Recurring series in the account center in-process: "Repeats" on the new-session form
makes a series (as PUT session with `recurrence`), the series pages list and cancel it, a
refused form makes nothing, another account gets 404; and a session's page shows its
passcode and automatic recording to its owner."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import ok
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of, new_session
from tests.web.test_pages import visible_text

FORM = {"topic": "Standup", "date": "2030-07-01", "time": "09:30", "duration": "15"}


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    return make_account(timezone="UP1", dst=True)


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def create(browser: httpx.Client, **fields: str) -> httpx.Response:
    csrf = csrf_of(browser.get("/account/sessions/new").text)
    form = {**FORM, "timezone": "UP1", **fields}
    return browser.post("/account/sessions/new", data={"csrf": csrf, **form})


def sessions_of(account: httpx.Client) -> list[dict[str, Any]]:
    return list(ok(account.get("sessions/format/json"))["sessions"])


def test_a_weekly_series_from_the_new_session_form_listed_then_cancelled(
    account: httpx.Client, browser: httpx.Client
) -> None:
    made = create(browser, repeat="WEEKLY", occurrences="3")
    assert made.status_code == 303
    series_path = made.headers["location"]
    assert series_path.startswith("/account/series/")
    series_id = int(series_path.rsplit("/", 1)[1])
    series = ok(account.get(f"series/id/{series_id}/format/json"))["series"][0]
    assert series["recurrence"] == "FREQ=WEEKLY;COUNT=3"
    starts = [o["start_time_utc"] for o in series["occurrences"]]
    assert starts == ["2030-07-01T07:30:00Z", "2030-07-08T07:30:00Z", "2030-07-15T07:30:00Z"]
    page = html.unescape(visible_text(browser.get(series_path).text))
    assert "Repeats every week, 3 times" in page
    assert "Monday, 8 July 2030, Europe/Berlin · 09:30 CEST" in page
    listing = visible_text(browser.get("/account/series").text)
    assert "Standup" in listing
    assert "3 sessions" in listing
    first = series["occurrences"][0]["id"]
    detail = browser.get(f"/account/sessions/{first}").text
    assert f'href="/account/series/{series_id}"' in detail
    cancelled = browser.post(f"{series_path}/cancel", data={"csrf": csrf_of(detail)})
    assert cancelled.status_code == 303
    assert sessions_of(account) == []
    assert "cancelled" in visible_text(browser.get("/account/series").text)


def test_a_daily_series_and_refused_repeats_make_nothing(
    account: httpx.Client, browser: httpx.Client
) -> None:
    for fields, message in (
        ({"repeat": "DAILY", "occurrences": "1"}, "occurrences must be a whole number from 2"),
        ({"repeat": "DAILY", "occurrences": "abc"}, "occurrences must be a whole number from 2"),
        ({"repeat": "HOURLY", "occurrences": "3"}, "repeat must be every day, every week"),
        (
            {"repeat": "DAILY", "occurrences": "3", "friendly_url": "daily"},
            "friendly_url cannot be given with recurrence",
        ),
    ):
        refused = create(browser, **fields)
        assert refused.status_code == 400, fields
        assert message in html.unescape(refused.text), fields
        assert 'name="topic" type="text" value="Standup"' in refused.text
    assert sessions_of(account) == []
    made = create(browser, repeat="DAILY", occurrences="2")
    assert made.status_code == 303
    assert len(sessions_of(account)) == 2


def test_change_every_upcoming_session_of_a_series(
    account: httpx.Client, browser: httpx.Client
) -> None:
    series_path = create(browser, repeat="DAILY", occurrences="3").headers["location"]
    series_id = int(series_path.rsplit("/", 1)[1])
    page = browser.get(series_path)
    assert 'name="time" type="time" value="09:30"' in page.text
    csrf = csrf_of(page.text)
    form = {"topic": "Standup", "duration": "15", "password": "", "time": "09:30"}

    def starts() -> list[str]:
        found = ok(account.get(f"series/id/{series_id}/format/json"))["series"][0]
        return [o["start_time_utc"] for o in found["occurrences"]]

    before = starts()
    for field, value, message in (
        ("time", "25:00", "time '25:00' is not a time of day"),
        ("duration", "0", "duration"),
        ("topic", "", "topic"),
    ):
        refused = browser.post(series_path, data={"csrf": csrf, **form, field: value})
        assert refused.status_code == 400, field
        assert f'id="{field}-error"' in refused.text, field
        assert message in html.unescape(refused.text), field
        assert f'value="{value}"' in refused.text, field  # what was typed stays
    assert starts() == before
    assert {s["topic"] for s in sessions_of(account)} == {"Standup"}
    changed = {**form, "topic": "Daily sync", "time": "10:00", "password": "pass-1"}
    saved = browser.post(series_path, data={"csrf": csrf, **changed})
    assert saved.status_code == 303
    assert starts() == ["2030-07-01T08:00:00Z", "2030-07-02T08:00:00Z", "2030-07-03T08:00:00Z"]
    assert {(s["topic"], s["password"]) for s in sessions_of(account)} == {("Daily sync", "pass-1")}
    assert "Every upcoming session of the series is changed" in browser.get(series_path).text


def test_another_account_gets_404_on_series_pages(
    server: Server, make_account: MakeAccount, account: httpx.Client, browser: httpx.Client
) -> None:
    series_path = create(browser, repeat="WEEKLY", occurrences="2").headers["location"]
    stranger = make_account()
    with signed_in(server, login_of(stranger), f"{login_of(stranger)}-password") as other:
        assert "Standup" not in other.get("/account/series").text
        assert other.get(series_path).status_code == 404
        csrf = csrf_of(other.get("/account").text)
        assert other.post(f"{series_path}/cancel", data={"csrf": csrf}).status_code == 404
        stolen = {"csrf": csrf, "topic": "Taken over"}
        assert other.post(series_path, data=stolen).status_code == 404
    assert len(sessions_of(account)) == 2
    assert {s["topic"] for s in sessions_of(account)} == {"Standup"}


def test_the_session_page_shows_its_passcode_and_recording_to_its_owner(
    server: Server, make_account: MakeAccount, account: httpx.Client, browser: httpx.Client
) -> None:
    made = create(browser, password="open-sesame", auto_record="1")
    assert made.status_code == 303
    path = made.headers["location"]
    page = visible_text(browser.get(path).text)
    assert "Passcode open-sesame" in page
    assert "Recording Starts with the meeting" in page
    session_id = int(path.rsplit("/", 1)[1])
    doc = ok(account.get(f"session/id/{session_id}/return/auto_record;password/format/json"))
    assert doc["sessions"][0] == {"auto_record": True, "password": "open-sesame"}
    plain = new_session(account)
    assert "Passcode None" in visible_text(browser.get(f"/account/sessions/{plain.id}").text)
    stranger = make_account()
    with signed_in(server, login_of(stranger), f"{login_of(stranger)}-password") as other:
        assert "open-sesame" not in other.get(path).text
        assert other.get(path).status_code == 404
