"""A disabled account serves nothing, through a real `onstream serve`: its lobby, room, Janus
relay, playback page and media, file downloads and calendar feed answer exactly as links
that never existed, its API answers a right password as a wrong one, and `user enable`
brings everything back."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from onstream.clock import utcnow
from tests.support.api import ok, rest
from tests.support.recordings import add_recording, new_session, wav_bytes
from tests.support.server import ServerProcess, free_port
from tests.support.waiting import wait_until

WAIT_SECONDS = 30.0
IGNORED_HEADERS = {"date", "x-request-id"}


class FakeJanus:
    """A loopback stand-in for Janus's HTTP API: every call succeeds (the relay's side is
    what is tested, not Janus)."""

    def __init__(self) -> None:
        self.port = free_port()

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                body = json.dumps({"janus": "success", "data": {"id": 1}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@dataclass
class Links:
    """Every public link of one account, and the same kind of link naming nothing."""

    login: str
    password: str
    lobby: str
    lobby_ics: str
    invitation: str
    invitation_ics: str
    host: str
    room: str
    relay: str
    playback: str
    media: str
    download: str
    feed: str

    def absent(self) -> dict[str, str]:
        """A link of each kind that never existed."""
        unknown_key = "A" * 32
        return {
            "lobby": f"/{self.login}/no-such-meeting",
            "lobby_ics": f"/{self.login}/no-such-meeting/calendar.ics",
            "invitation": f"/{self.login}/go/{'z' * 43}",
            "invitation_ics": f"/{self.login}/go/{'z' * 43}/calendar.ics",
            "host": f"/{self.login}/host/{'h' * 22}",
            "room": f"/{self.login}/room/{'x' * 43}",
            "relay": f"/{self.login}/room/{'x' * 43}/janus/0",
            "playback": "/play/999999",
            "media": "/play/999999/media",
            "download": f"/files/{unknown_key}/notes.txt",
            "feed": "/calendar/" + "y" * 43 + ".ics",
        }

    def all(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.absent()}


@pytest.fixture(scope="module")
def janus() -> Iterator[FakeJanus]:
    fake = FakeJanus()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, janus: FakeJanus) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("disabled")
    proc = ServerProcess(
        workdir=workdir,
        database_url=f"sqlite:///{workdir / 'onstream.db'}",
        extra_env={"ONSTREAM_JANUS_URLS": janus.url, "ONSTREAM_JANUS_ADMIN_KEY": "test-key"},
    )
    proc.start()
    yield proc
    proc.stop()


_numbers = iter(range(1, 1000))


def new_account(server: ServerProcess) -> tuple[str, str, httpx.Client]:
    login = f"off{next(_numbers)}"
    password = f"{login}-password"
    server.add_account(login, password)
    return login, password, server.api_client(login, password)


def make_links(server: ServerProcess) -> Links:
    """An account with a live meeting (someone let into its room, an invitee's personal
    link and the host's link), a recording with media, an uploaded file and a calendar
    feed."""
    login, password, client = new_account(server)
    with client:
        start = f"{utcnow():%Y-%m-%d %H:%M:%S}"
        session_id = new_session(client, friendly_url="weekly", start_time=start, duration=60)
        entered = server.post(f"{server.base_url}/{login}/weekly", data={"name": "Guest"})
        assert entered.status_code == 303, entered.text
        room = entered.headers["location"]
        invitee = {"session_id": session_id, "email": "ana@example.com", "role": 1}
        invitee_id = ok(
            rest(client, "PUT", "invitee", invitee | {"send_email_invitation": 0}), 201
        )["id"]
        groups = ok(client.get(f"invitees/id/{session_id}/format/json"))
        (invitation,) = [
            i["personal_session_link"] for g in groups.values() for i in g if i["id"] == invitee_id
        ]
        fields = "return/host_link/format/json"
        (found,) = ok(client.get(f"session/id/{session_id}/{fields}"))["sessions"]
        media = server.workdir / "tone.wav"
        media.write_bytes(wav_bytes())
        recording_id = add_recording(server, client, session_id, title="Call", media=media)
        edit = {"id": recording_id, "allow_anonymous_playback": 1}
        ok(rest(client, "POST", "recording", edit))
        uploaded = client.put(
            "file/format/json",
            data={"is_url": "0"},
            files={"file": ("notes.txt", b"minutes\n", "text/plain")},
        )
        file_id = ok(uploaded, 201)["id"]
        link = ok(client.get(f"file/id/{file_id}/format/json"))["files"][0]["file_link"]
        feed = str(ok(rest(client, "POST", "calendar_feed"))["url"])
    return Links(
        login=login,
        password=password,
        lobby=f"/{login}/weekly",
        lobby_ics=f"/{login}/weekly/calendar.ics",
        invitation=invitation.removeprefix(server.base_url),
        invitation_ics=f"{invitation.removeprefix(server.base_url)}/calendar.ics",
        host=str(found["host_link"]).removeprefix(server.base_url),
        room=room,
        relay=f"{room}/janus/0",
        playback=f"/play/{recording_id}",
        media=f"/play/{recording_id}/media",
        download=link.removeprefix(server.base_url),
        feed=feed.removeprefix(server.base_url),
    )


def fetch(server: ServerProcess, path: str) -> httpx.Response:
    return server.get(server.base_url + path, follow_redirects=True)


def test_every_link_of_a_disabled_account_answers_as_absent_until_enabled(
    server: ServerProcess,
) -> None:
    links = make_links(server)
    served = {name: fetch(server, path) for name, path in links.all().items()}
    assert {name: r.status_code for name, r in served.items() if r.status_code >= 400} == {
        "room": 503  # the fake Janus cannot open a room; a disabled one is 404, as unknown
    }
    absent = {name: fetch(server, path) for name, path in links.absent().items()}

    assert server.cli("user", "disable", links.login).returncode == 0
    for name, path in links.all().items():
        answer, expected = fetch(server, path), absent[name]
        assert (name, answer.status_code, answer.content) == (
            name,
            expected.status_code,
            expected.content,
        )
        assert answer.status_code == 404, name

    assert server.cli("user", "enable", links.login).returncode == 0
    again = {name: fetch(server, path) for name, path in links.all().items()}
    assert {name: r.status_code for name, r in again.items()} == {
        name: r.status_code for name, r in served.items()
    }
    assert again["download"].content == b"minutes\n"


def comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers, without what differs between any two answers (the date,
    the request id, the Digest nonce)."""
    headers = {
        name: re.sub(r'nonce="[^"]*"', 'nonce=""', value)
        for name, value in response.headers.multi_items()
        if name not in IGNORED_HEADERS
    }
    return response.status_code, response.content, headers


def test_a_disabled_accounts_right_and_wrong_passwords_are_answered_alike(
    server: ServerProcess,
) -> None:
    login, password, client = new_account(server)
    token = server.cli("token", "create", login, "--name", "ci").stdout.splitlines()[-1]
    _, _, other = new_account(server)
    with client, other, server.client() as anon:
        assert client.get("authverify").status_code == 200  # cached from now on
        assert server.cli("user", "disable", login).returncode == 0
        wait_until(lambda: client.get("authverify").status_code == 401)
        for fmt in ("", "/format/json", "/format/html"):
            url = f"/api/2/{login}/authverify{fmt}"
            right = anon.get(url, auth=(login, password))
            wrong = anon.get(url, auth=(login, "not-the-password"))
            by_token = anon.get(url, auth=(login, token))
            assert comparable(right) == comparable(wrong) == comparable(by_token)
            assert right.status_code == 401
        assert other.get("authverify").status_code == 200  # nobody else is touched
        assert server.cli("user", "enable", login).returncode == 0
        wait_until(lambda: client.get("authverify").status_code == 200)
        assert anon.get(f"/api/2/{login}/authverify", auth=(login, token)).status_code == 200
