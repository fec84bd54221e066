"""`JanusSupervisor` and `remembered_port`: a Janus child that dies comes back on the same
port, after a growing pause when it keeps failing; the port is kept across runs."""

from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from onstream.janus import JanusProcess, JanusSupervisor, remembered_port
from tests.support.waiting import wait_until


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_port_is_stored_reused_and_replaced_when_taken(tmp_path: Path) -> None:
    stored = tmp_path / "janus" / "port"
    port = remembered_port(stored)
    assert stored.read_text().strip() == str(port)
    assert remembered_port(stored) == port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        other = remembered_port(stored)
    assert other != port
    assert stored.read_text().strip() == str(other)
    stored.write_text("not a port\n")
    assert remembered_port(stored) != 0


def test_a_killed_janus_comes_back_on_the_same_port(tmp_path: Path) -> None:
    janus = JanusProcess(tmp_path, http_port=remembered_port(tmp_path / "port"))
    with JanusSupervisor(janus) as supervisor:
        url, first = janus.url, janus.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until(
            lambda: supervisor.restarts == 1 and janus.pid != first and answers(url), "Janus back"
        )
        assert janus.url == url
    assert not janus.running
    assert not answers(url)


def test_a_janus_that_fails_to_start_is_retried_after_growing_pauses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="onstream.janus")
    janus = JanusProcess(tmp_path)
    with JanusSupervisor(janus):
        janus.binary = "janus-not-installed"  # every start fails from now on
        assert janus.pid is not None
        os.kill(janus.pid, signal.SIGKILL)
        wait_until(lambda: "starting it again in 2 s" in caplog.text, "a second, longer pause")
        assert "starting it again in 1 s" in caplog.text
        assert "did not start again" in caplog.text
        janus.binary = "janus"
        wait_until(lambda: answers(janus.url), "Janus running again")
