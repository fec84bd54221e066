"""The account center's session forms in-process: create, edit, delete, on the API's rules."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of, new_session
from tests.web.test_pages import visible_text

FORM = {
    "topic": "Form test",
    "date": "2030-07-10",
    "time": "18:00",
    "duration": "30",
    "timezone": "UP1",
}
"""A valid new-session form: 10 July 2030, 18:00 on UP1's clock."""
API = {"topic": "Form test", "start_time": "2030-07-10 18:00", "duration": 30, "timezone": "UP1"}
"""The same session as PUT session's body."""


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    """A fresh account in UP1 with DST on, through the API."""
    return make_account(timezone="UP1", dst=True)


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    """The same account signed in to the account center."""
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def token(client: httpx.Client) -> str:
    return csrf_of(client.get("/account").text)


def shown(response: httpx.Response) -> str:
    return html.unescape(visible_text(response.text))


def field_error(response: httpx.Response, name: str) -> str:
    """The error shown beside a field (the page must mark the field invalid too)."""
    found = re.search(
        rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', response.text
    )
    assert found is not None, f"no error for {name}: {shown(response)}"
    assert f'aria-describedby="{name}-error"' in response.text
    return html.unescape(found.group(1))


def sessions_of(client: httpx.Client) -> list[dict[str, Any]]:
    fields = ";".join(
        ("id", "topic", "start_time", "start_time_utc", "timezone", "duration", "password",
         "friendly_url", "custom_data", "updated_at")
    )  # fmt: skip
    return list(ok(client.get(f"sessions/return/{fields}/format/json"))["sessions"])


def session_of(client: httpx.Client, session_id: int) -> dict[str, Any]:
    return next(s for s in sessions_of(client) if s["id"] == session_id)


def invitees_of(client: httpx.Client, session_id: int) -> list[dict[str, Any]]:
    groups = ok(client.get(f"invitees/id/{session_id}/format/json"))
    return [person for members in groups.values() for person in members]


def post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf": token(client), **fields})


# --- create --------------------------------------------------------------------------------


def test_home_leads_to_an_empty_form_on_the_accounts_clock(browser: httpx.Client) -> None:
    assert 'href="/account/sessions/new"' in browser.get("/account").text
    page = browser.get("/account/sessions/new")
    assert page.status_code == 200
    # UP1 with DST is Berlin's clock: the field shows the place, the list offers every zone
    assert 'name="timezone" type="text" list="timezone-names" value="Europe/Berlin"' in page.text
    assert '<option value="Europe/Berlin">' in page.text
    for label in ("Title", "Date", "Time", "Length in minutes", "Passcode (empty: none)"):
        assert f">{label}</label>" in page.text
    assert page.text.count('name="invitee-') >= 3 * 5  # three rows of five fields


def test_create_a_session_with_everything_and_an_invitee(
    account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    response = post(
        browser, "/account/sessions/new", **FORM, password="pass 1", friendly_url="form-made",
        auto_record="1", custom1="first", custom2="second",
        **{"invitee-0-email": "form-guest@example.com", "invitee-0-first_name": "Fern",
           "invitee-0-last_name": "Guest", "invitee-0-role": "1", "invitee-0-send": "1"},
    )  # fmt: skip
    assert response.status_code == 303
    session_id = int(response.headers["location"].rsplit("/", 1)[1])
    created = session_of(account, session_id)
    assert created["start_time_utc"] == "2030-07-10T16:00:00Z"  # UP1 with summer time
    assert (created["timezone"], created["duration"]) == ("UP1", 30)
    assert (created["password"], created["friendly_url"]) == ("pass 1", "form-made")
    assert created["custom_data"] == {"custom1": "first", "custom2": "second"}
    (guest,) = invitees_of(account, session_id)
    assert (guest["email"], guest["first_name"], guest["role"]) == (
        "form-guest@example.com",
        "Fern",
        1,
    )
    page = browser.get(response.headers["location"])
    assert "The session is created." in shown(page)
    assert "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in shown(page)
    (mail,) = smtp.sink.wait_for(lambda m: "form-guest@example.com" in str(m["To"]))
    assert str(mail["Subject"]).startswith("Invitation: Form test")
    assert guest["personal_session_link"] in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_unticked_invitation_is_not_sent_but_the_person_is_invited(
    account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    response = post(
        browser, "/account/sessions/new", **FORM,
        **{"invitee-0-email": "quiet-form@example.com", "invitee-1-email": "loud-form@example.com",
           "invitee-1-send": "1"},
    )  # fmt: skip
    assert response.status_code == 303
    session_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert len(invitees_of(account, session_id)) == 2
    smtp.sink.wait_for(lambda m: "loud-form@example.com" in str(m["To"]))
    assert smtp.sink.to("quiet-form@example.com") == []


CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("topic", {"topic": ""}, {"topic": ""}),
    ("duration", {"duration": "half an hour"}, {"duration": "half an hour"}),
    ("duration", {"duration": "0"}, {"duration": 0}),
    ("start_time", {"date": "2030-02-30"}, {"start_time": "2030-02-30 18:00"}),
    ("start_time", {"date": "2030-03-31", "time": "02:30"}, {"start_time": "2030-03-31 02:30"}),
    ("timezone", {"timezone": "Mars/Olympus"}, {"timezone": "Mars/Olympus"}),
    ("friendly_url", {"friendly_url": "Not OK!"}, {"friendly_url": "Not OK!"}),
    ("custom_data", {"custom2": "gap"}, {"custom_data": {"custom2": "gap"}}),
    ("custom1", {"custom1": "x" * 201}, {"custom_data": {"custom1": "x" * 201}}),
    (
        "invitee-0-email",
        {"invitee-0-email": "not-an-address", "invitee-0-send": "1"},
        {"invited_participants": [{"email": "not-an-address"}]},
    ),
    (
        "invitee-1-email",
        {"invitee-1-first_name": "Nomail"},
        {"invited_participants": [{"first_name": "Nomail", "send_email_invitation": False}]},
    ),
    (
        "invitee-0-role",
        {"invitee-0-email": "role@example.com", "invitee-0-role": "7"},
        {"invited_participants": [{"email": "role@example.com", "role": 7}]},
    ),
]


@pytest.mark.parametrize(
    ("field", "typed", "api"), CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)]
)
def test_a_refused_form_says_what_the_api_says_and_keeps_what_was_typed(
    account: httpx.Client,
    browser: httpx.Client,
    field: str,
    typed: dict[str, str],
    api: dict[str, Any],
) -> None:
    message = error(rest(account, "PUT", "session", {**API, **api}), 400)
    response = post(browser, "/account/sessions/new", **{**FORM, "topic": "Kept topic", **typed})
    assert response.status_code == 400
    assert field_error(response, field) == message
    kept = {**FORM, "topic": "Kept topic", **typed}
    for name, value in kept.items():
        if name.endswith("-role") and value in "123":
            assert f'<option value="{value}" selected>' in response.text
        elif name.endswith("-send"):
            assert f'name="{name}" value="1" checked' in response.text
        elif not name.endswith("-role"):  # a role that no option has cannot be kept
            assert f'name="{name}" type' in response.text
            assert f'value="{html.escape(value)}"' in response.text
    assert sessions_of(account) == []  # nothing written, not even the session


