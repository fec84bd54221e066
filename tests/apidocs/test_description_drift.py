"""The description cannot drift from the handlers: every described parameter is sent to its
handler in-process, and the names the handler asked `Params` for are compared with it.

A handler may ask for no name that its description lacks (a new parameter must be
described). When the call succeeds, it must have asked for every name described (a
parameter the handler stopped reading must leave the description).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.server import ServerProcess

from onstream.app import create_app
from onstream.config import load_settings
from onstream.protocol import endpoint
from onstream.protocol.describe import operation_of
from onstream.protocol.mistakes import ENDPOINT_PARAMS
from onstream.protocol.params import Params
from onstream.routes import RESOURCES
from onstream.storage.database import open_database

LOGIN, PASSWORD = "drift", "drift-password-1"

CALLS = [
    ("PUT", "webhook"),
    ("PUT", "session"),
    ("PUT", "invitee"),
    ("PUT", "user"),
    ("PUT", "file"),
    ("PUT", "file_in_session"),
    ("GET", "authverify"),
    ("PUT", "authverify"),
    ("GET", "user"),
    ("GET", "calendar_feed"),
    ("POST", "calendar_feed"),
    ("DELETE", "calendar_feed"),
    ("GET", "session"),
    ("GET", "sessions"),
    ("GET", "series"),
    ("POST", "series"),
    ("GET", "invitees"),
    ("GET", "recording"),
    ("GET", "recordings"),
    ("GET", "recording_jobs"),
    ("GET", "file"),
    ("GET", "files"),
    ("GET", "webhook"),
    ("GET", "webhooks"),
    ("GET", "webhook_deliveries"),
    ("POST", "webhook_delivery"),
    ("POST", "webhook"),
    ("POST", "session"),
    ("POST", "invitee"),
    ("POST", "user"),
    ("POST", "recording"),
    ("DELETE", "invitee"),
    ("DELETE", "recording"),
    ("DELETE", "file"),
    ("DELETE", "session"),
    ("DELETE", "webhook"),
    ("DELETE", "series"),
]
OVERRIDES: Mapping[tuple[str, str], Mapping[str, Any]] = {
    ("PUT", "invitee"): {"session_id": 1, "email": "ana@example.com", "id": None},
    ("PUT", "user"): {"email": "bea@example.com"},
    ("POST", "user"): {"id": 1, "email": "drift@example.com"},
    ("POST", "invitee"): {"user_id": 2},
    ("DELETE", "invitee"): {"user_id": 2},
    ("POST", "session"): {"friendly_url": "drift-check"},
    ("PUT", "webhook"): {"events": "session.created"},
    ("PUT", "session"): {"recurrence": "FREQ=WEEKLY;COUNT=2"},
}
CONDITIONAL = {
    ("PUT", "file"): {"file"},  # read only for an upload (is_url 0)
    ("PUT", "invitee"): {"send_email_invitations"},  # the older spelling, when the other is absent
    ("POST", "invitee"): {"send_email_invitations"},
    ("DELETE", "invitee"): {"send_email_invitations"},
    ("DELETE", "session"): {"send_email_invitations"},
}


class RecordingParams(Params):
    """Params that remember every instance, so the test sees what the handler asked for."""

    __slots__ = ()
    made: list[Params] = []  # noqa: RUF012  # one list for the test, on purpose

    def __init__(self, values: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(values, path=path)
        RecordingParams.made.append(self)


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """The application in-process on a fresh database with one account."""
    server = ServerProcess(workdir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    for args in (("db", "upgrade"), ("user", "add", LOGIN, "--email", "d@example.com")):
        result = server.cli(*args, *(("--password", PASSWORD) if args[0] == "user" else ()))
        assert result.returncode == 0, result.stderr
    env = {**server.env, "ONSTREAM_MEDIA_DIR": str(tmp_path / "media")}
    env |= {"ONSTREAM_MAIL_WORKER": "0", "ONSTREAM_RECORDING_WORKER": "0"}
    settings = load_settings(env, env_file=None)
    database = open_database(settings.database_url)
    app = create_app(settings, database=database)
    monkeypatch.setattr(endpoint, "Params", RecordingParams)
    transport = httpx.ASGITransport(app=app)
    base = f"http://test/api/2/{LOGIN}/"
    async with httpx.AsyncClient(transport=transport, base_url=base, auth=(LOGIN, PASSWORD)) as c:
        yield c
    await database.dispose()


def _values(method: str, resource: str) -> dict[str, Any]:
    operation = operation_of(RESOURCES[resource].methods[method])
    assert operation is not None, f"{method} {resource} has no description"
    values = {p.name: p.example for p in operation.params if p.example is not None}
    values.update(OVERRIDES.get((method, resource), {}))
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.anyio
async def test_handlers_read_what_they_describe(api: httpx.AsyncClient) -> None:
    assert {(m, r) for m, r in CALLS} == {
        (m, name) for name, r in RESOURCES.items() for m in r.allowed
    }, "add the new call to CALLS"
    mismatches = []
    for method, resource in CALLS:
        operation = operation_of(RESOURCES[resource].methods[method])
        assert operation is not None
        values = _values(method, resource)
        RecordingParams.made.clear()
        if method == "GET":
            response = await api.get(f"{resource}/format/json", params=values)
        else:
            response = await api.request(method, f"{resource}/format/json", json=values)
        asked = RecordingParams.made[0].asked - ENDPOINT_PARAMS
        undescribed = asked - operation.names
        unread = operation.names - asked - CONDITIONAL.get((method, resource), set())
        if undescribed or (response.is_success and unread):
            mismatches.append((method, resource, response.status_code, undescribed, unread))
    assert not mismatches
