"""Mistakes are told: ignored parameters, incomplete URLs, unknown resources, list totals."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest

SESSION = {"topic": "Typo check", "duration": 30, "start_time": "2030-01-15 10:00:00"}


def count_sessions(client: httpx.Client) -> int:
    return int(client.get("sessions/count/1/format/json").headers["x-total-count"])


def test_an_unknown_parameter_is_ignored_and_named(alice: httpx.Client) -> None:
    response = rest(alice, "PUT", "session", {**SESSION, "timezon": "UP1"})
    ok(response, 201)
    assert response.headers["onstream-warning"] == "unknown parameter 'timezon' ignored"


def test_known_parameters_draw_no_warning(alice: httpx.Client) -> None:
    response = rest(alice, "PUT", "session", {**SESSION, "timezone": "UP1"})
    ok(response, 201)
    assert "onstream-warning" not in response.headers
    assert "onstream-warning" not in alice.get("sessions/count/5/format/json").headers


def test_get_names_every_unknown_query_parameter(alice: httpx.Client) -> None:
    response = alice.get("sessions/format/json", params={"cuont": "5", "ofset": "1"})
    ok(response)
    assert response.headers["onstream-warning"] == "unknown parameters 'cuont', 'ofset' ignored"


def test_strict_mode_refuses_before_writing(make_account: MakeAccount) -> None:
    client = make_account()
    for strict in ({"headers": {"Onstream-Strict": "1"}}, {"url": "session/strict/1/format/json"}):
        fields = '"topic": "T", "duration": 5, "start_time": "2030-01-01 10:00", "timezon": 1'
        body = {"input_type": "json", "rest_data": "{" + fields + "}"}
        url = strict.get("url", "session/format/json")
        headers = strict.get("headers", {})
        message = error(client.put(str(url), data=body, headers=headers), 400)
        assert message.startswith("Unknown parameter 'timezon'; this call reads: ")
        assert "timezone" in message
    assert count_sessions(client) == 0


def test_strict_mode_accepts_a_clean_call(alice: httpx.Client) -> None:
    response = alice.get("sessions/strict/1/count/2/format/json")
    ok(response)
    assert "onstream-warning" not in response.headers


def test_strict_mode_undoes_a_stored_upload(make_account: MakeAccount) -> None:
    client = make_account()
    files = {"file": ("a.txt", b"hello", "text/plain")}
    data = {"is_url": "0", "dsecription": "typo"}
    response = client.put("file/strict/1/format/json", data=data, files=files)
    assert "'dsecription'" in error(response, 400)
    assert client.get("files/format/json").json() == {"files": []}


def test_a_key_without_value_is_named_in_the_format_asked(alice: httpx.Client) -> None:
    response = alice.get("session/id/format/json")
    assert error(response, 400) == "URL segment 'id' needs a value after it: .../id/{value}"
    assert response.headers["content-type"].startswith("application/json")


def test_unknown_resource_lists_the_valid_ones(alice: httpx.Client) -> None:
    message = error(alice.get("sesions/format/json"), 404)
    assert message.startswith("Unknown resource 'sesions' (did you mean 'sessions'?); resources: ")
    assert "file_in_session" in message


@pytest.mark.parametrize("resource", ["sessions", "files"])
def test_lists_tell_their_total_and_next_page(make_account: MakeAccount, resource: str) -> None:
    client = make_account()
    for n in range(5):
        if resource == "sessions":
            ok(rest(client, "PUT", "session", {**SESSION, "topic": f"S{n}"}), 201)
        else:
            ok(rest(client, "PUT", "file", {"file_link": f"https://example.com/{n}"}), 201)
    first = client.get(f"{resource}/count/2/format/json")
    assert first.headers["x-total-count"] == "5"
    root = str(client.base_url.path)
    assert first.headers["link"] == f'<{root}{resource}/count/2/format/json?offset=2>; rel="next"'
    second = client.get(f"{resource}/count/2/offset/2.json")
    assert second.headers["link"] == f'<{root}{resource}/count/2/offset/4.json>; rel="next"'
    last = client.get(f"{resource}/count/2/offset/4/format/json")
    assert "link" not in last.headers
    assert len(last.json()[resource]) == 1


def test_recordings_tell_their_total(alice: httpx.Client) -> None:
    response = alice.get("recordings/format/json")
    assert response.headers["x-total-count"] == str(len(ok(response)["recordings"]))


def test_a_refused_call_names_what_it_ignored(alice: httpx.Client) -> None:
    response = rest(alice, "PUT", "session", {"topic": "T", "duration": 5, "start_tme": "x"})
    assert "start_time" in error(response, 400)
    assert response.headers["onstream-warning"] == "unknown parameter 'start_tme' ignored"
    missing = alice.get("session/format/json", params={"ID": "1"})
    error(missing, 400)
    assert missing.headers["onstream-warning"] == "unknown parameter 'ID' ignored"


def test_a_write_names_the_query_string_it_ignores(make_account: MakeAccount) -> None:
    client = make_account()
    url = "session/format/json"
    response = client.put(url, params={"duration": "5"}, data={**SESSION, "duration": "30"})
    ok(response, 201)
    assert response.headers["onstream-warning"] == (
        "query string 'duration' ignored: this method reads the body"
    )
    refused = client.put(url, params={"topic": "T", "strict": "1"}, data=SESSION)
    assert error(refused, 400) == (
        "PUT reads its parameters from the body, not the query string: 'topic'"
    )
    assert count_sessions(client) == 1
