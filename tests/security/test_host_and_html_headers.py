"""Links are the server's own, whatever `Host` a client sends, and the API's `html` answers
carry the pages' security headers; through a real `onstream serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from tests.support.recordings import new_session
from tests.support.server import ServerProcess

BASE_URL = "https://meet.example.org"
FORGED = {"host": "evil.example"}
LOGIN, PASSWORD = "hosted", "hosted-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("host")
    proc = ServerProcess(
        workdir=workdir,
        database_url=f"sqlite:///{workdir / 'onstream.db'}",
        extra_env={"ONSTREAM_BASE_URL": BASE_URL},
    )
    proc.start()
    proc.add_account(LOGIN, PASSWORD)
    yield proc
    proc.stop()


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/play/1/", f"{BASE_URL}/play/1"),
        ("/play/1/?x=1", f"{BASE_URL}/play/1?x=1"),
        (f"/{LOGIN}/some-meeting/", f"{BASE_URL}/{LOGIN}/some-meeting"),
    ],
)
def test_the_trailing_slash_redirect_goes_to_the_base_url(
    server: ServerProcess, path: str, location: str
) -> None:
    answer = server.get(server.base_url + path, headers=FORGED)
    assert answer.status_code == 307
    assert answer.headers["location"] == location


def test_a_path_no_route_takes_either_way_is_still_404(server: ServerProcess) -> None:
    assert server.get(server.base_url + "/api/", headers=FORGED).status_code != 307
    assert server.get(server.base_url + "/a/b/c/d/e/", headers=FORGED).status_code == 404


def test_the_lobby_calendar_links_to_the_base_url(server: ServerProcess) -> None:
    with server.api_client(LOGIN, PASSWORD) as client:
        new_session(client, friendly_url="planning")
    answer = server.get(f"{server.base_url}/{LOGIN}/planning/calendar.ics", headers=FORGED)
    assert answer.status_code == 200
    [event] = Calendar.from_ical(answer.content).walk("VEVENT")
    assert str(event["URL"]) == f"{BASE_URL}/{LOGIN}/planning"
    assert "evil.example" not in answer.text


def assert_security_headers(answer: httpx.Response) -> None:
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_html_api_answers_carry_the_pages_security_headers(server: ServerProcess) -> None:
    with server.api_client(LOGIN, PASSWORD) as client:
        done = client.get("authverify/format/html")
        assert done.status_code == 200
        assert_security_headers(done)
        assert_security_headers(client.get("session/id/999999/format/html"))  # an error
        listed = client.get("sessions", headers={"accept": "text/html"})
        assert_security_headers(listed)
