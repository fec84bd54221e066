"""Helpers for recordings and media: the operator's `recording add`, and tiny media files."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path
from typing import Any

import httpx

from tests.support.api import ok, rest
from tests.support.server import Server


def login_of(client: httpx.Client) -> str:
    """The login a client from `make_account` is rooted at (`.../api/2/{login}/`)."""
    return str(client.base_url).rstrip("/").rsplit("/", 1)[-1]


def new_session(client: httpx.Client, **fields: Any) -> int:
    """A session of the client's account; returns its id."""
    body = {"topic": "Recorded call", "duration": 30, "start_time": "2030-01-15 10:00:00"}
    return int(ok(rest(client, "PUT", "session", {**body, **fields}), 201)["id"])


def add_recording(
    server: Server,
    client: httpx.Client,
    session_id: int,
    *,
    title: str = "My first recording",
    duration_ms: int = 25880,
    media: Path | None = None,
    description: str | None = None,
    extra: tuple[str, ...] = (),
) -> int:
    """`onstream recording add ...`; returns the id it printed."""
    args = ["recording", "add", "--owner", login_of(client), "--session", str(session_id)]
    args += ["--title", title, "--duration-ms", str(duration_ms), *extra]
    if media is not None:
        args += ["--media", str(media)]
    if description is not None:
        args += ["--description", description]
    result = server.cli(*args)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


def get_recording(client: httpx.Client, recording_id: int) -> dict[str, Any]:
    """GET recording/id/N as JSON: the one recording."""
    body = ok(client.get(f"recording/id/{recording_id}/format/json"))
    assert len(body["recordings"]) == 1
    return dict(body["recordings"][0])


def wav_bytes(seconds: float = 1.0, *, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV of a 440 Hz tone, written with the standard library."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def media_files(server: Server) -> set[Path]:
    """Every blob in the server's local media store."""
    root = server.workdir / "media"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()
