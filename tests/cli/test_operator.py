"""The operator's commands (CONTRACT §10): serve --demo, user add, user passwd, db upgrade."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.server import STARTUP_SECONDS, ServerProcess, free_port
from tests.support.waiting import wait_until


def sqlite_server(tmp_path: Path) -> ServerProcess:
    """A server of its own on a fresh SQLite file, whatever database the suite runs on."""
    return ServerProcess(workdir=tmp_path, database_url=f"sqlite:///{tmp_path / 'onstream.db'}")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = sqlite_server(tmp_path)
    yield proc
    proc.stop()


def read_demo_banner(proc: ServerProcess, *, ending: str = "user passwd demo") -> str:
    def banner() -> str:
        text = proc.log()
        return text if ending in text else ""

    return wait_until(banner, "the demo banner")


def test_demo_prints_a_curl_line_that_works(own_server: ServerProcess) -> None:
    own_server.start("--demo")
    banner = read_demo_banner(own_server)
    curl_line = next(line.strip() for line in banner.splitlines() if "curl -u" in line)
    result = subprocess.run(curl_line, shell=True, capture_output=True, text=True, check=True)  # noqa: S602  # the printed line is what a person pastes into a shell
    assert "<authenticated>1</authenticated>" in result.stdout
    password = re.search(r"password:\s+(\S+)", banner)
    assert password is not None
    assert len(password.group(1)) >= 12
    center = next(line.strip() for line in banner.splitlines() if line.strip().endswith("/account"))
    page = httpx.get(center, follow_redirects=True, timeout=10)
    assert page.status_code == 200
    assert "Sign in to your account" in page.text


def test_demo_creates_no_second_account(own_server: ServerProcess) -> None:
    own_server.start("--demo")
    read_demo_banner(own_server)
    own_server.stop()
    own_server.start("--demo")
    banner = read_demo_banner(own_server, ending="printed when it was created")
    assert banner.count("Demo account created") == 1  # the log holds both starts
    assert "/demo/demo-meeting" in banner.rsplit("printed when it was created", 1)[1]
    with sqlite3.connect(own_server.workdir / "onstream.db") as db:
        assert db.execute("select count(*) from users").fetchone() == (1,)


def test_plain_serve_creates_no_account(own_server: ServerProcess) -> None:
    own_server.start()
    with sqlite3.connect(own_server.workdir / "onstream.db") as db:
        assert db.execute("select count(*) from users").fetchone() == (0,)
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"users", "alembic_version"} <= tables


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    proc = sqlite_server(tmp_path)
    result = proc.cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "onstream.db") as db:
        assert db.execute("select version_num from alembic_version").fetchone() is not None
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)


def test_user_add_stores_an_argon2id_hash(tmp_path: Path) -> None:
    proc = sqlite_server(tmp_path)
    result = proc.cli(
        "user", "add", "carol", "--email", "carol@example.com", "--password", "pw-pw-pw-1"
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "onstream.db") as db:
        (stored,) = db.execute("select password_hash from users where login='carol'").fetchone()
    assert stored.startswith("$argon2id$")
    assert "pw-pw-pw-1" not in stored


def test_user_add_prompts_for_the_password(tmp_path: Path) -> None:
    proc = sqlite_server(tmp_path)
    result = proc.cli(
        "user", "add", "dave", "--email", "dave@example.com", input="typed-pass-1\ntyped-pass-1\n"
    )
    assert result.returncode == 0, result.stderr
    proc.start()
    try:
        ok = httpx.get(
            f"{proc.base_url}/api/2/dave/authverify", auth=("dave", "typed-pass-1"), timeout=30
        )
        assert ok.status_code == 200
    finally:
        proc.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad login!", "--email", "x@example.com", "--password", "longenough"], "login must be"),
        (["api", "--email", "x@example.com", "--password", "longenough"], "reserved"),
        (["docs", "--email", "x@example.com", "--password", "longenough"], "reserved"),
        (["erin", "--email", "not-an-email", "--password", "longenough"], "e-mail"),
        (["erin", "--email", "e@example.com", "--password", "short"], "at least 8"),
        (
            ["erin", "--email", "e@example.com", "--password", "longenough", "--timezone", "UP55X"],
            "timezone",
        ),
    ],
)
def test_user_add_refuses_bad_input_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    proc = sqlite_server(tmp_path)
    result = proc.cli("user", "add", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_user_add_refuses_a_taken_login(tmp_path: Path) -> None:
    proc = sqlite_server(tmp_path)
    args = ["user", "add", "frank", "--email", "f@example.com", "--password", "longenough"]
    assert proc.cli(*args).returncode == 0
    again = proc.cli(*args)
    assert again.returncode == 1
    assert "already taken" in again.stderr
    lookalike = proc.cli("user", "add", "Frank", *args[3:])
    assert lookalike.returncode == 1
    assert "login 'Frank' is already taken" in lookalike.stderr


def test_user_add_accepts_timezone_dst_and_phone_bridge(tmp_path: Path) -> None:
    proc = sqlite_server(tmp_path)
    result = proc.cli(
        "user",
        "add",
        "gina",
        "--email",
        "g@example.com",
        "--password",
        "longenough",
        "--timezone",
        "Europe/Berlin",
        "--dst",
        "1",
        "--phone-bridge",
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "onstream.db") as db:
        row = db.execute("select timezone, dst, phone_bridge from users").fetchone()
    assert row == ("Europe/Berlin", 1, 1)


def test_changed_password_stops_working_within_seconds(own_server: ServerProcess) -> None:
    args = ["user", "add", "hank", "--email", "h@example.com", "--password", "first-pass"]
    assert own_server.cli(*args).returncode == 0
    own_server.start()
    url = f"{own_server.base_url}/api/2/hank/authverify"
    assert httpx.get(url, auth=("hank", "first-pass"), timeout=30).status_code == 200  # now cached
    assert own_server.cli("user", "passwd", "hank", "--password", "second-pass").returncode == 0
    wait_until(
        lambda: httpx.get(url, auth=("hank", "first-pass"), timeout=30).status_code != 200,
        "the old password refused",
        3,
    )
    assert httpx.get(url, auth=("hank", "second-pass"), timeout=30).status_code == 200


def test_internal_errors_reveal_no_sql_or_traceback(own_server: ServerProcess) -> None:
    args = ["user", "add", "ivan", "--email", "i@example.com", "--password", "longenough"]
    assert own_server.cli(*args).returncode == 0
    own_server.start()
    with sqlite3.connect(own_server.workdir / "onstream.db") as db:
        db.execute("drop table credential_epoch")
    response = httpx.get(
        f"{own_server.base_url}/api/2/ivan/authverify/format/json", auth=("ivan", "longenough")
    )
    assert response.status_code == 500
    body = response.json()
    assert body["status"] is False
    match = re.fullmatch(r"Internal server error \(request id ([0-9a-f]{16})\)", body["error"])
    assert match is not None
    for leak in ("SELECT", "credential_epoch", "Traceback", "sqlite"):
        assert leak not in response.text
    assert match.group(1) in own_server.log()


def test_serve_listens_where_told(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "onstream", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env={**sqlite_server(tmp_path).env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def health() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health")
            except httpx.TransportError:
                return None

        answer = wait_until(health, f"the server to listen on port {port}", STARTUP_SECONDS)
        assert answer.text == "ok", (answer.status_code, answer.headers, answer.content)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
