"""`onstream backup FILE` and `onstream restore FILE`: a populated installation comes back
answering every API call and serving every byte as before, on the suite's database, into a
local directory or a bucket; every failure is one line and changes nothing."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import on_postgres
from tests.support import postgres
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.recordings import add_recording, new_session, wav_bytes
from tests.support.s3 import S3Server

ACCOUNTS = (("ana", "ana-password-1"), ("ben", "ben-password-22"))
NewDatabase = Callable[[Path], str]


@dataclass
class Populated:
    """A stopped installation that was filled through the API, and what it answered."""

    server: AppServer
    answers: dict[str, Any]
    archive: Path


def fill(client: httpx.Client, server: AppServer, tmp_path: Path, login: str) -> None:
    """Sessions with invitees and custom data, a deleted session, files (one uploaded, one a
    link), recordings with and without media."""
    kept = ok(
        rest(
            client,
            "PUT",
            "session",
            {
                "topic": f"Planning of {login} ünïcode",
                "duration": 60,
                "start_time": "2030-06-01 09:00:00",
                "timezone": "UP1",
                "password": "pw",
                "custom_data": {"custom1": "a"},
                "invited_participants": [
                    {"email": "one@example.com", "first_name": "One"},
                    {"email": "two@example.com", "role": 1, "send_email_invitation": 0},
                ],
            },
        ),
        201,
    )["id"]
    gone = new_session(client, topic="Cancelled")
    ok(rest(client, "DELETE", "session", {"id": gone}))
    upload = client.put(
        "file/format/json",
        data={"is_url": "0", "file_description": f"notes of {login}"},
        files={"file": ("notes.pdf", os.urandom(50_000), "application/pdf")},
    )
    ok(upload, 201)
    link = {"file_link": "https://example.com/deck.pdf", "is_url": "1"}
    ok(rest(client, "PUT", "file", link), 201)
    media = tmp_path / f"{login}.wav"
    media.write_bytes(wav_bytes(0.5))
    with_media = add_recording(server, client, new_session(client), title="With media", media=media)
    add_recording(server, client, kept, title="Behind the session's password")
    ok(rest(client, "POST", "recording", {"id": with_media, "allow_anonymous_playback": 1}))
    add_recording(server, client, new_session(client), title="Without media")


def answers(server: AppServer) -> dict[str, Any]:
    """Everything each account's API answers, and the bytes behind every link."""
    seen: dict[str, Any] = {}
    for login, password in ACCOUNTS:
        with server.api_client(login, password) as client:
            sessions = ok(client.get("sessions/format/json"))["sessions"]
            seen[f"{login} sessions"] = sessions
            for session in sessions:
                sid = session["id"]
                seen[f"{login} session {sid}"] = ok(client.get(f"session/id/{sid}/format/json"))
                seen[f"{login} invitees {sid}"] = ok(client.get(f"invitees/id/{sid}/format/json"))
            seen[f"{login} recordings"] = ok(client.get("recordings/format/json"))
            seen[f"{login} files"] = ok(client.get("files/format/json"))
            for item in seen[f"{login} files"]["files"]:
                if not item["is_url"]:
                    got = server.get(httpx.URL(item["file_link"]).path)
                    seen[f"{login} file bytes {item['id']}"] = (got.status_code, got.content)
            for item in seen[f"{login} recordings"]["recordings"]:
                got = server.get(f"/play/{item['id']}/media")
                seen[f"{login} media {item['id']}"] = (got.status_code, got.content)
    return seen


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory, new_database: NewDatabase) -> Populated:
    """Filled and backed up once for the module: the tests only read the archive and the
    answers, each restoring into a target of its own."""
    tmp_path = tmp_path_factory.mktemp("populated")
    workdir = tmp_path / "source"
    workdir.mkdir()
    server = AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={"ONSTREAM_MAIL_WORKER": "0"},
    )
    server.start()
    try:
        for login, password in ACCOUNTS:
            server.add_account(login, password)
            with server.api_client(login, password) as client:
                fill(client, server, tmp_path, login)
        seen = answers(server)
    finally:
        server.close()
    assert sum(1 for key, value in seen.items() if "bytes" in key and value[0] == 200) == 2
    statuses = [value[0] for key, value in seen.items() if " media " in key]
    assert sorted(statuses) == [200, 200, 403, 403, 403, 403], statuses
    archive = tmp_path / "site.tar"
    result = server.cli("backup", str(archive))
    assert result.returncode == 0, result.stderr
    assert "backup written to" in result.stdout
    assert "media: 4/4 objects" in result.stderr
    return Populated(server=server, answers=seen, archive=archive)


def target(tmp_path: Path, new_database: NewDatabase, port: int, **env: str) -> AppServer:
    workdir = tmp_path / "target"
    workdir.mkdir(exist_ok=True)
    return AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        port=port,
        extra_env={"ONSTREAM_MAIL_WORKER": "0", **env},
    )


