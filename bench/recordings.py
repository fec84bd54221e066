"""How soon a recorded meeting plays, and how soon its one file can be downloaded.

    .venv/bin/python -m bench.recordings [--minutes 30] [--people 4]

Builds a meeting of `--people` people, each with a camera (VP8) and a microphone (Opus)
track of `--minutes`, joining a second apart, from real Janus recordings looped to length
(`bench.mjr`), then runs the recording worker on it against a fresh SQLite database and a
local media store, as `onstream serve` does after a meeting ends, and prints:

- time to playable: from the job's queueing to the recording being listed with its tracks
  (what the playback page plays), the remux of every track included;
- time to composed: until the recording's one file (the download) is stored;
- the composition's real-time factor: meeting seconds per second of composing,

and writes them to bench/results/recordings.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench import mjr
from bench.config import RESULTS
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.media.store import LocalMediaStore
from onstream.meetings import jobs
from onstream.meetings.compose import Layout
from onstream.meetings.recorder import RecordingWorker
from onstream.recordings import repository
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository as users
from onstream.users.service import add_account

RESULT_PATH = RESULTS / "recordings.json"

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "recording"
ROOM = "videoroom-1234"


def build_meeting(directory: Path, *, minutes: float, people: int) -> None:
    """`people` people's audio and video `.mjr` tracks of `minutes` each in `directory`."""
    sources = sorted(FIXTURE.glob("*.mjr"))
    audio = [p for p in sources if "-audio-" in p.name]
    video = [p for p in sources if "-video-" in p.name]
    directory.mkdir(parents=True)
    for person in range(people):
        shift = person * 1_000_000
        user = f"{9000 + person}"
        for kind, pool, mid in (("audio", audio, 0), ("video", video, 1)):
            name = f"{ROOM}-user-{user}-{1700000000000000 + shift}-{kind}-{mid}.mjr"
            mjr.loop(
                pool[person % len(pool)],
                directory / name,
                seconds=minutes * 60,
                shift_us=shift,
                ssrc=0x10000 + person * 2 + mid,
            )


async def measure(root: Path, url: str, layout: Layout) -> dict[str, float]:
    source = root / "recordings" / "room"
    database = open_database(url)
    async with transaction(database, write=True) as conn:
        await add_account(conn, login="bench", email="b@example.com", password="bench-pass-1")  # noqa: S106
        owner = await users.account_by_login(conn, "bench")
        assert owner is not None
        session_id = await sessions.create(
            conn, owner, SessionInput(topic="Bench", duration=30, start_time="2030-01-15 10:00:00")
        )
    settings = Settings(
        database_url=url,
        media_dir=str(root / "media"),
        recording_poll_seconds=0.2,
        recording_lease_seconds=600,
    )
    store = LocalMediaStore(root / "media")
    worker = RecordingWorker(database=database, store=store, settings=settings, layout=layout)
    async with transaction(database, write=True) as conn:
        await jobs.enqueue(conn, session_id=session_id, source_dir=str(source), now=utcnow())
    queued = time.monotonic()
    cpu_start = _tools_cpu()
    running = asyncio.create_task(worker.run())
    playable = composed = None
    try:
        while composed is None:
            await asyncio.sleep(0.1)
            async with transaction(database, write=False) as conn:
                listed = await repository.page(
                    conn, owner_id=owner.id, session_id=None, count=1, offset=0, descending=False
                )
                if listed and playable is None:
                    playable = time.monotonic() - queued
                    playable_cpu = _tools_cpu() - cpu_start
                    tracks = await repository.tracks_of(conn, listed[0].id)
                    print(f"playable after {playable:.1f} s with {len(tracks)} tracks")
                if listed and listed[0].media_key is not None:
                    composed = time.monotonic() - queued
                    composed_cpu = _tools_cpu() - cpu_start
                    meeting = listed[0].duration_ms / 1000
            if running.done():
                running.result()
                raise SystemExit("the worker stopped")
    finally:
        worker.stop()
        await running
        await database.dispose()
    assert playable is not None
    compose_seconds = composed - playable
    return {
        "meeting_seconds": meeting,
        "playable_seconds": playable,
        "composed_seconds": composed,
        "compose_seconds": compose_seconds,
        "real_time_factor": meeting / compose_seconds,
        "playable_cpu": playable_cpu,
        "compose_cpu": composed_cpu - playable_cpu,
    }


def _tools_cpu() -> float:
    """CPU seconds used by the tools this process ran (janus-pp-rec, ffmpeg, ffprobe)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--people", type=int, default=4)
    parser.add_argument(
        "--tile", default=f"{Layout().tile_width}x{Layout().tile_height}", help="grid tile size"
    )
    parser.add_argument("--fps", type=int, default=Layout().fps)
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.tile.split("x"))
    layout = Layout(tile_width=width, tile_height=height, fps=args.fps, threads=os.cpu_count() or 2)
    with tempfile.TemporaryDirectory(prefix="bench-recordings-") as tmp:
        root = Path(tmp)
        started = time.monotonic()
        build_meeting(root / "recordings" / "room", minutes=args.minutes, people=args.people)
        built = time.monotonic() - started
        print(f"built {args.people * 2} tracks of {args.minutes} min in {built:.1f} s")
        url = f"sqlite+aiosqlite:///{root / 'bench.db'}"
        upgrade(url)
        figures = asyncio.run(measure(root, url, layout))
    print(
        f"{args.people} people, {figures['meeting_seconds'] / 60:.1f} min meeting,"
        f" tiles {args.tile}"
        f" at {args.fps} fps: playable after {figures['playable_seconds']:.1f} s, composed after"
        f" {figures['composed_seconds']:.0f} s (composing {figures['compose_seconds']:.0f} s,"
        f" {figures['real_time_factor']:.2f}x real time); CPU of the tools: remux"
        f" {figures['playable_cpu']:.1f} s, composition {figures['compose_cpu']:.0f} s"
        f" ({figures['meeting_seconds'] / figures['compose_cpu']:.1f} s of meeting per CPU s)"
    )
    print(f"load average while measuring: {os.getloadavg()}")
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_bytes(
        orjson.dumps(
            {"people": args.people, "minutes": args.minutes, "tile": args.tile, "fps": args.fps,
             "load_average": [round(x, 1) for x in os.getloadavg()], **figures},
            option=orjson.OPT_INDENT_2,
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
