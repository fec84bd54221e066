"""The recording worker: turns each queued recording job into one recording of the session's
owner, exactly once.

It runs inside `onstream serve` beside the mail worker (unless `ONSTREAM_RECORDING_WORKER=0`),
and any number of them may share one database. One job at a time per worker: an encode keeps
the CPU busy for about the meeting's length, and a second one would only halve the speed of
both.

For each claimed job the worker composes the room's `.mjr` files into a `.webm` in a work
directory beside the recordings (renewing its lease every third of
`recording_lease_seconds` meanwhile), puts the file in the media store, then in ONE
transaction checks that the job is still its own and has no recording, adds the recording and
marks the job done. So:

* killed after that commit, the job is done and is never redone;
* killed before it, the lease runs out and another run redoes the whole job; a transaction
  that fails deletes the media it put. The one leftover is a SIGKILL between the put and the
  commit: that blob stays in the store with no row referring to it (unreachable; a sweep of
  keys no row names can remove it), the price of keeping the copy out of the transaction;
* stopped (`stop()`, a server shutdown), it kills the encoder and hands the job back at once.

The `.mjr` directory stays until the recording is committed, so any attempt can start over
from it, and stays after a failure, for the operator's `retry-job`; once the job is done it is
removed, since the composed recording holds everything in it and raw tracks of an hour's
meeting take hundreds of megabytes.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from onstream.background import Worker
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.errors import Deleted, Missing
from onstream.media.store import MediaSource, MediaStore, StoredMedia, file_chunks, put_source
from onstream.meetings import jobs
from onstream.meetings.compose import (
    Composition,
    Layout,
    NothingRecorded,
    StillRecording,
    compose,
    recorded_files,
)
from onstream.recordings import service as recordings
from onstream.recordings.models import NewRecording
from onstream.recordings.rules import TITLE_MAX
from onstream.storage.database import Connection, Database, transaction
from onstream.users import repository as accounts

log = logging.getLogger("onstream.recordings")

T = TypeVar("T")
OUTPUT_NAME = "recording.webm"
WORK_PREFIX = ".compose-"


class SessionGone(Exception):
    """The job's session (or its owner) was deleted: there is nobody to give a recording to."""


class Stopped(Exception):
    """The worker is stopping: the job goes back to the queue."""