@pytest.mark.parametrize("media", ["directory", "bucket"])
def test_round_trip_answers_every_call_alike(
    populated: Populated,
    tmp_path: Path,
    new_database: NewDatabase,
    request: pytest.FixtureRequest,
    media: str,
) -> None:
    env: dict[str, str] = {}
    if media == "bucket":
        s3: S3Server = request.getfixturevalue("s3")
        env = s3.env(f"s3://{s3.new_bucket()}/restored")
    restored = target(tmp_path, new_database, populated.server.port, **env)
    result = restored.cli("restore", str(populated.archive))
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout
    assert "media: 4/4 objects" in result.stderr
    restored.start()
    try:
        assert answers(restored) == populated.answers
        with restored.api_client(*ACCOUNTS[0]) as client:
            created = rest(
                client,
                "PUT",
                "session",
                {"topic": "After", "duration": 5, "start_time": "2031-01-01 10:00:00"},
            )
            assert ok(created, 201)["id"] > max(s["id"] for s in populated.answers["ana sessions"])
    finally:
        restored.close()

    again = restored.cli("restore", str(populated.archive))
    assert again.returncode == 1
    [line] = again.stderr.splitlines()
    assert line.startswith("onstream: restore needs an empty installation: the target database")


def test_restore_refuses_media_already_there(
    populated: Populated, tmp_path: Path, new_database: NewDatabase
) -> None:
    restored = target(tmp_path, new_database, populated.server.port)
    stray = restored.workdir / "media" / "A" / ("A" * 32)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left over")
    result = restored.cli("restore", str(populated.archive))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "onstream: restore needs an empty installation: the media store "
        f"{restored.workdir / 'media'} already holds media"
    ]
    assert [p.name for p in (restored.workdir / "media").rglob("*") if p.is_file()] == [stray.name]
    restored.start()
    try:
        with restored.client() as client:
            assert client.get("/api/2/ana/authverify", auth=ACCOUNTS[0]).status_code == 401
    finally:
        restored.close()


def test_unreadable_archives_are_one_line_and_change_nothing(
    populated: Populated, tmp_path: Path, new_database: NewDatabase
) -> None:
    restored = target(tmp_path, new_database, populated.server.port)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(os.urandom(5000))
    cut = tmp_path / "cut.tar"
    cut.write_bytes(populated.archive.read_bytes()[:-30_000])
    with tarfile.open(populated.archive) as tar:
        last = tar.getmembers()[-1]
    inside = tmp_path / "inside.tar"
    inside.write_bytes(populated.archive.read_bytes()[: last.offset_data + last.size - 10])
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(foreign, "w") as tar:
        tar.add(populated.archive, arcname="something.bin")
    cases = {
        tmp_path / "absent.tar": f"onstream: there is no backup file at {tmp_path / 'absent.tar'}",
        garbage: f"onstream: {garbage} is not a readable Onstream backup:",
        cut: f"onstream: {cut} is cut short:",
        inside: f"onstream: {inside} is cut short:",
        foreign: f"onstream: {foreign} is not an Onstream backup (no onstream-backup.json",
    }
    for archive, message in cases.items():
        result = restored.cli("restore", str(archive))
        assert result.returncode == 1, archive
        [line] = result.stderr.splitlines()
        assert line.startswith(message), line
    assert not (restored.workdir / "media").exists()


def test_backup_failures_are_one_line(tmp_path: Path, s3: S3Server) -> None:
    server = AppServer(workdir=tmp_path, database_url=f"sqlite:///{tmp_path / 'none.db'}")
    result = server.cli("backup", str(tmp_path / "b.tar"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"onstream: there is no database at {tmp_path}/none.db"]
    server.migrate()
    broken = AppServer(
        workdir=tmp_path,
        database_url=server.database_url,
        extra_env=s3.env("s3://absent-bucket"),
    )
    result = broken.cli("backup", str(tmp_path / "b.tar"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"onstream: the bucket 'absent-bucket' does not exist (s3://absent-bucket at {s3.endpoint})"
    ]
    assert not list(tmp_path.glob("b.tar*"))


def test_restore_into_the_other_kind_of_database(populated: Populated, tmp_path: Path) -> None:
    """SQLite's backup restores into PostgreSQL, PostgreSQL's into SQLite."""
    workdir = tmp_path / "other"
    workdir.mkdir()
    if on_postgres():
        url = f"sqlite:///{workdir / 'restored.db'}"
    else:
        url = postgres.create_database(
            os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"
        )
    restored = AppServer(
        workdir=workdir,
        database_url=url,
        port=populated.server.port,
        extra_env={"ONSTREAM_MAIL_WORKER": "0"},
    )
    result = restored.cli("restore", str(populated.archive))
    assert result.returncode == 0, result.stderr
    restored.start()
    try:
        assert answers(restored) == populated.answers
    finally:
        restored.close()
