"""What `onstream serve` and `onstream worker` write to their logs: one format for uvicorn's
lines and ours, request ids and logins but never credentials, JSON on demand, Alembic quiet
when it has nothing to do, and a client that hangs up mid-body is no error.

What is logged does not depend on the database: each server works on a SQLite file of its own,
and the module runs once, in the SQLite pass."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from base64 import b64encode
from pathlib import Path

import httpx
import pytest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.live

LOGIN, PASSWORD = "logged", "logged-secret-1"
TEXT_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) \S+ ")


def server(tmp_path: Path, **env: str) -> ServerProcess:
    proc = ServerProcess(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        extra_env={"ONSTREAM_LOG_LEVEL": "info", **env},
    )
    proc.add_account(LOGIN, PASSWORD)
    return proc


def wait_for_log(proc: ServerProcess, needle: str) -> str:
    try:
        wait_until(lambda: needle in proc.log(), f"{needle!r} to be logged", 60)
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}:\n{proc.log()}") from None
    return proc.log()


def test_one_text_format_with_request_ids_and_logins_never_credentials(
    tmp_path: Path,
) -> None:
    proc = server(tmp_path, ONSTREAM_LOG_LEVEL="debug")
    proc.start("--access-log")
    try:
        token = proc.cli("token", "create", LOGIN, "--name", "t").stdout.splitlines()[-1]
        good = httpx.get(f"{proc.base_url}/api/2/{LOGIN}/authverify", auth=(LOGIN, PASSWORD))
        by_token = httpx.get(f"{proc.base_url}/api/2/{LOGIN}/authverify", auth=(LOGIN, token))
        wrong = httpx.get(f"{proc.base_url}/api/2/{LOGIN}/authverify", auth=(LOGIN, "guess-1"))
        given = httpx.get(f"{proc.base_url}/health", headers={"X-Request-ID": "lb-42"})
        forged = httpx.get(f"{proc.base_url}/health", headers={"X-Request-ID": "a b INFO forged"})
        assert (good.status_code, by_token.status_code, wrong.status_code) == (200, 200, 401)
        assert given.headers["x-request-id"] == "lb-42"
        assert re.fullmatch(r"[0-9a-f]{16}", forged.headers["x-request-id"])
        request_id = good.headers["x-request-id"]
        log = wait_for_log(proc, forged.headers["x-request-id"])
    finally:
        proc.stop()
    lines = [line for line in log.splitlines() if line.strip()]
    strays = [line for line in lines if not TEXT_LINE.match(line)]
    assert strays == [], "lines in another format:\n" + "\n".join(strays)
    assert any(" uvicorn.error Application startup complete." in line for line in lines)
    [access] = [line for line in lines if f"req={request_id}" in line]
    assert f"[req={request_id} login={LOGIN}]" in access
    assert '"GET /api/2/logged/authverify HTTP/1.1" 200' in access
    assert any("[req=lb-42]" in line for line in lines)
    for secret in (PASSWORD, token, "guess-1", b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()):
        assert secret not in log
    assert "authorization" not in log.lower()


def test_json_lines_for_collectors(tmp_path: Path) -> None:
    proc = server(tmp_path, ONSTREAM_LOG_FORMAT="json")
    proc.start("--access-log", "--workers", "2")
    try:
        answer = httpx.get(f"{proc.base_url}/api/2/{LOGIN}/authverify", auth=(LOGIN, PASSWORD))
        wait_for_log(proc, answer.headers["x-request-id"])
    finally:
        proc.stop()
    entries = [json.loads(line) for line in proc.log().splitlines() if line.strip()]
    assert all({"ts", "level", "logger", "message"} <= entry.keys() for entry in entries)
    [access] = [e for e in entries if e.get("request_id") == answer.headers["x-request-id"]]
    assert (access["logger"], access["login"]) == ("uvicorn.access", LOGIN)
    assert {e["logger"] for e in entries} >= {"uvicorn.error", "uvicorn.access"}


def test_alembic_is_quiet_when_there_is_nothing_to_do(tmp_path: Path) -> None:
    proc = server(tmp_path)
    proc.database_url = f"sqlite:///{tmp_path / 'fresh.db'}"  # not migrated yet
    proc.start()
    proc.stop()
    first = proc.log()
    assert "Running upgrade" in first
    assert "plugin" not in first
    assert "Context impl" not in first
    (tmp_path / "server.log").unlink()
    proc.start()
    proc.stop()
    assert "alembic" not in proc.log()


def test_a_client_that_hangs_up_mid_body_is_logged_as_info(
    tmp_path: Path,
) -> None:
    proc = server(tmp_path)
    proc.start()
    try:
        credentials = b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
        with socket.create_connection(("127.0.0.1", proc.port)) as sock:
            sock.sendall(
                f"PUT /api/2/{LOGIN}/session HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Basic {credentials}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 100000\r\n\r\ntopic=half".encode()
            )
            # and hang up: the head and part of the body arrived, the rest never will
        log = wait_for_log(proc, "went away")
        assert httpx.get(f"{proc.base_url}/health").status_code == 200
    finally:
        proc.stop()
    [line] = [line for line in log.splitlines() if "went away" in line]
    assert " INFO onstream.api [req=" in line
    assert f"login={LOGIN}]" in line
    assert "Traceback" not in log
    assert " ERROR " not in log


def test_worker_says_what_it_does(tmp_path: Path) -> None:
    proc = server(tmp_path)
    proc.migrate()
    worker = subprocess.Popen(
        [sys.executable, "-m", "onstream", "worker"],
        cwd=tmp_path,
        env=proc.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        first = worker.stderr.readline()
    finally:
        worker.send_signal(signal.SIGTERM)
        rest = worker.communicate(timeout=30)[1]
    assert TEXT_LINE.match(first)
    assert " INFO onstream.worker delivering queued e-mail of " in first
    assert "to this log (no ONSTREAM_SMTP_HOST: nothing is sent)" in first
    assert "stop with Ctrl-C or SIGTERM" in first
    assert worker.returncode == 0
    assert "onstream.worker stopped" in rest
