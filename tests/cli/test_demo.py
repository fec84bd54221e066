"""`onstream serve --demo` gives a working meeting room on a fresh machine: it starts a Janus
child from a generated configuration, prints an open demo meeting, and stops Janus again; a
Janus that dies comes back on the same port (kept in `./janus/port` for the next run too), and
the rooms opened before come back with it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.support.server import STARTUP_SECONDS, free_port
from tests.support.waiting import wait_until


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


def janus_pids(workdir: Path) -> list[int]:
    """The process ids of `janus_children`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"-F {workdir / 'janus'} " in cmdline:
            found.append(int(proc.name))
    return found


def start_demo(workdir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """`onstream serve --demo` in `workdir`, once it printed its links; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    env["ONSTREAM_DATABASE_URL"] = f"sqlite:///{workdir / 'demo.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "onstream", "serve", "--demo", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("user passwd demo" in line or "no demo account" in line for line in lines):
        assert time.monotonic() < deadline, "".join(lines)
        lines.append(server.stdout.readline())
    return server, "".join(lines)


def stop_demo(server: subprocess.Popen[str], workdir: Path) -> None:
    """SIGTERM, as systemd and `kill` stop it; Janus ends with it."""
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=30)
    wait_until(lambda: not janus_children(workdir), "Janus to end with the demo", seconds=15)


def get_when_up(client: httpx.Client, url: str) -> httpx.Response:
    """GET once the server listens."""

    def answer() -> httpx.Response | None:
        try:
            return client.get(url)
        except httpx.TransportError:
            return None

    return wait_until(answer, f"the server to answer {url}", seconds=STARTUP_SECONDS)


def janus_answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/janus/info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


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
            lobby = get_when_up(client, host.group(1))
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
    wait_until(lambda: not janus_children(tmp_path), "Janus to end with the demo", seconds=15)


def test_the_demo_janus_comes_back_on_its_port_and_the_room_with_it(tmp_path: Path) -> None:
    port = free_port()
    server, output = start_demo(tmp_path, port)
    try:
        host = re.search(r"(http://\S+/demo/host/\S+)", output)
        assert host is not None, output
        janus_port = int((tmp_path / "janus" / "port").read_text())
        assert janus_answers(janus_port)
        with httpx.Client(timeout=30) as client:
            assert get_when_up(client, host.group(1)).status_code == 200
            entered = client.post(host.group(1), follow_redirects=False)
            room = f"http://127.0.0.1:{port}{entered.headers['location']}"
            first = client.get(f"{room}/join").json()

            [pid] = janus_pids(tmp_path)
            os.kill(pid, signal.SIGKILL)
            wait_until(
                lambda: janus_pids(tmp_path) not in ([], [pid]) and janus_answers(janus_port),
                "Janus restarted on its port",
            )
            again = client.get(f"{room}/join")
            assert again.status_code == 200, again.text
            assert again.json()["room"] == first["room"]
    finally:
        stop_demo(server, tmp_path)

    second, _ = start_demo(tmp_path, port)
    try:
        assert int((tmp_path / "janus" / "port").read_text()) == janus_port
        assert janus_answers(janus_port)
        with httpx.Client(timeout=30) as client:
            joined = get_when_up(client, f"{room}/join")
            assert joined.status_code == 200, joined.text  # an earlier run's room works
            assert joined.json()["room"] == first["room"]
    finally:
        stop_demo(second, tmp_path)


def test_every_start_prints_the_links_and_reopens_the_ended_demo_meeting(tmp_path: Path) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    first, output = start_demo(tmp_path, port)
    try:
        password = re.search(r"password: (\S+)", output)
        host = re.search(r"(http://\S+/demo/host/\S+)", output)
        assert password is not None, output
        assert host is not None, output
        with httpx.Client(timeout=30) as client:
            assert "The meeting room is open." in get_when_up(client, host.group(1)).text
            entered = client.post(host.group(1), follow_redirects=False)
            room = f"{root}{entered.headers['location']}"
            assert client.get(f"{room}/join").status_code == 200  # the first join opens it
            assert client.post(f"{room}/moderate", json={"action": "end"}).status_code == 200
            assert "This meeting has ended" in client.get(host.group(1)).text
    finally:
        stop_demo(first, tmp_path)

    second, again = start_demo(tmp_path, port)
    try:
        for line in (
            f"  {host.group(1)}\n",
            f"  {root}/demo/demo-meeting\n",
            f"  {root}/account\n",
            f"  {root}/docs\n",
            f"  {root}/docs/guide\n",
            "  onstream user passwd demo\n",
        ):
            assert line in again, again
        assert password.group(1) not in again  # printed once, when it was made
        with httpx.Client(timeout=30) as client:
            lobby = get_when_up(client, host.group(1))
            assert "The meeting room is open." in lobby.text  # the same link, open again
            entered = client.post(host.group(1), follow_redirects=False)
            assert entered.status_code == 303
            assert client.get(f"{root}{entered.headers['location']}").status_code == 200
            listed = client.get(
                f"{root}/api/2/demo/sessions/format/json", auth=("demo", password.group(1))
            )
            assert [s["topic"] for s in listed.json()["sessions"]] == ["Demo meeting"]
    finally:
        stop_demo(second, tmp_path)
