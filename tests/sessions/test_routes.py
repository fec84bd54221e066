"""session / sessions over real HTTP (CONTRACT §3, §5, §7)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import Server

DEFAULT_FIELDS = {
    "id",
    "topic",
    "start_time",
    "duration",
    "timezone",
    "password",
    "session_access_code",
    "session_link",
    "custom_data",
}
ALL_FIELDS = "id;topic;start_time;duration;timezone;password;friendly_url;session_key;session_access_code;session_link;custom_data;start_time_utc;end_time_utc;created_at;updated_at"  # noqa: E501

DOCUMENTED_PUT = {
    "topic": "Test",
    "duration": 60,
    "start_time": "2010-09-10 12:00:00",
    "timezone": "UP1",
    "custom_data": [
        {
            "custom1": "first custom value",
            "custom2": "second custom value",
            "custom3": "third custom value",
            "custom4": "fourth custom value",
        }
    ],
}


def create(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Weekly sync", "duration": 30, "start_time": "2030-01-15 10:00:00", **fields}
    return int(ok(rest(client, "PUT", "session", body), 201)["id"])


def get_one(client: httpx.Client, session_id: int, fields: str = ALL_FIELDS) -> dict[str, Any]:
    body = ok(client.get(f"session/id/{session_id}/return/{fields}/format/json"))
    assert len(body["sessions"]) == 1
    return dict(body["sessions"][0])


def listing(client: httpx.Client) -> list[dict[str, Any]]:
    return list(ok(client.get(f"sessions/return/{ALL_FIELDS}/count/1000/format/json"))["sessions"])


@pytest.fixture
def jdoe(make_account: MakeAccount) -> httpx.Client:
    return make_account()


def test_put_with_the_documented_body_creates_a_session(jdoe: httpx.Client, server: Server) -> None:
    response = rest(jdoe, "PUT", "session", DOCUMENTED_PUT)
    body = ok(response, 201)
    assert body["message"] == "Session added"
    assert isinstance(body["id"], int)
    assert re.fullmatch(r"/api/2/acct\d+/session/id/\d+", response.headers["location"])
    assert response.headers["location"].endswith(f"/session/id/{body['id']}")
    session = get_one(jdoe, body["id"])
    assert session["topic"] == "Test"
    assert session["start_time"] == "2010-09-10 12:00:00"
    assert session["timezone"] == "UP1"
    assert session["duration"] == 60
    assert session["start_time_utc"] == "2010-09-10T11:00:00Z"  # UTC account: dst off
    assert session["end_time_utc"] == "2010-09-10T12:00:00Z"
    assert session["custom_data"] == DOCUMENTED_PUT["custom_data"][0]
    assert session["password"] is None
    assert session["session_access_code"] is None


def test_put_answers_the_documented_xml(jdoe: httpx.Client) -> None:
    response = jdoe.put(
        "session", data={"topic": "X", "duration": "5", "start_time": "2030-01-01 10:00"}
    )
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "xml"
    assert [child.tag for child in root] == ["id", "message"]
    assert root.findtext("message") == "Session added"


def test_get_session_has_the_default_fields_and_xml_shape(jdoe: httpx.Client) -> None:
    session_id = create(jdoe)
    body = ok(jdoe.get(f"session/id/{session_id}/format/json"))
    assert set(body["sessions"][0]) == DEFAULT_FIELDS
    root = ET.fromstring(jdoe.get(f"session/id/{session_id}").content)
    assert root.tag == "root"
    session = root.find("sessions/session")
    assert session is not None
    assert session.findtext("id") == str(session_id)
    assert session.findtext("topic") == "Weekly sync"


def test_return_selects_fields_in_order(jdoe: httpx.Client) -> None:
    session_id = create(jdoe)
    body = ok(jdoe.get("sessions/return/topic;id;start_time_utc/format/json"))
    assert list(body["sessions"][0]) == ["topic", "id", "start_time_utc"]
    assert body["sessions"][-1]["id"] == session_id


def test_unknown_return_field_is_400(jdoe: httpx.Client) -> None:
    assert "secret" in error(jdoe.get("sessions/return/id;secret/format/json"), 400)


def test_session_key_and_link(jdoe: httpx.Client, server: Server) -> None:
    first, second = get_one(jdoe, create(jdoe)), get_one(jdoe, create(jdoe))
    for session in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", session["session_key"])
        login = session["session_link"].split("/")[-2]
        assert session["session_link"] == f"{server.base_url}/{login}/{session['session_key']}"
    assert first["session_key"] != second["session_key"]
    friendly = get_one(jdoe, create(jdoe, friendly_url="team-sync_1"))
    assert friendly["session_link"].endswith("/team-sync_1")
    assert friendly["friendly_url"] == "team-sync_1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Team", "friendly_url"),
        ("a b", "friendly_url"),
        ("x" * 65, "friendly_url"),
        ("go", "reserved"),
        ("play", "reserved"),
        ("account", "reserved"),
    ],
)
def test_bad_friendly_url_is_400(jdoe: httpx.Client, value: str, message: str) -> None:
    before = listing(jdoe)
    body = {"topic": "T", "duration": 5, "start_time": "2030-01-01 10:00:00", "friendly_url": value}
    assert message in error(rest(jdoe, "PUT", "session", body), 400)
    assert listing(jdoe) == before


def test_friendly_url_is_unique_within_an_account_only(
    jdoe: httpx.Client, make_account: MakeAccount
) -> None:
    create(jdoe, friendly_url="all-hands")
    body = {
        "topic": "T",
        "duration": 5,
        "start_time": "2030-01-01 10:00:00",
        "friendly_url": "all-hands",
    }
    assert "all-hands" in error(rest(jdoe, "PUT", "session", body), 409)
    other = make_account()
    create(other, friendly_url="all-hands")


def test_friendly_url_is_unique_under_concurrent_requests(jdoe: httpx.Client) -> None:
    body = {
        "topic": "T",
        "duration": 5,
        "start_time": "2030-01-01 10:00:00",
        "friendly_url": "race",
    }

    def attempt(_: int) -> int:
        return rest(jdoe, "PUT", "session", body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(16)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 15
    assert [s["friendly_url"] for s in listing(jdoe)].count("race") == 1


def test_deleted_sessions_free_their_friendly_url(jdoe: httpx.Client) -> None:
    session_id = create(jdoe, friendly_url="reuse-me")
    ok(rest(jdoe, "DELETE", "session", {"id": session_id}))
    create(jdoe, friendly_url="reuse-me")


def test_phone_bridge_accounts_get_unique_nine_digit_codes(make_account: MakeAccount) -> None:
    bridged = make_account(phone_bridge=True)
    codes = [get_one(bridged, create(bridged))["session_access_code"] for _ in range(5)]
    assert all(isinstance(c, int) and 100_000_000 <= c <= 999_999_999 for c in codes)
    assert len(set(codes)) == 5


def test_custom_data_as_an_object_and_replaced_by_post(jdoe: httpx.Client) -> None:
    session_id = create(jdoe, custom_data={"custom1": "a", "custom2": "b"})
    assert get_one(jdoe, session_id)["custom_data"] == {"custom1": "a", "custom2": "b"}
    ok(rest(jdoe, "POST", "session", {"id": session_id, "custom_data": [{"custom1": "z"}]}))
    assert get_one(jdoe, session_id)["custom_data"] == {"custom1": "z"}


def test_custom_data_in_php_bracket_form_fields(jdoe: httpx.Client) -> None:
    response = jdoe.put(
        "session/format/json",
        content=(
            "topic=Form&duration=15&start_time=2030-02-01+09%3A00%3A00"
            "&custom_data%5B0%5D%5Bcustom1%5D=one&custom_data%5B0%5D%5Bcustom2%5D=two"
        ),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    session_id = ok(response, 201)["id"]
    assert get_one(jdoe, session_id)["custom_data"] == {"custom1": "one", "custom2": "two"}


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"custom2": "gap"}, "without gaps"),
        ({"custom1": "x" * 201}, "200"),
        ({"color": "red"}, "custom1"),
        ({"custom1": {"nested": 1}}, "string"),
        ("[1,2]", "object"),
    ],
)
def test_bad_custom_data_is_400_and_writes_nothing(
    jdoe: httpx.Client, custom: Any, message: str
) -> None:
    session_id = create(jdoe, custom_data={"custom1": "keep"})
    before = listing(jdoe)
    body = {"id": session_id, "topic": "Changed", "custom_data": custom}
    assert message in error(rest(jdoe, "POST", "session", body), 400)
    assert listing(jdoe) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("topic", "", "topic"),
        ("topic", "x" * 256, "topic"),
        ("duration", 0, "duration"),
        ("duration", 1441, "duration"),
        ("duration", "abcd", "duration"),
        ("start_time", "tomorrow", "start_time"),
        ("start_time", "2030-02-30 10:00:00", "start_time"),
        ("timezone", "UP155", "timezone"),
        ("password", "p" * 256, "password"),
    ],
)
def test_every_bad_field_is_400_naming_it_and_writes_nothing(
    jdoe: httpx.Client, field: str, value: Any, message: str
) -> None:
    session_id = create(jdoe)
    before = listing(jdoe)
    put_body = {"topic": "T", "duration": 5, "start_time": "2030-01-01 10:00:00", field: value}
    assert message in error(rest(jdoe, "PUT", "session", put_body), 400)
    post_body = {"id": session_id, "topic": "Changed anyway", field: value}
    if field == "topic":
        post_body = {"id": session_id, "duration": 99, field: value}
    assert message in error(rest(jdoe, "POST", "session", post_body), 400)
    assert listing(jdoe) == before


@pytest.mark.parametrize("missing", ["topic", "duration", "start_time"])
def test_required_fields_on_put(jdoe: httpx.Client, missing: str) -> None:
    body = {"topic": "T", "duration": 5, "start_time": "2030-01-01 10:00:00"}
    del body[missing]
    before = listing(jdoe)
    assert missing in error(rest(jdoe, "PUT", "session", body), 400)
    assert listing(jdoe) == before


def test_post_changes_only_what_it_is_given(jdoe: httpx.Client) -> None:
    session_id = create(
        jdoe, password="s3cret", friendly_url="keep-url", custom_data={"custom1": "c"}
    )
    before = get_one(jdoe, session_id)
    body = ok(rest(jdoe, "POST", "session", {"id": session_id, "topic": "Renamed"}))
    assert body == {"id": session_id, "message": "Session updated"}
    after = get_one(jdoe, session_id)
    assert after["topic"] == "Renamed"
    for name in (
        "start_time",
        "duration",
        "password",
        "friendly_url",
        "custom_data",
        "session_key",
    ):
        assert after[name] == before[name]


def test_post_with_empty_password_and_friendly_url_clears_them(jdoe: httpx.Client) -> None:
    session_id = create(jdoe, password="pw", friendly_url="clear-me")
    ok(rest(jdoe, "POST", "session", {"id": session_id, "password": "", "friendly_url": ""}))
    after = get_one(jdoe, session_id)
    assert after["password"] is None
    assert after["friendly_url"] is None
    assert after["session_link"].endswith(after["session_key"])


def test_moving_a_session_changes_utc_times(jdoe: httpx.Client) -> None:
    session_id = create(jdoe, start_time="2030-03-01 09:00:00", timezone="UTC")
    ok(
        rest(
            jdoe,
            "POST",
            "session",
            {"id": session_id, "start_time": "2030-03-02 11:30:00", "duration": 90},
        )
    )
    session = get_one(jdoe, session_id)
    assert session["start_time_utc"] == "2030-03-02T11:30:00Z"
    assert session["end_time_utc"] == "2030-03-02T13:00:00Z"


def test_delete_by_body_then_410(jdoe: httpx.Client) -> None:
    session_id = create(jdoe)
    assert ok(rest(jdoe, "DELETE", "session", {"id": session_id})) == {
        "id": session_id,
        "message": "Session was deleted",
    }
    assert "deleted" in error(jdoe.get(f"session/id/{session_id}/format/json"), 410)
    error(rest(jdoe, "POST", "session", {"id": session_id, "topic": "x"}), 410)
    error(rest(jdoe, "DELETE", "session", {"id": session_id}), 410)
    assert session_id not in [s["id"] for s in listing(jdoe)]


def test_delete_by_url_id_and_plain_form_body(jdoe: httpx.Client) -> None:
    first, second = create(jdoe), create(jdoe)
    assert jdoe.delete(f"session/id/{first}/format/json").status_code == 200
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = jdoe.request("DELETE", "session/format/json", content=f"id={second}", headers=form)
    assert ok(response)["id"] == second
    error(jdoe.get(f"session/id/{first}/format/json"), 410)
    error(jdoe.get(f"session/id/{second}/format/json"), 410)


def test_never_existing_session_is_404(jdoe: httpx.Client) -> None:
    error(jdoe.get("session/id/999999/format/json"), 404)
    error(rest(jdoe, "POST", "session", {"id": 999999, "topic": "x"}), 404)
    error(rest(jdoe, "DELETE", "session", {"id": 999999}), 404)


@pytest.mark.parametrize("bad", ["abcd", "0", "-1", "1.5"])
def test_bad_id_is_400(jdoe: httpx.Client, bad: str) -> None:
    assert "id" in error(jdoe.get(f"session/id/{bad}/format/json"), 400)


def test_another_account_cannot_see_or_touch_a_session(
    jdoe: httpx.Client, make_account: MakeAccount
) -> None:
    session_id = create(jdoe, friendly_url="private")
    before = get_one(jdoe, session_id)
    intruder = make_account()
    error(intruder.get(f"session/id/{session_id}/format/json"), 404)
    error(rest(intruder, "POST", "session", {"id": session_id, "topic": "pwned"}), 404)
    error(rest(intruder, "DELETE", "session", {"id": session_id}), 404)
    assert session_id not in [s["id"] for s in listing(intruder)]
    assert get_one(jdoe, session_id) == before


def test_another_accounts_deleted_session_is_404_not_410(
    jdoe: httpx.Client, make_account: MakeAccount
) -> None:
    session_id = create(jdoe)
    ok(rest(jdoe, "DELETE", "session", {"id": session_id}))
    error(make_account().get(f"session/id/{session_id}/format/json"), 404)


def test_paging_count_offset_order(make_account: MakeAccount) -> None:
    client = make_account()
    ids = [create(client, topic=f"S{i}") for i in range(7)]
    page = ok(client.get("sessions/count/3/offset/2/return/id/format/json"))["sessions"]
    assert [s["id"] for s in page] == ids[2:5]
    desc = ok(client.get("sessions/order/desc/count/2/return/id/format/json"))["sessions"]
    assert [s["id"] for s in desc] == ids[::-1][:2]
    query = ok(client.get("sessions/format/json", params={"count": "2", "return": "id"}))
    assert [s["id"] for s in query["sessions"]] == ids[:2]
    everything = ok(client.get("sessions/format/json"))["sessions"]
    assert [s["id"] for s in everything] == ids


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("count/0", "count"),
        ("count/1001", "count"),
        ("count/abcd", "count"),
        ("offset/-1", "offset"),
        ("offset/abcd", "offset"),
        ("order/sideways", "order"),
    ],
)
def test_bad_paging_is_400(jdoe: httpx.Client, query: str, name: str) -> None:
    assert name in error(jdoe.get(f"sessions/{query}/format/json"), 400)


def test_xml_list_shape(jdoe: httpx.Client) -> None:
    create(jdoe, custom_data={"custom1": "a & <b>"})
    root = ET.fromstring(jdoe.get("sessions").content)
    assert root.tag == "root"
    items = root.findall("sessions/session")
    assert items
    assert items[-1].findtext("custom_data/custom1") == "a & <b>"
    assert items[-1].find("password") is not None
    assert items[-1].findtext("password") in (None, "")


def test_timestamps_are_iso_utc(jdoe: httpx.Client) -> None:
    session = get_one(jdoe, create(jdoe))
    for name in ("created_at", "updated_at", "start_time_utc", "end_time_utc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", session[name]), name


def test_ids_beyond_the_id_range_are_refused_on_every_database(alice: httpx.Client) -> None:
    message = error(alice.get("session/id/2147483648/format/json"), 400)
    assert message == "Parameter 'id' must be a whole number between 1 and 2147483647"
    assert error(alice.get("session/id/2147483647/format/json"), 404)
