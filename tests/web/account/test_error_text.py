"""The account center's forms answer malformed input in the server's own sentences: every
field of every form that writes, left out or given text no person means (empty, huge and foreign
digits, dates at the calendar's ends, unknown zones, broken URLs and addresses, direction
controls), is answered below 500, and a refusal's page carries no Python exception text
(`tests/support/leaks.py`), as `tests/security/test_error_text.py` holds for the API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.support.api import ok, rest
from tests.support.leaks import python_text
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of
from tests.web.test_pages import visible_text

MALFORMED = [
    "",
    " ",
    "words",
    "-1",
    "99999999999999999999999",
    "1e309",
    "\u0661\u0662",
    "9999-12-31",
    "0001-01-01",
    "25:99",
    "2027-02-30",
    "Mars/Base",
    "UP99",
    "x" * 3000,
    "Invoice\u202efdp.exe",
    "http://",
    "http://127.0.0.1:6379/",
    "a@",
    "{",
    "FREQ=DAILY;UNTIL=99991231",
]
SESSION = {
    "topic": "Review",
    "date": "2030-07-10",
    "time": "18:00",
    "duration": "45",
    "timezone": "Europe/Berlin",
}
FORMS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "new session": (SESSION, (*SESSION, "password", "friendly_url", "occurrences")),
    "edit session": (SESSION, (*SESSION, "password", "friendly_url")),
    "invitee": ({"email": "ana@example.com", "role": "1"}, ("email", "first_name", "role")),
    "series": (
        {"topic": "Weekly", "time": "09:00", "duration": "30"},
        ("topic", "time", "duration", "password"),
    ),
    "webhook": ({"url": "https://example.com/hook", "event-session.created": "1"}, ("url",)),
    "token": ({"name": "ci", "expires_days": "3"}, ("name", "expires_days")),
    "profile": (
        {"section": "profile", "email": "ana@example.com"},
        ("first_name", "email", "timezone"),
    ),
}


@pytest.fixture
def browser(server: Server, owner: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(owner), f"{login_of(owner)}-password") as client:
        yield client


def paths(owner: httpx.Client) -> dict[str, str]:
    """Each form's page: a session and a series of the owner's to edit."""
    one = ok(
        rest(
            owner,
            "PUT",
            "session",
            {"topic": "One", "start_time": "2030-07-10 18:00", "duration": 30},
        ),
        201,
    )
    weekly = {
        "topic": "Weekly",
        "start_time": "2030-07-10 09:00",
        "duration": 30,
        "recurrence": "FREQ=WEEKLY;COUNT=3",
    }
    series = ok(rest(owner, "PUT", "session", weekly), 201)
    return {
        "new session": "/account/sessions/new",
        "edit session": f"/account/sessions/{one['id']}/edit",
        "invitee": f"/account/sessions/{one['id']}/invitees",
        "series": f"/account/series/{series['series_id']}",
        "webhook": "/account/webhooks",
        "token": "/account/tokens",
        "profile": "/account/settings",
    }


def test_no_malformed_field_gets_a_500_or_python_text_back(
    owner: httpx.Client, browser: httpx.Client
) -> None:
    found: list[str] = []
    csrf = csrf_of(browser.get("/account/settings").text)  # one token for every form
    for form, path in paths(owner).items():
        good, fields = FORMS[form]
        bare = browser.post(path, data={"csrf": csrf})  # a hand-made form with no field
        if bare.status_code >= 500:
            found.append(f"{form} with no field: {bare.status_code}")
        for field in fields:
            for value in MALFORMED:
                answer = browser.post(path, data={"csrf": csrf, **good, field: value})
                where = f"{form} {field}={value[:20]!r}: {answer.status_code}"
                if answer.status_code >= 500:
                    found.append(where)
                elif answer.status_code >= 400:
                    phrase = python_text(visible_text(answer.text))
                    if phrase is not None:
                        found.append(f"{where} says {phrase!r}")
    assert not found, "\n".join(found)
