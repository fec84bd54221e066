"""`onstream phone` refuses settings it cannot run with, before it starts anything, and
says in one line when it cannot listen."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def onstream_phone(folder: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    env["ONSTREAM_DATABASE_URL"] = f"sqlite:///{folder / 'onstream.db'}"
    env["ONSTREAM_JANUS_URLS"] = "http://127.0.0.1:9/janus"
    env["ONSTREAM_SIP_ADDRESS"] = "127.0.0.1:5090"
    env["ONSTREAM_PHONE_PROMPTS_DIR"] = str(folder / "prompts")
    env.update({f"ONSTREAM_{name.upper()}": value for name, value in variables.items()})
    return subprocess.run(
        [sys.executable, "-m", "onstream", "phone", *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_several_processes_with_a_trunk_are_refused(tmp_path: Path) -> None:
    result = onstream_phone(tmp_path, "--processes", "2", sip_trunk_uri="sip:sip.provider.example")
    assert result.returncode == 1
    assert "--processes does not work with ONSTREAM_SIP_TRUNK_URI" in result.stderr
    assert not (tmp_path / "onstream.db").exists()


def test_no_processes_is_refused(tmp_path: Path) -> None:
    result = onstream_phone(tmp_path, "--processes", "0")
    assert result.returncode == 1
    assert result.stderr == "onstream: --processes must be 1 or more\n"
    assert not (tmp_path / "onstream.db").exists()


def test_ports_past_the_last_are_refused(tmp_path: Path) -> None:
    result = onstream_phone(tmp_path, "--processes", "3", sip_address="127.0.0.1:65534")
    assert result.returncode == 1
    assert result.stderr == "onstream: 3 ports from 65534 go past 65535\n"
    assert not (tmp_path / "onstream.db").exists()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback UDP port something else holds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def test_a_taken_port_is_said_in_one_line(tmp_path: Path, taken_port: int) -> None:
    result = onstream_phone(tmp_path, sip_address=f"127.0.0.1:{taken_port}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"onstream: the phone bridge cannot listen on 127.0.0.1:{taken_port}: "
        "Address already in use"
    )


def test_processes_stop_together_when_one_cannot_start(tmp_path: Path, taken_port: int) -> None:
    result = onstream_phone(tmp_path, "--processes", "2", sip_address=f"127.0.0.1:{taken_port}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"onstream: the bridge on 127.0.0.1:{taken_port} exited with status 1 as it started"
    )
