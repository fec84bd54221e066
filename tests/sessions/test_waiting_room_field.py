"""The session field `waiting_room` over real HTTP: set, read back in every format, refused
when malformed, and out of reach of other accounts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest

FIELDS = "id;topic;waiting_room"


def create(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Office hours", "duration": 30, "start_time": "2030-01-15 10:00:00", **fields}
    return int(ok(rest(client, "PUT", "session", body), 201)["id"])


def waiting_room(client: httpx.Client, session_id: int) -> bool:
    body = ok(client.get(f"session/id/{session_id}/return/{FIELDS}/format/json"))
    value = body["sessions"][0]["waiting_room"]
    assert isinstance(value, bool)
    return value


@pytest.fixture
def jdoe(make_account: MakeAccount) -> httpx.Client:
    return make_account()


def test_off_by_default_and_outside_the_default_fields(jdoe: httpx.Client) -> None:
    session_id = create(jdoe)
    assert waiting_room(jdoe, session_id) is False
    default = ok(jdoe.get(f"session/id/{session_id}/format/json"))["sessions"][0]
    assert "waiting_room" not in default


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1", True), ("0", False), ("true", True), ("FALSE", False), ("True", True)],
)
def test_form_spellings_of_a_boolean(jdoe: httpx.Client, given: str, expected: bool) -> None:
    answer = jdoe.put(
        "session/format/json",
        data={
            "topic": "Form",
            "duration": "30",
            "start_time": "2030-01-15 10:00:00",
            "waiting_room": given,
        },
    )
    session_id = int(ok(answer, 201)["id"])
    assert waiting_room(jdoe, session_id) is expected


def test_put_then_post_turn_it_on_and_off(jdoe: httpx.Client) -> None:
    session_id = create(jdoe, waiting_room=True)
    assert waiting_room(jdoe, session_id) is True
    ok(rest(jdoe, "POST", "session", {"id": session_id, "topic": "Renamed"}))
    assert waiting_room(jdoe, session_id) is True  # untouched when not given
    ok(rest(jdoe, "POST", "session", {"id": session_id, "waiting_room": False}))
    assert waiting_room(jdoe, session_id) is False


def test_read_back_in_every_format(jdoe: httpx.Client) -> None:
    on = create(jdoe, waiting_room=True)
    off = create(jdoe)
    url = f"session/id/{on}/return/{FIELDS}/format"
    root = ET.fromstring(jdoe.get(f"{url}/xml").content)
    assert root.findtext("sessions/session/waiting_room") == "1"
    root = ET.fromstring(jdoe.get(f"session/id/{off}/return/{FIELDS}/format/xml").content)
    assert root.findtext("sessions/session/waiting_room") == "0"
    assert ok(jdoe.get(f"{url}/json"))["sessions"][0]["waiting_room"] is True
    assert 's:12:"waiting_room";b:1;' in jdoe.get(f"{url}/serialize").text
    assert "'waiting_room' => true" in jdoe.get(f"{url}/php").text
    rows = list(csv.DictReader(io.StringIO(jdoe.get(f"{url}/csv").text)))
    assert rows[0]["waiting_room"] == "1"
    html = jdoe.get(f"{url}/html").text
    assert "<th>waiting_room</th>" in html
    assert "<td>1</td>" in html
    listed = ok(jdoe.get(f"sessions/return/{FIELDS}/format/json"))["sessions"]
    assert {s["id"]: s["waiting_room"] for s in listed} == {on: True, off: False}


@pytest.mark.parametrize("bad", ["maybe", "2", "yes please", ""])
def test_a_bad_value_is_400_naming_it_and_writes_nothing(jdoe: httpx.Client, bad: str) -> None:
    session_id = create(jdoe)
    before = ok(jdoe.get("sessions/return/id;topic;waiting_room;updated_at/format/json"))
    put = {"topic": "T", "duration": 5, "start_time": "2030-01-01 10:00:00", "waiting_room": bad}
    assert "waiting_room" in error(rest(jdoe, "PUT", "session", put), 400)
    post = {"id": session_id, "topic": "Changed anyway", "waiting_room": bad}
    assert "waiting_room" in error(rest(jdoe, "POST", "session", post), 400)
    after = ok(jdoe.get("sessions/return/id;topic;waiting_room;updated_at/format/json"))
    assert after == before


def test_another_account_cannot_see_or_change_it(
    jdoe: httpx.Client, make_account: MakeAccount
) -> None:
    session_id = create(jdoe, waiting_room=True)
    intruder = make_account()
    error(intruder.get(f"session/id/{session_id}/return/{FIELDS}/format/json"), 404)
    error(rest(intruder, "POST", "session", {"id": session_id, "waiting_room": False}), 404)
    assert waiting_room(jdoe, session_id) is True