def test_a_missing_start_is_required_as_in_the_api(
    account: httpx.Client, browser: httpx.Client
) -> None:
    body = {k: v for k, v in API.items() if k != "start_time"}
    message = error(rest(account, "PUT", "session", body), 400)
    response = post(browser, "/account/sessions/new", **{**FORM, "date": "", "time": ""})
    assert response.status_code == 400
    assert field_error(response, "start_time") == message == "start_time is required"
    assert sessions_of(account) == []


def test_a_friendly_url_in_use_is_a_conflict(account: httpx.Client, browser: httpx.Client) -> None:
    new_session(account, friendly_url="taken-name")
    response = post(browser, "/account/sessions/new", **FORM, friendly_url="taken-name")
    assert response.status_code == 409
    assert "already used by another session" in field_error(response, "friendly_url")
    assert len(sessions_of(account)) == 1


# --- edit ----------------------------------------------------------------------------------


def test_edit_moves_the_session_and_tells_the_invitees(
    account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    created = new_session(account, topic="Movable", custom_data={"custom1": "a"}, password="pw")
    rest(account, "PUT", "invitee", {"session_id": created.id, "email": "mover@example.com"})
    smtp.sink.wait_for(lambda m: "mover@example.com" in str(m["To"]))
    path = f"/account/sessions/{created.id}/edit"
    form = browser.get(path)
    assert form.status_code == 200
    for value in (
        'value="Movable"',
        'value="2030-07-10"',
        'value="18:00"',
        'value="45"',
        'value="pw"',
        'value="a"',
    ):
        assert value in form.text
    before = session_of(account, created.id)
    unchanged = post(browser, path, topic="Movable", date="2030-07-10", time="18:00", duration="45",
                     timezone="Europe/Berlin", password="pw", custom1="a")  # fmt: skip
    assert unchanged.status_code == 303
    assert session_of(account, created.id)["updated_at"] == before["updated_at"]
    moved = post(browser, path, topic="Movable", date="2030-07-11", time="09:15", duration="60",
                 timezone="Europe/Berlin", password="", custom1="")  # fmt: skip
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/account/sessions/{created.id}"
    after = session_of(account, created.id)
    assert after["start_time_utc"] == "2030-07-11T07:15:00Z"
    assert (after["duration"], after["password"], after["custom_data"]) == (60, None, None)
    assert "Thursday, 11 July 2030, Europe/Berlin · 09:15 CEST" in shown(
        browser.get(moved.headers["location"])
    )
    smtp.sink.wait_for(
        lambda m: (
            "mover@example.com" in str(m["To"]) and str(m["Subject"]).startswith("Updated: Movable")
        )
    )


def test_edit_in_another_zone_keeps_the_zone_and_its_clock(
    account: httpx.Client, browser: httpx.Client
) -> None:
    created = new_session(account, timezone="Europe/Lisbon", start_time="2030-07-10 18:00:00")
    path = f"/account/sessions/{created.id}/edit"
    form = browser.get(path)
    assert 'list="timezone-names" value="Europe/Lisbon"' in form.text
    response = post(browser, path, topic="Planning", date="2030-07-10", time="19:00",
                    duration="45", timezone="Europe/Lisbon")  # fmt: skip
    assert response.status_code == 303
    after = session_of(account, created.id)
    assert after["start_time_utc"] == "2030-07-10T18:00:00Z"
    # Lisbon keeps London's clock, the UTC code's region: with the owner's DST on, UTC it is
    assert (after["timezone"], after["start_time"]) == ("UTC", "2030-07-10 19:00:00")


def test_a_refused_edit_changes_nothing_and_keeps_the_values(
    account: httpx.Client, browser: httpx.Client
) -> None:
    created = new_session(account, topic="Stable")
    before = session_of(account, created.id)
    path = f"/account/sessions/{created.id}/edit"
    response = post(browser, path, topic="Stable", date="2031-01-01", time="10:00",
                    duration="5000", timezone="UP1")  # fmt: skip
    message = error(rest(account, "POST", "session", {"id": created.id, "duration": 5000}), 400)
    assert response.status_code == 400
    assert field_error(response, "duration") == message
    assert 'value="2031-01-01"' in response.text
    assert 'value="5000"' in response.text
    assert session_of(account, created.id) == before
    emptied = post(browser, path, topic="Stable", date="", time="", duration="", timezone="UP1")
    assert emptied.status_code == 400
    body = {"id": created.id, "duration": ""}
    assert field_error(emptied, "duration") == error(rest(account, "POST", "session", body), 400)
    no_start = post(browser, path, topic="Stable", date="", time="", duration="45", timezone="UP1")
    body = {"id": created.id, "start_time": ""}
    assert field_error(no_start, "start_time") == error(rest(account, "POST", "session", body), 400)
    assert session_of(account, created.id) == before


def waiting_room_of(client: httpx.Client, session_id: int) -> bool:
    doc = ok(client.get(f"session/id/{session_id}/return/waiting_room/format/json"))
    return bool(doc["sessions"][0]["waiting_room"])


def test_the_waiting_room_checkbox_sets_and_clears_the_field(
    account: httpx.Client, browser: httpx.Client, make_account: MakeAccount, server: Server
) -> None:
    blank = browser.get("/account/sessions/new").text
    assert re.search(r'<input type="checkbox" name="waiting_room" value="1">\s*Waiting room', blank)
    created = post(browser, "/account/sessions/new", **FORM, waiting_room="1")
    assert created.status_code == 303
    session_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert waiting_room_of(account, session_id) is True
    path = f"/account/sessions/{session_id}/edit"
    assert 'name="waiting_room" value="1" checked' in browser.get(path).text
    assert post(browser, path, **FORM).status_code == 303  # the box left unticked
    assert waiting_room_of(account, session_id) is False
    # another account's browser can neither see the form nor turn the waiting room on
    other = make_account()
    with signed_in(server, login_of(other), f"{login_of(other)}-password") as intruder:
        assert intruder.get(path).status_code == 404
        assert post(intruder, path, **FORM, waiting_room="1").status_code == 404
    assert waiting_room_of(account, session_id) is False


# --- delete --------------------------------------------------------------------------------


def test_delete_asks_first_then_cancels(
    account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    created = new_session(account, topic="Doomed")
    rest(account, "PUT", "invitee", {"session_id": created.id, "email": "doomed@example.com"})
    path = f"/account/sessions/{created.id}/delete"
    confirm = browser.get(path)
    assert confirm.status_code == 200
    assert "Delete “Doomed”?" in shown(confirm)
    assert sessions_of(account) != []  # asking deletes nothing
    response = post(browser, path)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert "The session is deleted." in shown(browser.get("/account"))
    assert account.get(f"session/id/{created.id}/format/json").status_code == 410
    smtp.sink.wait_for(
        lambda m: (
            "doomed@example.com" in str(m["To"])
            and str(m["Subject"]).startswith("Cancelled: Doomed")
        )
    )
    assert browser.get(path).status_code == 404
    assert post(browser, f"/account/sessions/{created.id}/edit", **FORM).status_code == 404


def test_an_invited_session_names_its_owner_by_name_or_else_login(
    make_account: MakeAccount, account: httpx.Client, browser: httpx.Client
) -> None:
    owner = make_account()
    (me,) = ok(account.get("user/format/json"))["users"]
    created = new_session(owner, topic="Named owner")
    body = {"session_id": created.id, "email": me["email"], "send_email_invitation": False}
    ok(rest(owner, "PUT", "invitee", body), 201)
    assert f"invited by {login_of(owner)} as participant" in shown(browser.get("/account"))
    names = {"first_name": "Olga", "last_name": "Owner"}
    assert ok(rest(owner, "POST", "user", names))["message"] == "User updated"
    assert "invited by Olga Owner as participant" in shown(browser.get("/account"))
