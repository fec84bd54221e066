"""`onstream api ...` against a real server: readable tables, JSON, errors in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.server import ServerProcess

pytestmark = [
    pytest.mark.live,  # talks to a real `onstream serve` over a socket
    pytest.mark.any_database,  # the client's command
]


def cli(
    server: ServerProcess, account: httpx.Client, *args: str
) -> subprocess.CompletedProcess[str]:
    login = account.base_url.path.strip("/").split("/")[-1]
    env = {**server.env, "ONSTREAM_URL": server.base_url, "ONSTREAM_LOGIN": login}
    env["ONSTREAM_PASSWORD"] = f"{login}-password"
    return subprocess.run(
        [sys.executable, "-m", "onstream", "api", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sessions_from_the_shell(server: ServerProcess, make_account: MakeAccount) -> None:
    account = make_account()
    created = cli(
        server,
        account,
        "session",
        "create",
        "--topic",
        "Product demo",
        "--start-time",
        "2030-09-10 16:00",
        "--duration",
        "45",
        "--invite",
        "ana@example.com",
    )
    assert created.returncode == 0, created.stderr
    assert "Session added" in created.stdout
    table = cli(server, account, "sessions", "list")
    assert table.returncode == 0, table.stderr
    header, rule, row = table.stdout.splitlines()
    assert header.split() == ["id", "topic", "start_time", "duration", "timezone", "session_link"]
    assert set(rule) <= {"-", " "}
    assert "Product demo" in row
    assert "2030-09-10 16:00:00" in row
    [listed] = json.loads(cli(server, account, "--format", "json", "sessions", "list").stdout)
    assert listed["topic"] == "Product demo"
    session_id = listed["id"]
    invitees = cli(server, account, "invitees", "list", str(session_id))
    assert "ana@example.com" in invitees.stdout
    assert cli(server, account, "session", "delete", str(session_id)).returncode == 0
    gone = cli(server, account, "session", "get", str(session_id))
    assert gone.returncode == 1
    assert gone.stderr == f"onstream: 410: Session {session_id} was deleted\n"


def test_refusals_are_one_line(server: ServerProcess, make_account: MakeAccount) -> None:
    account = make_account()
    args = ("session", "create", "--topic", "T", "--start-time", "someday", "--duration", "5")
    refused = cli(server, account, *args)
    assert refused.returncode == 1
    assert refused.stderr.startswith("onstream: 400: ")
    assert refused.stderr.count("\n") == 1
    assert cli(server, account, "files", "list").stdout == "(none)\n"
