"""Dates the server keeps (docs/decisions.md, "Dates the server keeps"): a session starts and
ends between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z. Anything outside is a 400 naming
the field and the range on the session's own clock, through PUT and POST session, a
recurrence and the account center's form, in every zone; never a 500, and nothing written.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.leaks import assert_no_python_text
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of

from onstream import timezones

EARLIEST, LATEST = "1970-01-01T00:00:00Z", "9998-12-31T23:59:59Z"
RANGE_IN_UTC = f"a session starts and ends between {EARLIEST} and {LATEST}"
ZONES = [*timezones.CODES, "Europe/Berlin", "Pacific/Kiritimati", "America/St_Johns"]
SECOND = timedelta(seconds=1)

# (zone, first allowed wall start, last allowed wall start of a 60-minute session)
ENDS = [
    ("UP14", "1970-01-01 14:00:00", "9999-01-01 12:59:59"),
    ("UM12", "1969-12-31 12:00:00", "9998-12-31 10:59:59"),
    ("UTC", "1970-01-01 00:00:00", "9998-12-31 22:59:59"),
    ("Europe/Berlin", "1970-01-01 01:00:00", "9998-12-31 23:59:59"),
    # Kiritimati was UTC-10:40 in 1970 and is UTC+14 now
    ("Pacific/Kiritimati", "1969-12-31 13:20:00", "9999-01-01 12:59:59"),
]


@pytest.fixture(scope="module")
def owners(make_account: MakeAccount) -> dict[bool, httpx.Client]:
    """An account with DST off and one with DST on (a code follows its region then)."""
    return {dst: make_account(timezone="UTC", dst=dst) for dst in (False, True)}


@pytest.fixture
def owner(owners: dict[bool, httpx.Client]) -> httpx.Client:
    return owners[True]


def total(client: httpx.Client) -> int:
    response = client.get("sessions/format/json")
    ok(response)
    return int(response.headers["X-Total-Count"])


def put(client: httpx.Client, **fields: Any) -> httpx.Response:
    return rest(client, "PUT", "session", {"topic": "Range", "duration": 60, **fields})


def form(client: httpx.Client, method: str, fields: dict[str, Any]) -> httpx.Response:
    """A form-encoded call (integers beyond 64 bits go as their text)."""
    data = {name: str(value) for name, value in fields.items()}
    return client.request(method, "session/format/json", data=data)


def utc_of(client: httpx.Client, session_id: int) -> dict[str, Any]:
    fields = "start_time;start_time_utc;end_time_utc;duration;timezone"
    (found,) = ok(client.get(f"session/id/{session_id}/return/{fields}/format/json"))["sessions"]
    return dict(found)


def wall(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- both ends, explicitly ---------------------------------------------------------------


@pytest.mark.parametrize(("zone", "first", "last"), ENDS, ids=[e[0] for e in ENDS])
def test_both_ends_of_the_range_in_a_zone(
    owner: httpx.Client, zone: str, first: str, last: str
) -> None:
    before = total(owner)
    created = ok(put(owner, start_time=first, timezone=zone), 201)
    assert utc_of(owner, created["id"])["start_time_utc"] == EARLIEST
    created = ok(put(owner, start_time=last, timezone=zone), 201)
    assert utc_of(owner, created["id"])["end_time_utc"] == LATEST
    for outside in (wall(first) - SECOND, wall(last) + SECOND):
        message = error(put(owner, start_time=f"{outside:%Y-%m-%d %H:%M:%S}", timezone=zone), 400)
        assert message == (
            f"start_time must be between {first} and {last} in {zone}: {RANGE_IN_UTC}"
        )
    assert total(owner) == before + 2


@pytest.mark.parametrize("zone", ["UTC", "UP14", "UM12", "Europe/Berlin", "Pacific/Kiritimati"])
@pytest.mark.parametrize("start", ["9999-12-31 23:59:59", "0001-01-01 00:00:00"])
def test_the_first_and_last_dates_python_knows_are_refused_on_every_door(
    owner: httpx.Client, zone: str, start: str
) -> None:
    before = total(owner)
    refused = [put(owner, start_time=start, timezone=zone, duration=1440)]
    refused.append(put(owner, start_time=start, timezone=zone, recurrence="FREQ=DAILY;COUNT=2"))
    kept = ok(put(owner, start_time="2030-01-01 10:00:00", timezone=zone), 201)["id"]
    shown = utc_of(owner, kept)
    refused.append(rest(owner, "POST", "session", {"id": kept, "start_time": start}))
    for response in refused:
        message = error(response, 400)
        assert message.startswith("start_time must be between ")
        assert message.endswith(RANGE_IN_UTC)
    assert utc_of(owner, kept) == shown
    assert total(owner) == before + 1


def test_a_longer_duration_past_the_end_names_duration_and_changes_nothing(
    owner: httpx.Client,
) -> None:
    created = ok(put(owner, start_time="9998-12-31 20:00:00", timezone="UTC"), 201)["id"]
    shown = utc_of(owner, created)
    message = error(rest(owner, "POST", "session", {"id": created, "duration": 1440}), 400)
    assert message.startswith(f"duration 1440 would end the session after {LATEST}")
    assert utc_of(owner, created) == shown
    ok(rest(owner, "POST", "session", {"id": created, "duration": 239}))
    assert utc_of(owner, created)["end_time_utc"] == "9998-12-31T23:59:00Z"


def test_a_series_that_runs_past_the_end_is_refused_whole(owner: httpx.Client) -> None:
    before = total(owner)
    message = error(
        put(
            owner,
            start_time="9998-06-01 10:00:00",
            timezone="UP14",
            recurrence="FREQ=YEARLY;COUNT=3",
        ),
        400,
    )
    assert message.startswith("recurrence has an occurrence at 9999-06-01 10:00, after ")
    assert total(owner) == before


@pytest.mark.parametrize("until", ["99991231T235959Z", "99991231T235959", "99991231"])
@pytest.mark.parametrize("zone", ["UP14", "UM12", "Pacific/Kiritimati"])
def test_an_until_at_the_calendars_end_means_the_last_date_kept(
    owner: httpx.Client, until: str, zone: str
) -> None:
    rule = f"FREQ=MONTHLY;UNTIL={until}"
    response = put(owner, start_time="9998-10-01 10:00:00", timezone=zone, recurrence=rule)
    ids = ok(response, 201)["sessions"]
    assert 3 <= len(ids) <= 4  # October to December, and 1 January where that is still 9998Z
    assert all(utc_of(owner, i)["end_time_utc"] <= LATEST for i in ids)


@pytest.mark.parametrize("zone", ["UP14", "UM12", "Pacific/Kiritimati"])
def test_an_until_at_the_calendars_start_yields_nothing(owner: httpx.Client, zone: str) -> None:
    before = total(owner)
    rule = "FREQ=MONTHLY;UNTIL=00010101T000000Z"
    response = put(owner, start_time="2030-10-01 10:00:00", timezone=zone, recurrence=rule)
    assert error(response, 400) == "recurrence yields no occurrence from start_time"
    assert total(owner) == before


def test_count_and_until_together_are_refused(owner: httpx.Client) -> None:
    rule = "FREQ=DAILY;COUNT=2;UNTIL=20300110T000000Z"
    message = error(put(owner, start_time="2030-01-01 10:00", recurrence=rule), 400)
    assert message == "recurrence must end by COUNT or by UNTIL, not both (RFC 5545)"


def test_a_series_change_past_the_end_names_time_and_changes_nothing(owner: httpx.Client) -> None:
    rule = "FREQ=DAILY;COUNT=2"
    created = ok(put(owner, start_time="9998-12-30 10:00", timezone="UTC", recurrence=rule), 201)
    shown = [utc_of(owner, i) for i in created["sessions"]]
    change = {"id": created["series_id"], "time": "23:30"}
    message = error(rest(owner, "POST", "series", change), 400)
    assert message.startswith("time 23:30 for 9998-12-31 23:30: start_time must be between ")
    longer = {"id": created["series_id"], "duration": 1440}
    assert error(rest(owner, "POST", "series", longer), 400).startswith("duration 1440 would end")
    assert [utc_of(owner, i) for i in created["sessions"]] == shown


def test_the_account_centers_edit_form_says_so_beside_the_date(
    server: Server, owner: httpx.Client
) -> None:
    created = ok(put(owner, start_time="2030-01-01 10:00", timezone="UM12"), 201)["id"]
    shown = utc_of(owner, created)
    path = f"/account/sessions/{created}/edit"
    with signed_in(server, login_of(owner), f"{login_of(owner)}-password") as browser:
        csrf = csrf_of(browser.get(path).text)
        form = {"topic": "Range", "date": "0001-01-01", "time": "00:00", "duration": "60"}
        response = browser.post(path, data={"csrf": csrf, **form, "timezone": "UM12"})
    assert response.status_code == 400
    assert 'id="start_time-error"' in response.text
    assert "start_time must be between 1969-12-31 12:00:00 and" in html.unescape(response.text)
    assert utc_of(owner, created) == shown


def test_the_account_centers_form_says_so_beside_the_date(
    server: Server, owner: httpx.Client
) -> None:
    before = total(owner)
    message = error(put(owner, start_time="9999-12-31 10:00", timezone="UP14"), 400)
    with signed_in(server, login_of(owner), f"{login_of(owner)}-password") as browser:
        csrf = csrf_of(browser.get("/account/sessions/new").text)
        form = {"topic": "Far", "date": "9999-12-31", "time": "10:00", "duration": "60"}
        response = browser.post(
            "/account/sessions/new", data={"csrf": csrf, **form, "timezone": "UP14"}
        )
    assert response.status_code == 400
    found = re.search(r'<p class="field-error" id="start_time-error">([^<]*)</p>', response.text)
    assert found is not None, response.text
    assert html.unescape(found.group(1)) == message  # the API's own sentence, beside the date
    assert message.startswith("start_time must be between 1970-01-01 14:00:00 and 9999-01-01")
    assert total(owner) == before


# --- every date, zone and length --------------------------------------------------------

walls = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
near_ends = st.sampled_from([datetime(1970, 1, 1), datetime(9998, 12, 31, 12)]).flatmap(
    lambda edge: st.integers(-3 * 86400, 3 * 86400).map(lambda s: edge + timedelta(seconds=s))
)
durations = st.one_of(st.integers(1, 1440), st.integers(-(2**70), 2**70))
doors = st.sampled_from(["PUT", "POST", "recurrence"])
rules = st.sampled_from(
    [
        "FREQ=DAILY;COUNT=3",
        "FREQ=YEARLY;COUNT=2",
        "FREQ=MONTHLY;UNTIL=99991231T235959Z",
        "FREQ=WEEKLY;UNTIL=00010101T000000Z",
        "FREQ=WEEKLY;UNTIL=99991231",
    ]
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.one_of(walls, near_ends),
    zone=st.sampled_from(ZONES),
    dst=st.booleans(),
    duration=durations,
    door=doors,
    rule=rules,
)
def test_no_date_zone_or_length_is_a_server_error(
    owners: dict[bool, httpx.Client],
    start: datetime,
    zone: str,
    dst: bool,
    duration: int,
    door: str,
    rule: str,
) -> None:
    client = owners[dst]
    fields: dict[str, Any] = {
        "start_time": f"{start:%Y-%m-%d %H:%M:%S}",
        "timezone": zone,
        "duration": duration,
    }
    existing = None
    if door == "POST":
        existing = ok(put(client, start_time="2030-05-05 10:00:00", timezone=zone), 201)["id"]
        before = utc_of(client, existing)
        response = form(client, "POST", {"id": existing, **fields})
    else:
        before_total = total(client)
        extra = {"recurrence": rule} if door == "recurrence" else {}
        response = form(client, "PUT", {"topic": "Range", **fields, **extra})
    assert response.status_code in (200, 201, 400), response.text
    if response.status_code == 400:
        assert_no_python_text(error(response, 400))
        if existing is not None:
            assert utc_of(client, existing) == before
        else:
            assert total(client) == before_total
        return
    ids = ok(response, response.status_code).get("sessions") or [response.json()["id"]]
    for session_id in ids:
        shown = utc_of(client, session_id)  # shown on the session's clock: no overflow
        assert EARLIEST <= shown["start_time_utc"] <= shown["end_time_utc"] <= LATEST
