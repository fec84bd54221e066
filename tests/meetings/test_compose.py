"""Composing a real VideoRoom recording, and how the tools' failures surface."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.waiting import wait_until

from onstream.meetings.compose import (
    CompositionFailed,
    NothingRecorded,
    StillRecording,
    compose,
    grid,
    recorded_files,
    run_tool,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "recording"
WAIT_SECONDS = 10.0


def extended_header(mjr: Path) -> dict[str, Any]:
    """`janus-pp-rec -e`: the header plus the track's duration, read by Janus's own tool."""
    out = subprocess.run(
        ["janus-pp-rec", "-e", str(mjr)], capture_output=True, text=True, check=True, timeout=30
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def meeting_seconds(files: list[Path]) -> float:
    """From anyone's first packet to anyone's last, by the recordings' headers."""
    headers = [extended_header(f) for f in files]
    start = min(h["u"] for h in headers)
    end = max(h["u"] + h["extended"]["duration"] * 1e6 for h in headers)
    return float(end - start) / 1e6


def streams(path: Path) -> list[dict[str, Any]]:
    argv = ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30)
    return list(json.loads(out.stdout)["streams"])


def probe_seconds(path: Path) -> float:
    argv = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    out = subprocess.run([*argv, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.mark.anyio
async def test_two_participants_become_one_file_as_long_as_the_meeting(tmp_path: Path) -> None:
    files = recorded_files(FIXTURE)
    assert len(files) == 4
    output = tmp_path / "meeting.webm"
    (tmp_path / "tracks").mkdir()

    result = await compose(files, output, work_dir=tmp_path / "tracks")

    expected = meeting_seconds(files)
    assert abs(probe_seconds(output) - expected) < 2, (probe_seconds(output), expected)
    assert abs(result.duration - expected) < 2
    found = streams(output)
    video = [s for s in found if s["codec_type"] == "video"]
    audio = [s for s in found if s["codec_type"] == "audio"]
    assert len(video) == 1
    assert len(audio) == 1
    assert video[0]["codec_name"] == "vp8"
    assert audio[0]["codec_name"] == "opus"
    assert video[0]["width"] > video[0]["height"], "two tiles side by side"
    assert len(result.participants) == 2


@pytest.mark.anyio
async def test_a_directory_without_tracks_is_nothing_recorded(tmp_path: Path) -> None:
    with pytest.raises(NothingRecorded):
        await compose(recorded_files(tmp_path), tmp_path / "out.webm", work_dir=tmp_path)


@pytest.mark.anyio
async def test_a_corrupt_recording_alone_is_nothing_recorded_naming_the_file(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "videoroom-1-user-2-3-audio-0.mjr"
    bad.write_bytes(os.urandom(5000))
    with pytest.raises(NothingRecorded, match=f"left out: {bad.name}: it is empty or not a"):
        await compose([bad], tmp_path / "out.webm", work_dir=tmp_path)


@pytest.mark.anyio
async def test_empty_and_unreadable_tracks_are_left_out_and_the_rest_composed(
    tmp_path: Path,
) -> None:
    source = tmp_path / "room"
    shutil.copytree(FIXTURE, source)
    empty = source / "videoroom-1-user-99-1796175379280282-video-1.mjr"
    empty.write_bytes(b"MJR00002")  # what a publisher whose video died leaves: 8 bytes
    noise = source / "videoroom-1-user-98-1796175379280282-audio-0.mjr"
    noise.write_bytes(os.urandom(5000))
    (tmp_path / "tracks").mkdir()

    result = await compose(
        recorded_files(source), tmp_path / "meeting.webm", work_dir=tmp_path / "tracks"
    )

    assert len(result.participants) == 2, "the two good publishers are both in it"
    assert sorted(s.name for s in result.skipped) == sorted([empty.name, noise.name])
    assert all("not a readable Janus recording" in s.reason for s in result.skipped)
    assert abs(result.duration - meeting_seconds(recorded_files(FIXTURE))) < 2


def test_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CompositionFailed, match="does not exist"):
        recorded_files(tmp_path / "gone")


def test_files_janus_is_still_writing_wait(tmp_path: Path) -> None:
    partial = tmp_path / "videoroom-1-user-2-3-audio-0.mjr.tmp"
    partial.write_bytes(b"")
    with pytest.raises(StillRecording):
        recorded_files(tmp_path)
    # a partial file nobody touched for long was left by a Janus that died: it is used
    assert recorded_files(tmp_path, now=time.time() + 3600) == [partial]


def test_tiles_fill_a_row_then_a_square() -> None:
    assert [grid(n) for n in (1, 2, 3, 4, 5, 9, 10)] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (2, 2),
        (3, 2),
        (3, 3),
        (4, 3),
    ]


@pytest.mark.anyio
async def test_a_failing_tool_reports_its_last_lines() -> None:
    script = "for i in $(seq 1 40); do echo line $i >&2; done; exit 3"
    with pytest.raises(CompositionFailed) as failure:
        await run_tool(["sh", "-c", script], seconds=30)
    message = str(failure.value)
    assert message.startswith("sh exited with status 3:")
    assert message.endswith("line 40")
    assert "line 20" not in message


def started_pid(pid_file: Path) -> int:
    def written() -> str:
        return pid_file.read_text().strip() if pid_file.exists() else ""

    return int(wait_until(written, "the child to start", WAIT_SECONDS))


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.anyio
async def test_a_tool_that_runs_over_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child's pid is taken from the start itself: a busy machine may stop it before it
    # has run a line of its own.
    started: list[asyncio.subprocess.Process] = []
    start = asyncio.create_subprocess_exec

    async def recorded(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append(process := await start(*args, **kwargs))
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recorded)
    with pytest.raises(CompositionFailed, match="ran longer than 0 s and was stopped"):
        await run_tool(["sleep", "60"], seconds=0.3)
    (process,) = started
    assert process.returncode is not None
    assert is_gone(process.pid)


@pytest.mark.anyio
async def test_a_cancelled_caller_leaves_no_child_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    argv = ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"]
    task = asyncio.create_task(run_tool(argv, seconds=60))
    pid = await asyncio.to_thread(started_pid, pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert is_gone(pid)