class RecordingWorker(Worker):
    """Processes recording jobs until stopped; `wake()` makes it look at the queue at once."""

    label = "recording"

    def __init__(
        self,
        *,
        database: Database,
        store: MediaStore,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        layout: Layout | None = None,
    ) -> None:
        super().__init__(poll_seconds=settings.recording_poll_seconds, log=log)
        self._database = database
        self._store = store
        self._settings = settings
        self._clock = clock
        self._layout = layout or Layout()
        self._policy = jobs.RetryPolicy.from_settings(settings)
        self._lease = timedelta(seconds=settings.recording_lease_seconds)
        self._busy: asyncio.Task[Any] | None = None

    def stop(self) -> None:
        """Kill the encode in hand, give its job back, then return from `run`."""
        super().stop()
        if self._busy is not None:
            self._busy.cancel()

    async def round(self) -> bool:
        """One job; the next may be due at once when there was one."""
        return await self.process_due() > 0

    async def process_due(self) -> int:
        """Claim one due job and process it; how many were taken (0 or 1)."""
        async with transaction(self._database, write=True) as conn:
            claimed = await jobs.claim(
                conn, now=self._clock(), lease=self._lease, policy=self._policy, limit=1
            )
        for job in claimed:
            await self.process(job)
        return len(claimed)

    async def process(self, job: jobs.Claimed) -> None:
        """Turn one claimed job into its recording, or record why it could not be."""
        try:
            recording_id = await self._produce(job)
        except (SessionGone, NothingRecorded) as exc:
            await self._fail(job, str(exc), permanent=True)
        except StillRecording as exc:
            await self._postpone(job, str(exc))
        except jobs.NotHeld as exc:
            log.warning("%s; this attempt is dropped", exc)
        except Stopped:
            await self._release(job)
        except asyncio.CancelledError:
            await self._release(job)
            raise
        except Exception as exc:  # any other trouble is one failed attempt, shown to the operator
            log.warning("recording job %s failed: %s", job.id, exc, exc_info=True)
            await self._fail(job, str(exc) or type(exc).__name__, permanent=False)
        else:
            log.info("recording job %s made recording %s", job.id, recording_id)
            await asyncio.to_thread(shutil.rmtree, job.source_dir, ignore_errors=True)

    async def _produce(self, job: jobs.Claimed) -> int:
        """Compose, store, and record; the recording's id."""
        owner = await self._owner(job)
        work_dir = _work_dir(job)
        try:
            composition = await self._holding(job, self._compose(job, work_dir))
            name = f"session-{job.session_id}-recording.webm"
            chunks = file_chunks(composition.output)
            media = await put_source(self._store, MediaSource(name, None, chunks))
        finally:
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)
        return await self._record(job, composition, media, owner)

    async def _owner(self, job: jobs.Claimed) -> jobs.SessionOwner:
        """The session's owner and topic; checked, with the claim, before an hour of encoding
        is spent."""
        async with transaction(self._database, write=False) as conn:
            if not await jobs.holds(conn, job, lock=False):
                raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            owner = await jobs.session_owner(conn, job.session_id)
        if owner is None or owner.deleted:
            raise SessionGone(f"session {job.session_id} was deleted; no recording was made")
        return owner

    async def _compose(self, job: jobs.Claimed, work_dir: Path) -> Composition:
        """Compose the job's files into the work directory."""
        files = recorded_files(Path(job.source_dir))
        _remove_dead_attempts(job)
        tracks = work_dir / "tracks"
        await asyncio.to_thread(tracks.mkdir, parents=True)
        return await compose(files, work_dir / OUTPUT_NAME, work_dir=tracks, layout=self._layout)

    async def _holding(self, job: jobs.Claimed, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` while renewing the job's lease; cancelled when the lease is lost or the
        worker stops."""
        if self.stopping:
            work.close()
            raise Stopped("the worker is stopping")
        task = asyncio.create_task(work)
        self._busy = task
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self._lease.total_seconds() / 3)
                if not task.done() and not await self._renew(job):
                    raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            if task.cancelled():
                raise Stopped("the worker is stopping")
            return task.result()
        finally:
            self._busy = None
            if not task.done():
                task.cancel()
                await asyncio.wait({task})

    async def _renew(self, job: jobs.Claimed) -> bool:
        """Extend the lease; a database hiccup is logged and the work goes on (the lease has
        two more renewals to run before it expires, and the final check catches the rest)."""
        try:
            async with transaction(self._database, write=True) as conn:
                return await jobs.renew(conn, job, now=self._clock(), lease=self._lease)
        except DBAPIError as exc:
            log.warning("renewing the lease of recording job %s failed: %s", job.id, exc)
            return True

    async def _record(
        self,
        job: jobs.Claimed,
        composition: Composition,
        media: StoredMedia,
        owner: jobs.SessionOwner,
    ) -> int:
        """Add the recording and mark the job done, in one transaction, if the job is still
        this worker's and has no recording yet."""
        title = f"Recording of {owner.topic}"[:TITLE_MAX].strip()
        new = NewRecording(
            session_id=job.session_id,
            title=title,
            duration_ms=round(composition.duration * 1000),
        )
        rolled_back = True
        try:
            async with transaction(self._database, write=True) as conn:
                skipped = "\n".join(map(str, composition.skipped)) or None
                recording_id = await self._insert(conn, job, new, media, owner.login, skipped)
                rolled_back = False  # the commit's outcome is unknown until it returns
        except BaseException:
            if rolled_back:  # no row refers to the media: it is garbage
                await self._store.delete(media.key)
            raise
        return recording_id

    async def _insert(
        self,
        conn: Connection,
        job: jobs.Claimed,
        new: NewRecording,
        media: StoredMedia,
        login: str,
        skipped: str | None,
    ) -> int:
        if not await jobs.holds(conn, job):
            raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
        account = await accounts.account_by_login(conn, login)
        if account is None:
            raise SessionGone(f"the owner of session {job.session_id} was deleted")
        try:
            recording_id = await recordings.add(
                conn, account, new, media=media, base_url=self._settings.public_base_url
            )
        except (Deleted, Missing) as exc:
            raise SessionGone(f"{exc.message}; no recording was made") from exc
        finished = await jobs.finish(
            conn, job, recording_id=recording_id, now=self._clock(), skipped=skipped
        )
        if not finished:
            raise jobs.NotHeld(f"recording job {job.id} changed while it was recorded")
        return recording_id

    async def _fail(self, job: jobs.Claimed, error: str, *, permanent: bool) -> None:
        try:
            async with transaction(self._database, write=True) as conn:
                retry_at = await jobs.fail(
                    conn,
                    job,
                    error=error,
                    now=self._clock(),
                    policy=self._policy,
                    permanent=permanent,
                )
        except jobs.NotHeld as exc:
            log.warning("%s; its failure (%s) is not recorded", exc, error)
            return
        if retry_at is None:
            log.error("recording job %s failed for good: %s", job.id, error)
        else:
            log.info("recording job %s failed (%s); retrying at %s", job.id, error, retry_at)

    async def _postpone(self, job: jobs.Claimed, reason: str) -> None:
        """The meeting has just ended and Janus is closing its files: look again shortly."""
        until = self._clock() + timedelta(seconds=self._settings.recording_settle_seconds)
        try:
            async with transaction(self._database, write=True) as conn:
                await jobs.postpone(conn, job, until=until, reason=reason)
        except jobs.NotHeld as exc:
            log.warning("%s; it is not postponed", exc)
            return
        log.info("recording job %s waits until %s: %s", job.id, until, reason)

    async def _release(self, job: jobs.Claimed) -> None:
        async with transaction(self._database, write=True) as conn:
            await jobs.release(conn, job, now=self._clock())
        log.info("recording job %s handed back: the worker is stopping", job.id)


def _work_dir(job: jobs.Claimed) -> Path:
    """Where one attempt composes: beside the recordings (the same disk, which has room for
    them), named after the job and attempt so that a later attempt finds a dead one's."""
    return Path(job.source_dir).parent / f"{WORK_PREFIX}{job.id}-{job.attempt}"


def _remove_dead_attempts(job: jobs.Claimed) -> None:
    """Remove the work directories of this job's earlier attempts (a killed worker's)."""
    for old in Path(job.source_dir).parent.glob(f"{WORK_PREFIX}{job.id}-*"):
        attempt = old.name.rsplit("-", 1)[-1]
        if attempt.isdigit() and int(attempt) < job.attempt:
            shutil.rmtree(old, ignore_errors=True)
