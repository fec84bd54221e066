"""`onstream serve --demo` gives a working meeting room on a fresh machine: it starts a Janus
child from a generated configuration, prints an open demo meeting, and stops Janus again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.support.server import free_port


def janus_children(workdir: Path) -> list[str]:
    """Running Janus processes configured in this demo's folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "janus" in cmdline and str(workdir / "janus") in cmdline:
            found.append(cmdline)
    return found


def test_demo_serves_an_open_meeting_room_with_its_own_janus(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    env["ONSTREAM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "onstream", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("/demo/demo-meeting" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            lines.append(server.stdout.readline())
        output = "".join(lines)
        host = re.search(r"(http://\S+/demo/host/\S+)", output)
        assert host is not None, output
        assert f"http://127.0.0.1:{port}/demo/demo-meeting" in output
        assert janus_children(tmp_path), "Janus runs beside the demo"
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    lobby = client.get(host.group(1))
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            assert lobby.status_code == 200
            assert "The meeting room is open." in lobby.text
            entered = client.post(host.group(1), follow_redirects=False)
            assert entered.status_code == 303
            room = client.get(f"http://127.0.0.1:{port}{entered.headers['location']}")
            assert room.status_code == 200, room.text
            assert '"moderator": true' in room.text
    finally:
        server.send_signal(signal.SIGTERM)  # as systemd and `kill` stop it
        server.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while janus_children(tmp_path):
        assert time.monotonic() < deadline, "Janus outlived the demo"
        time.sleep(0.1)
