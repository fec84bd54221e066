"""Recurring sessions: PUT session with `recurrence`, and GET, POST, DELETE series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest

WEEKLY_MONDAY = {"topic": "Stand-up", "duration": 30, "timezone": "UP1"}


@pytest.fixture
def owner(make_account: MakeAccount) -> httpx.Client:
    """An account in Central European time with DST on (UP1 follows Europe/Berlin)."""
    return make_account(timezone="UP1", dst=True)


def put_series(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    return dict(ok(rest(client, "PUT", "session", {**WEEKLY_MONDAY, **fields}), 201))


def get_series(client: httpx.Client, series_id: int) -> dict[str, Any]:
    (found,) = ok(client.get(f"series/id/{series_id}/format/json"))["series"]
    return dict(found)


def session(client: httpx.Client, session_id: int) -> dict[str, Any]:
    fields = "id;topic;start_time;start_time_utc;duration;series_id"
    (found,) = ok(client.get(f"session/id/{session_id}/return/{fields}/format/json"))["sessions"]
    return dict(found)


def session_count(client: httpx.Client) -> int:
    response = client.get("sessions/format/json")
    ok(response)
    return int(response.headers["X-Total-Count"])


def test_weekly_nine_oclock_stays_nine_local_across_both_dst_changes(
    owner: httpx.Client,
) -> None:
    # 2030: summer time starts Sunday 31 March, ends Sunday 27 October.
    spring = put_series(
        owner, start_time="2030-03-25 09:00:00", recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=2"
    )
    autumn = put_series(
        owner, start_time="2030-10-21 09:00:00", recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=2"
    )
    for created, utc_hours in ((spring, ("08:00", "07:00")), (autumn, ("07:00", "08:00"))):
        ids = created["sessions"]
        assert created["id"] == ids[0]
        assert len(ids) == 2
        first, second = (session(owner, i) for i in ids)
        assert first["start_time"].endswith(" 09:00:00")
        assert second["start_time"].endswith(" 09:00:00")
        assert (first["start_time_utc"][11:16], second["start_time_utc"][11:16]) == utc_hours
        assert first["series_id"] == second["series_id"] == created["series_id"]


def test_count_and_until_bound_the_occurrences(owner: httpx.Client) -> None:
    counted = put_series(
        owner, start_time="2031-01-06 09:00:00", recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=5"
    )
    assert len(counted["sessions"]) == 5
    until = put_series(
        owner,
        start_time="2031-01-06 09:00:00",
        recurrence="RRULE:FREQ=DAILY;UNTIL=20310110T080000Z",
    )
    days = [session(owner, i)["start_time"][:10] for i in until["sessions"]]
    assert days == ["2031-01-06", "2031-01-07", "2031-01-08", "2031-01-09", "2031-01-10"]
    listed = get_series(owner, until["series_id"])
    assert listed["recurrence"] == "FREQ=DAILY;UNTIL=20310110T080000Z"
    assert [o["id"] for o in listed["occurrences"]] == until["sessions"]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "COUNT"),
        ("FREQ=DAILY;COUNT=101", "100"),
        ("FREQ=YEARLY;COUNT=4", "two years"),
        ("FREQ=HOURLY;COUNT=3", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "BYDAY"),
        ("not a rule", "RRULE"),
    ],
)
def test_invalid_and_unbounded_rules_are_refused_without_rows(
    owner: httpx.Client, rule: str, words: str
) -> None:
    before = session_count(owner)
    body = {**WEEKLY_MONDAY, "start_time": "2031-02-03 09:00:00", "recurrence": rule}
    message = error(rest(owner, "PUT", "session", body), 400)
    assert "recurrence" in message
    assert words in message
    assert session_count(owner) == before


def test_invalid_field_with_a_rule_writes_nothing(owner: httpx.Client) -> None:
    before = session_count(owner)
    body = {
        **WEEKLY_MONDAY,
        "topic": "",
        "start_time": "2031-02-03 09:00:00",
        "recurrence": "FREQ=WEEKLY;COUNT=3",
    }
    assert "topic" in error(rest(owner, "PUT", "session", body), 400)
    assert session_count(owner) == before


def test_change_the_series_moves_upcoming_occurrences_only(owner: httpx.Client) -> None:
    # weekly from 12 days ago: two occurrences past, two upcoming (2 and 9 days ahead), at any
    # hour of the day the test runs and in any zone
    start = datetime.now(UTC) - timedelta(days=12)
    created = put_series(
        owner, start_time=f"{start:%Y-%m-%d} 09:00:00", recurrence="FREQ=WEEKLY;COUNT=4"
    )
    ids = created["sessions"]
    before = [session(owner, i) for i in ids]
    body = {"id": created["series_id"], "topic": "Weekly review", "time": "10:30"}
    ok(rest(owner, "POST", "series", body))
    after = [session(owner, i) for i in ids]
    for old, new in zip(before[:2], after[:2], strict=True):
        assert new == old
    for old, new in zip(before[2:], after[2:], strict=True):
        assert new["topic"] == "Weekly review"
        assert new["start_time"] == old["start_time"][:10] + " 10:30:00"


def test_cancel_one_occurrence_and_then_the_series(owner: httpx.Client) -> None:
    created = put_series(owner, start_time="2032-06-07 09:00:00", recurrence="FREQ=WEEKLY;COUNT=4")
    ids = created["sessions"]
    ok(owner.delete(f"session/id/{ids[1]}/format/json"))
    assert owner.get(f"session/id/{ids[1]}/format/json").status_code in (404, 410)
    listed = get_series(owner, created["series_id"])
    assert [o["cancelled"] for o in listed["occurrences"]] == [False, True, False, False]
    cancelled = ok(owner.delete(f"series/id/{created['series_id']}/format/json"))
    assert cancelled["sessions"] == [ids[0], ids[2], ids[3]]
    listed = get_series(owner, created["series_id"])
    assert all(o["cancelled"] for o in listed["occurrences"])


def test_moving_one_occurrence_makes_it_an_exception(owner: httpx.Client) -> None:
    created = put_series(owner, start_time="2032-09-06 09:00:00", recurrence="FREQ=WEEKLY;COUNT=3")
    first, second, third = created["sessions"]
    ok(rest(owner, "POST", "session", {"id": second, "start_time": "2032-09-14 11:00:00"}))
    ok(rest(owner, "POST", "series", {"id": created["series_id"], "time": "08:00"}))
    assert session(owner, second)["start_time"] == "2032-09-14 11:00:00"
    assert session(owner, third)["start_time"] == "2032-09-20 08:00:00"
    assert session(owner, first)["start_time"] == "2032-09-06 08:00:00"
    exceptions = [o["exception"] for o in get_series(owner, created["series_id"])["occurrences"]]
    assert exceptions == [False, True, False]


def test_another_accounts_series_is_missing(owner: httpx.Client, make_account: MakeAccount) -> None:
    created = put_series(owner, start_time="2033-01-03 09:00:00", recurrence="FREQ=WEEKLY;COUNT=2")
    other = make_account()
    series_id = created["series_id"]
    assert other.get(f"series/id/{series_id}/format/json").status_code == 404
    assert rest(other, "POST", "series", {"id": series_id, "topic": "Mine"}).status_code == 404
    assert other.delete(f"series/id/{series_id}/format/json").status_code == 404
    assert other.get(f"session/id/{created['id']}/format/json").status_code == 404
    assert session(owner, created["id"])["topic"] == "Stand-up"
    assert len(get_series(owner, series_id)["occurrences"]) == 2


def test_recurrence_is_refused_on_post_session_and_with_a_friendly_url(
    owner: httpx.Client,
) -> None:
    created = put_series(owner, start_time="2033-02-07 09:00:00", recurrence="FREQ=WEEKLY;COUNT=2")
    body = {"id": created["id"], "recurrence": "FREQ=DAILY;COUNT=2"}
    assert "recurrence" in error(rest(owner, "POST", "session", body), 400)
    body = {
        **WEEKLY_MONDAY,
        "start_time": "2033-02-07 09:00:00",
        "recurrence": "FREQ=WEEKLY;COUNT=2",
        "friendly_url": "standup",
    }
    assert "friendly_url" in error(rest(owner, "PUT", "session", body), 400)


def test_a_bad_invitee_with_a_rule_writes_nothing(owner: httpx.Client) -> None:
    before = session_count(owner)
    body = {
        **WEEKLY_MONDAY,
        "start_time": "2033-03-07 09:00:00",
        "recurrence": "FREQ=WEEKLY;COUNT=3",
        "invited_participants": [{"email": "not an address"}],
    }
    assert "email" in error(rest(owner, "PUT", "session", body), 400)
    assert session_count(owner) == before


def test_series_reads_as_xml(owner: httpx.Client) -> None:
    created = put_series(owner, start_time="2033-04-04 09:00:00", recurrence="FREQ=DAILY;COUNT=2")
    response = owner.get(f"series/id/{created['series_id']}")
    assert response.status_code == 200, response.text
    assert response.text.count("<session>") == 2
    assert "<recurrence>FREQ=DAILY;COUNT=2</recurrence>" in response.text
