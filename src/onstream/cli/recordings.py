"""`onstream recording add`, and the jobs that turn recorded meetings into recordings:
`recording jobs` (what is queued, done, failed) and `recording retry-job`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onstream.cli.common import in_transaction, read_only, run_async
from onstream.config import load_settings
from onstream.errors import Invalid, Missing

if TYPE_CHECKING:
    from onstream.storage.database import Connection


def add_parser(sub: Any) -> None:
    """Register `recording` and its subcommands."""
    recording = sub.add_parser("recording", help="manage recordings")
    rec_sub = recording.add_subparsers(dest="recording_command", required=True, metavar="COMMAND")
    add = rec_sub.add_parser(
        "add", help="add a recording of a session (prints its id)", description=ADD_HELP
    )
    add.add_argument("--owner", required=True, metavar="LOGIN", help="the session's account")
    add.add_argument("--session", required=True, type=int, metavar="ID", help="the session id")
    add.add_argument("--title", required=True, metavar="T")
    add.add_argument(
        "--duration-ms", type=int, metavar="N", help="its length (default: measured in --media)"
    )
    add.add_argument("--media", type=Path, metavar="FILE", help="audio or video file to copy")
    add.add_argument("--description", metavar="D")
    add.add_argument(
        "--content-type", metavar="TYPE", help="of the media (default: from its file name)"
    )
    add.set_defaults(run=run_add)
    listing = rec_sub.add_parser(
        "jobs", help="show the jobs that turn recorded meetings into recordings"
    )
    listing.add_argument("--status", choices=("pending", "done", "failed"))
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(run=run_jobs)
    retry = rec_sub.add_parser(
        "retry-job", help="queue a failed recording job for one more attempt now"
    )
    retry.add_argument("job_id", type=int, metavar="ID")
    retry.set_defaults(run=run_retry_job)


ADD_HELP = (
    "Add a recording made in a session. The media file is copied into the media store "
    "(ONSTREAM_MEDIA_URL, else ONSTREAM_MEDIA_DIR), so run this with the server's settings: "
    "the same bucket, or the same absolute directory. The recording inherits the session's "
    "password."
)


def run_add(args: argparse.Namespace) -> int:
    """Add the recording and print its id alone, so scripts can capture it.

    The media goes into the store before the database transaction and out again when that
    fails, so the write lock is never held while a large file is copied."""
    from onstream.media.selection import store_for
    from onstream.media.store import MediaSource, file_chunks, put_source
    from onstream.recordings import service
    from onstream.recordings.models import NewRecording
    from onstream.users import repository

    settings = load_settings()
    media_path: Path | None = args.media
    if media_path is not None and not media_path.is_file():
        raise Invalid(f"media file '{media_path}' does not exist or is not a file")
    duration_ms = args.duration_ms
    if media_path is not None:
        from onstream.media.probe import probe

        measured = probe(media_path)  # refuses anything that is not audio or video
        duration_ms = measured.duration_ms if duration_ms is None else duration_ms
    if duration_ms is None:
        raise Invalid("give --duration-ms, or --media to measure it")
    store = store_for(settings)
    media = None
    if media_path is not None:
        source = MediaSource(
            name=media_path.name, content_type=args.content_type, chunks=file_chunks(media_path)
        )
        media = run_async(put_source(store, source))

    async def add(conn: Connection) -> int:
        owner = await repository.account_by_login(conn, args.owner)
        if owner is None:
            raise Missing(f"there is no account with login '{args.owner}'")
        new = NewRecording(
            session_id=args.session,
            title=args.title,
            duration_ms=duration_ms,
            description=args.description,
        )
        return await service.add(conn, owner, new, media=media, base_url=settings.public_base_url)

    try:
        recording_id = in_transaction(settings.database_url, add)
    except BaseException:
        if media is not None:
            run_async(store.delete(media.key))
        raise
    print(recording_id)
    return 0


def run_jobs(args: argparse.Namespace) -> int:
    """Print the newest recording jobs, each with its last error; reads without migrating."""
    from onstream.meetings import jobs

    async def show(conn: Connection) -> list[jobs.Job]:
        return await jobs.list_jobs(conn, status=args.status, limit=args.limit)

    for job in read_only(load_settings().database_url, show):
        line = f"#{job.id} {job.status:<7} session {job.session_id}  attempts {job.attempts}"
        if job.recording_id is not None:
            line += f"  recording {job.recording_id}"
        elif job.status == "pending":
            line += f"  next try {job.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
        print(f"{line}\n    {job.source_dir}")
        if job.last_error:
            print("    last error: " + job.last_error.replace("\n", "\n        "))
        if job.skipped:
            print("    left out: " + job.skipped.replace("\n", "\n        "))
    return 0


def run_retry_job(args: argparse.Namespace) -> int:
    """Queue the job for one more attempt now; a running server's worker takes it at its
    next poll (`ONSTREAM_RECORDING_POLL_SECONDS`)."""
    from onstream.clock import utcnow
    from onstream.meetings import jobs

    async def retry(conn: Connection) -> jobs.Job:
        return await jobs.retry(conn, args.job_id, now=utcnow())

    job = in_transaction(load_settings().database_url, retry)
    print(f"#{job.id} {job.status}, next try {job.next_attempt_at:%Y-%m-%d %H:%M:%S}Z")
    return 0
