"""The Python client against a real server: typed results, typed errors, paging, uploads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.server import ServerProcess

from onstream.client import (
    AsyncClient,
    BadRequest,
    Client,
    Gone,
    NotFound,
    Session,
    TransportError,
    Unauthorized,
)

pytestmark = [
    pytest.mark.live,  # talks to a real `onstream serve` over a socket
    pytest.mark.any_database,  # the client library
]


def credentials(account: httpx.Client) -> tuple[str, str]:
    login = account.base_url.path.strip("/").split("/")[-1]
    return login, f"{login}-password"


@pytest.fixture
def api(server: ServerProcess, make_account: MakeAccount) -> Iterator[Client]:
    login, password = credentials(make_account())
    with Client(server.base_url, login, password) as client:
        yield client


def test_sessions_round_trip(api: Client) -> None:
    created = api.create_session(
        topic="Product demo",
        start_time="2030-09-10 16:00:00",
        duration=45,
        timezone="UTC",
        invited_participants=[{"email": "ana@example.com", "first_name": "Ana", "role": 1}],
    )
    assert created.message == "Session added"
    assert created.location == f"/api/2/{api.login}/session/id/{created.id}"
    assert created.id is not None
    session = api.session(created.id)
    assert isinstance(session, Session)
    assert (session.topic, session.duration, session.start_time) == (
        "Product demo",
        45,
        "2030-09-10 16:00:00",
    )
    assert api.session(created.id, fields=["id", "session_key"]).topic is None
    moderators = api.invitees(created.id)["moderators"]
    assert [m.email for m in moderators] == ["ana@example.com"]
    assert api.update_session(created.id, duration=60).message == "Session updated"
    assert api.session(created.id).duration == 60
    api.delete_session(created.id)
    with pytest.raises(Gone) as gone:
        api.session(created.id)
    assert gone.value.status == 410
    assert gone.value.message == f"Session {created.id} was deleted"


def test_errors_carry_the_servers_message(api: Client, server: ServerProcess) -> None:
    with pytest.raises(BadRequest, match="duration") as refused:
        api.create_session(topic="x", start_time="2030-01-01 10:00", duration="abcd")
    assert refused.value.status == 400
    with pytest.raises(NotFound):
        api.session(999_999)
    with Client(server.base_url, api.login, "wrong-password") as wrong:
        assert wrong.authverify() is False
        with pytest.raises(Unauthorized):
            wrong.user()
    with (
        pytest.raises(TransportError),
        Client("http://127.0.0.1:9", "a", "b", timeout=2) as nowhere,
    ):
        nowhere.user()


def test_warnings_are_handed_back(api: Client) -> None:
    created = api.create_session(topic="T", start_time="2030-01-01 10:00", duration=5, timezon="x")
    assert created.warning == "unknown parameter 'timezon' ignored"


def test_iterators_page_through_everything(api: Client) -> None:
    ids = [
        api.create_session(topic=f"S{n}", start_time="2030-01-01 10:00", duration=5).id
        for n in range(205)
    ]
    assert [s.id for s in api.sessions()] == ids
    assert [s.id for s in api.sessions(order="desc")][:3] == ids[::-1][:3]
    assert api.user().login == api.login
    assert list(api.recordings()) == []


def test_files_link_and_upload(api: Client, tmp_path: Path, server: ServerProcess) -> None:
    linked = api.add_file_link("https://example.com/slides.pdf", description="Slides")
    path = tmp_path / "notes.txt"
    path.write_bytes(b"meeting notes\n")
    uploaded = api.upload_file(path, description="Notes", content_type="text/plain")
    files = list(api.files())
    assert [f.id for f in files] == [linked.id, uploaded.id]
    assert files[0].file_link == "https://example.com/slides.pdf"
    stored = api.file(uploaded.id or 0)
    assert stored.is_url is False
    assert stored.file_link is not None
    assert httpx.get(stored.file_link).content == b"meeting notes\n"
    session = api.create_session(topic="With files", start_time="2030-01-01 10:00", duration=5)
    assert api.share_file(uploaded.id or 0, session.id or 0).message == "File added to session"
    api.delete_file(linked.id or 0)
    assert [f.id for f in api.files()] == [uploaded.id]


@pytest.mark.anyio
async def test_the_async_client(
    server: ServerProcess, make_account: MakeAccount, tmp_path: Path
) -> None:
    login, password = credentials(make_account())
    async with AsyncClient(server.base_url, login, password) as api:
        assert await api.authverify() is True
        for n in range(3):
            await api.create_session(topic=f"A{n}", start_time="2030-01-01 10:00", duration=5)
        topics = [s.topic async for s in api.sessions()]
        assert topics == ["A0", "A1", "A2"]
        with pytest.raises(NotFound):
            await api.recording(1)
        path = tmp_path / "slides.txt"
        path.write_bytes(b"slides")
        uploaded = await api.upload_file(path, description="Slides")
        assert [f.id async for f in api.files()] == [uploaded.id]
        assert (await api.file(uploaded.id or 0)).file_description == "Slides"


def test_sessions_invited_lists_what_the_account_is_invited_to(
    server: ServerProcess, make_account: MakeAccount, api: Client
) -> None:
    login, password = credentials(make_account(timezone="UM5", dst=True))
    with Client(server.base_url, login, password) as guest:
        me = guest.user()
        assert me.email_verified is True
        created = api.create_session(
            topic="Invited",
            start_time="2030-07-10 18:00:00",
            duration=30,
            timezone="UTC",
            invited_participants=[{"email": me.email, "role": 3}],
        )
        (seen,) = guest.sessions(invited=True)
        assert (seen.id, seen.role, seen.timezone) == (created.id, 3, "UM5")
        assert seen.start_time == "2030-07-10 14:00:00"
        assert seen.personal_session_link is not None
        assert list(guest.sessions()) == []
