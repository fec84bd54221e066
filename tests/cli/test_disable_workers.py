"""`onstream user disable` reaches every process of `onstream serve --workers 2`: each
refuses the account's cached credentials soon after, without a restart.

The server keeps verified credentials for ONSTREAM_AUTH_CACHE_SECONDS (60 by default); the
test sets 2 s, so "soon after" is seconds of waiting instead of a minute."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.live

LOGIN, PASSWORD = "worker", "worker-secret-1"


def statuses(proc: ServerProcess, count: int) -> set[int]:
    """The answers to `count` requests, each on a new connection (either process may take
    it), with the same credentials."""
    url = f"{proc.base_url}/api/2/{LOGIN}/authverify"
    return {httpx.get(url, auth=(LOGIN, PASSWORD)).status_code for _ in range(count)}


def test_every_worker_refuses_a_disabled_account(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    proc = ServerProcess(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={"ONSTREAM_AUTH_CACHE_SECONDS": "2"},
    )
    proc.add_account(LOGIN, PASSWORD)
    proc.start("--workers", "2")
    try:
        assert statuses(proc, 40) == {200}  # verified, and cached, by both processes
        assert proc.cli("user", "disable", LOGIN).returncode == 0
        wait_until(  # refused as a wrong password is
            lambda: statuses(proc, 40) == {401}, "every process to refuse the disabled account", 60
        )
        assert proc.cli("user", "enable", LOGIN).returncode == 0
        wait_until(
            lambda: statuses(proc, 40) == {200}, "every process to accept the enabled account", 60
        )
    finally:
        proc.stop()
