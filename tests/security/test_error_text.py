"""No error carries a Python exception's own text: every documented call (the OpenAPI
description's operations and their parameters), each parameter in turn given malformed
values, as form text and as typed JSON, answers a 4xx whose message is our own sentence,
never "not enough values to unpack" or "invalid literal for int()".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from onstream.protocol.describe import Operation, operation_of
from onstream.routes import RESOURCES
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.leaks import assert_no_python_text, python_text

LOGIN, PASSWORD = "texts", "texts-password-1"
HOOK = "http://127.0.0.1:9/hook"
"""A loopback address nothing listens on, for webhooks the calls may create."""
KEPT_CREDENTIALS = {("user", "login"), ("user", "password")}
"""Never changed here, so every call stays authenticated."""
METHOD_ORDER = {"GET": 0, "PUT": 1, "POST": 2, "DELETE": 3}
TEXTS = [
    "", " ", "abc", "-1", "0", "1.5", "1e3", "99999999999999999999999", "0x10", "١٢",
    "0001-01-01 00:00:00", "9999-12-31 23:59:59", "2030-02-30 10:00", "24:61",
    "FREQ=WEEKLY;COUNT", "FREQ=DAILY;COUNT=x", "FREQ=DAILY;BYSETPOS=0;COUNT=2", "RRULE:",
    "{", "[1,", '{"custom1": {}}', "null", "http://[::1", "https://exa mple.com", "a@", "@b",
    "id;nope", "\u202e", "%s%n", "\\x00",
]  # fmt: skip
TYPED: list[Any] = [None, True, 2**70, -(2**63) - 1, 1.5, [], [1, [2]], {}, {"a": {"b": 1}}]
CALLS = sorted(
    ((r.name, m) for r in RESOURCES.values() for m in r.allowed),
    key=lambda call: (METHOD_ORDER.get(call[1], 9), call[0]),
)  # every read and write before the deletes, which could remove what the others use


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, new_database: Any) -> Iterator[AppServer]:
    workdir: Path = tmp_path_factory.mktemp("error-text")
    env = {"ONSTREAM_MAIL_WORKER": "false", "ONSTREAM_RECORDING_WORKER": "false"}
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env)
    app.start()
    app.add_account(LOGIN, PASSWORD)
    yield app
    app.close()


@pytest.fixture(scope="module")
def client(server: AppServer) -> Iterator[httpx.Client]:
    with server.api_client(LOGIN, PASSWORD) as api:
        body = {"topic": "T", "duration": 30, "start_time": "2031-01-01 10:00"}
        ok(rest(api, "PUT", "session", {**body, "recurrence": "FREQ=DAILY;COUNT=2"}), 201)
        ok(rest(api, "PUT", "file", {"file_link": "https://example.com/a.pdf", "is_url": 1}), 201)
        yield api


def base_values(resource: str, operation: Operation) -> dict[str, Any]:
    """Documented examples, so that a call gets as far as the parameter under test."""
    values = {p.name: p.example for p in operation.params if p.example is not None}
    if "url" in values:
        values["url"] = HOOK
    return values


def answer_of(response: httpx.Response) -> str:
    """The error message, or the whole body when it is not an error document."""
    assert response.status_code < 500, response.text
    try:
        document = response.json()
    except ValueError:
        return response.text
    if isinstance(document, dict) and document.get("status") is False:
        return str(document["error"])
    return ""


@pytest.mark.parametrize(("resource", "method"), CALLS, ids=[f"{m} {r}" for r, m in CALLS])
def test_no_malformed_parameter_gets_python_text_back(
    client: httpx.Client, resource: str, method: str
) -> None:
    operation = operation_of(RESOURCES[resource].methods[method])
    assert operation is not None
    base = base_values(resource, operation)
    names = [p.name for p in operation.params if (resource, p.name) not in KEPT_CREDENTIALS]
    for name in names:
        for value in TEXTS:
            fields = {
                k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in base.items()
            }
            fields[name] = value
            response = send_form(client, method, resource, fields)
            assert_no_python_text(answer_of(response))
        for typed in TYPED:
            response = send_json(client, method, resource, {**base, name: typed})
            assert_no_python_text(answer_of(response))


def send_form(
    client: httpx.Client, method: str, resource: str, fields: dict[str, str]
) -> httpx.Response:
    path = f"{resource}/format/json"
    if method == "GET":
        return client.get(path, params=fields)
    return client.request(method, path, data=fields)


def send_json(
    client: httpx.Client, method: str, resource: str, fields: dict[str, Any]
) -> httpx.Response:
    path = f"{resource}/format/json"
    if method == "GET":
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        return client.get(path, params=query)
    body = json.dumps(fields)  # stdlib: integers beyond 64 bits, which orjson refuses
    return client.request(method, path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "message",
    [
        "not enough values to unpack (expected 2, got 1)",
        "invalid literal for int() with base 10: 'x'",
        "'NoneType' object has no attribute 'strip'",
        "ValueError: year 0 is out of range",
        "date value out of range",
        "Expecting ',' delimiter",
        'Traceback (most recent call last):\n  File "x.py"',
    ],
)
def test_the_check_knows_python_text_when_it_sees_it(message: str) -> None:
    assert python_text(message) is not None


@pytest.mark.parametrize(
    "message",
    [
        "Parameter 'duration' must be a whole number between 1 and 1440",
        'custom_data must be an object like {"custom1": "value"} or a list of them',
        "recurrence is not a valid RRULE: give NAME=VALUE parts separated by ';', such as "
        "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        "start_time must be between 1970-01-01 14:00:00 and 9999-01-01 12:59:59 in UP14: a "
        "session starts and ends between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z",
        "Parameter 'invited_participants' must be a list of objects",
        "rest_data is not valid JSON: a ',' is missing at position 7",
    ],
)
def test_the_apis_own_sentences_pass_the_check(message: str) -> None:
    assert python_text(message) is None
