"""The operator's account, outbox and recording commands against the in-process server:
`user list|disable|enable|delete`, `user add --password-stdin`, `outbox retry`, the
`logged` status, and `recording add` checking its media with ffprobe."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from tests.support.api import ok
from tests.support.app import AppServer
from tests.support.recordings import media_files, new_session, wav_bytes
from tests.support.server import Server
from tests.support.waiting import wait_until

from onstream.clock import utcnow
from onstream.mail.tables import outbox
from onstream.recordings.tables import recordings
from onstream.sessions.tables import sessions
from onstream.storage.connection import Connection
from onstream.users.tables import users

WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def quiet(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[AppServer]:
    """A server with no SMTP relay configured: its e-mail goes to the log."""
    workdir = tmp_path_factory.mktemp("quiet")
    app = AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={"ONSTREAM_MAIL_POLL_SECONDS": "0.1"},
    )
    app.start()
    yield app
    app.close()


_numbers = iter(range(1, 10_000))


def account(server: Server) -> tuple[str, str, httpx.Client]:
    login = f"op{next(_numbers)}"
    password = f"{login}-password"
    server.add_account(login, password)
    return login, password, server.api_client(login, password)


def subprocess_cli(server: Server, *args: str, input: str | None = None) -> Any:
    """The command as its own process (standard input a pipe, never a terminal)."""
    return Server.cli(server, *args, input=input)


def status_of(server: Server, message_id: int) -> str:
    [row] = server.query(select(outbox.c.status).where(outbox.c.id == message_id))
    return str(row["status"])


# --- user list, disable, enable -------------------------------------------------------------


def test_user_list_shows_every_account_and_who_is_disabled(quiet: AppServer) -> None:
    first, _, _ = account(quiet)
    second, _, _ = account(quiet)
    assert quiet.cli("user", "disable", second).stdout == f"account '{second}' disabled\n"
    listing = quiet.cli("user", "list")
    assert listing.returncode == 0, listing.stderr
    lines = {line.split()[1]: line for line in listing.stdout.splitlines()[1:]}
    assert lines[first].endswith("active")
    assert " disabled " in lines[second]
    assert f"{second}@example.com" in lines[second]


def test_a_disabled_account_is_refused_at_once_and_let_in_when_enabled(quiet: AppServer) -> None:
    login, _, client = account(quiet)
    _, _, other_client = account(quiet)
    token = quiet.cli("token", "create", login, "--name", "ci").stdout.splitlines()[-1]
    session_id = new_session(client, friendly_url="weekly")
    with quiet.client() as anon:
        assert client.get("authverify").status_code == 200  # cached from now on
        assert anon.get(f"/{login}/weekly").status_code == 200
        assert quiet.cli("user", "disable", login).returncode == 0
        # absent: the right password gets what a wrong one gets (tests/security too)
        wait_until(lambda: client.get("authverify").status_code == 401)
        refused = client.get("authverify/format/json")
        assert refused.json() == {"status": False, "error": "Wrong login or password"}
        by_token = anon.get(f"/api/2/{login}/authverify", auth=(login, token))
        assert by_token.status_code == 401
        assert anon.get(f"/{login}/weekly").status_code == 404  # its lobby admits nobody
        assert other_client.get("authverify").status_code == 200  # nobody else is touched
        assert (
            quiet.cli("user", "disable", login).stdout
            == f"account '{login}' was already disabled\n"
        )
        assert quiet.cli("user", "enable", login).returncode == 0
        wait_until(lambda: client.get("authverify").status_code == 200)
        assert anon.get(f"/{login}/weekly").status_code == 200
        assert (
            ok(client.get(f"session/id/{session_id}/format/json"))["sessions"][0]["id"]
            == session_id
        )


def test_disable_refuses_an_unknown_login(quiet: AppServer) -> None:
    result = quiet.cli("user", "disable", "nobody-at-all")
    assert (result.returncode, result.stderr) == (
        1,
        "onstream: no account with login 'nobody-at-all'\n",
    )


# --- user delete ----------------------------------------------------------------------------


def test_user_delete_removes_everything_of_the_account_and_nothing_else(
    quiet: AppServer, tmp_path: Path
) -> None:
    login, _, client = account(quiet)
    keeper, _, keeper_client = account(quiet)
    invite = {"invited_participants": [{"email": "ana@example.com"}]}
    doomed = new_session(client, **invite)
    kept = new_session(keeper_client, **invite)
    wav = tmp_path / "clip.wav"
    wav.write_bytes(wav_bytes(0.5))
    before_media = media_files(quiet)
    for owner, session_id in ((login, doomed), (keeper, kept)):
        added = quiet.cli(
            "recording",
            "add",
            "--owner",
            owner,
            "--session",
            str(session_id),
            "--title",
            "T",
            "--media",
            str(wav),
        )
        assert added.returncode == 0, added.stderr
    assert len(media_files(quiet) - before_media) == 2

    refused = subprocess_cli(quiet, "user", "delete", login)  # no terminal, no --yes
    assert refused.returncode == 1
    assert refused.stderr == "onstream: no terminal to confirm the deletion; add --yes\n"
    assert quiet.query(select(users.c.id).where(users.c.login == login))

    result = quiet.cli("user", "delete", login, "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"account '{login}' deleted with 1 sessions, 1 people, 1 e-mail messages "
        "and 1 media files\n"
    )
    assert quiet.query(select(users.c.id).where(users.c.login == login)) == []
    assert quiet.query(select(sessions.c.id).where(sessions.c.id == doomed)) == []
    assert quiet.query(select(outbox.c.id).where(outbox.c.session_id == doomed)) == []
    assert quiet.query(select(recordings.c.id).where(recordings.c.session_id == doomed)) == []
    assert len(media_files(quiet) - before_media) == 1
    # the other account keeps its session, invitee, e-mail and recording
    assert quiet.query(select(outbox.c.id).where(outbox.c.session_id == kept))
    assert quiet.query(select(recordings.c.id).where(recordings.c.session_id == kept))
    wait_until(lambda: client.get("authverify").status_code == 401)
    assert keeper_client.get("authverify").status_code == 200


# --- passwords from standard input ----------------------------------------------------------


def test_user_add_reads_a_piped_password(quiet: AppServer) -> None:
    result = subprocess_cli(
        quiet,
        "user",
        "add",
        "piped1",
        "--email",
        "p@example.com",
        "--password-stdin",
        input="piped-secret-1\n",
    )
    assert result.returncode == 0, result.stderr
    with quiet.api_client("piped1", "piped-secret-1") as client:
        assert client.get("authverify").status_code == 200


def test_user_add_without_a_terminal_says_how_instead_of_crashing(quiet: AppServer) -> None:
    result = subprocess_cli(quiet, "user", "add", "piped2", "--email", "p@example.com", input="")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "onstream: no password given; pipe one line into --password-stdin"
    )
    empty = subprocess_cli(
        quiet, "user", "add", "piped2", "--email", "p@example.com", "--password-stdin", input=""
    )
    assert (empty.returncode, empty.stderr) == (1, "onstream: no password on standard input\n")
    assert quiet.query(select(users.c.id).where(users.c.login == "piped2")) == []


# --- the outbox -----------------------------------------------------------------------------


def test_mail_without_a_relay_is_logged_not_sent(quiet: AppServer) -> None:
    _, _, client = account(quiet)
    session_id = new_session(client, invited_participants=[{"email": "bo@example.com"}])
    [row] = quiet.query(select(outbox.c.id).where(outbox.c.session_id == session_id))
    wait_until(lambda: status_of(quiet, row["id"]) != "pending")
    assert status_of(quiet, row["id"]) == "logged"
    listing = quiet.cli("outbox", "--status", "logged")
    assert f"#{row['id']} logged " in listing.stdout
    assert "logged: " in listing.stdout.splitlines()[0]


async def failed_message(conn: Connection) -> int:
    now = utcnow()
    result = await conn.execute(
        insert(outbox)
        .values(
            kind="invite",
            recipient="x@example.com",
            subject="retry me",
            message="Subject: retry me\r\n\r\nbody\r\n",
            status="failed",
            attempts=3,
            next_attempt_at=now,
            created_at=now,
            last_error="550 no such user",
        )
        .returning(outbox.c.id)
    )
    return int(result.scalar_one())


def test_outbox_retry_sends_a_failed_message_again(quiet: AppServer) -> None:
    message_id = quiet.run(failed_message)
    result = quiet.cli("outbox", "retry", str(message_id))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"message #{message_id} is queued for delivery now\n"
    wait_until(lambda: status_of(quiet, message_id) == "logged")
    again = quiet.cli("outbox", "retry", str(message_id))
    assert (again.returncode, again.stderr) == (
        1,
        f"onstream: message #{message_id} was logged already; it is not sent again\n",
    )
    missing = quiet.cli("outbox", "retry", "999999")
    assert (missing.returncode, missing.stderr) == (1, "onstream: there is no message #999999\n")


# --- recording add --------------------------------------------------------------------------


def test_recording_add_measures_the_duration(quiet: AppServer, tmp_path: Path) -> None:
    login, _, client = account(quiet)
    wav = tmp_path / "tone.wav"
    wav.write_bytes(wav_bytes(1.5))
    session_id = new_session(client)
    result = quiet.cli(
        "recording",
        "add",
        "--owner",
        login,
        "--session",
        str(session_id),
        "--title",
        "Tone",
        "--media",
        str(wav),
    )
    assert result.returncode == 0, result.stderr
    body = ok(client.get(f"recording/id/{result.stdout.strip()}/format/json"))
    assert body["recordings"][0]["duration"] == 1500  # measured, not typed


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.mp4", b"%PDF-1.4 this is not a video at all\n" * 20), ("photo.webm", None)],
)
def test_recording_add_refuses_what_is_not_audio_or_video(
    quiet: AppServer, tmp_path: Path, name: str, content: bytes | None
) -> None:
    login, _, client = account(quiet)
    path = tmp_path / name
    if content is None:  # a real picture, which ffprobe reads as a one-frame video
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "color=c=red:s=16x16",
                "-frames:v",
                "1",
                "-f",
                "image2",
                str(tmp_path / "photo.png"),
            ],
            check=True,
        )
        path.write_bytes((tmp_path / "photo.png").read_bytes())
    else:
        path.write_bytes(content)
    before = media_files(quiet)
    session_id = new_session(client)
    result = quiet.cli(
        "recording",
        "add",
        "--owner",
        login,
        "--session",
        str(session_id),
        "--title",
        "T",
        "--duration-ms",
        "1000",
        "--media",
        str(path),
    )
    assert (result.returncode, result.stderr) == (
        1,
        f"onstream: '{path}' is not an audio or video file\n",
    )
    assert media_files(quiet) == before
    stored = select(func.count()).select_from(recordings)
    [row] = quiet.query(stored.where(recordings.c.session_id == session_id))
    assert list(row.values()) == [0]
