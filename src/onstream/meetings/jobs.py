"""The queue of recording jobs: one row per recorded room, from the meeting's end until its
recording is complete (`done`) or the operator must look at it (`failed`).

A job has two steps. The first (`recording_id` null) remuxes the tracks and adds the
recording, playable from them, in seconds: `playable` sets `recording_id` and hands the job
back, due at once, with its attempts counted afresh. The second (`recording_id` set) composes
the one file for download, which takes minutes, and `finish` marks the job done. `claim`
takes either step, or one of them (`composing`), so a worker busy with a long composition
still makes the next meeting playable at once.

A job is queued in the transaction that ends the room, once per recording directory (a
second end of the same room finds the row and adds nothing). Workers claim due jobs with a
lease, as the mail outbox does: on PostgreSQL the rows are selected `FOR UPDATE SKIP LOCKED`,
so concurrent workers take different jobs without waiting; on SQLite the claim runs in a
write transaction (BEGIN IMMEDIATE), which serializes claims.

Every claim adds one to `attempts`, and the claimed attempt number is the holder's token:
renewing, finishing, failing or releasing a job only touches the row while its attempts are
still the holder's, its lease is set and it is pending. A worker that died leaves an expired
lease; the next claim records that attempt as failed ("did not finish") and retries it after
the back-off, so a job that kills its worker every time is given up like any other failure.

A job whose files Janus is still writing (claimed the moment its meeting ended) is postponed:
due again a few seconds later, with its attempt given back, so the wait is neither counted
nor backed off.

Failures are retried with exponential back-off until `recording_give_up_seconds` after the
job was queued; then the job is failed with the reason in `last_error`. The operator's
`onstream recording retry-job` queues it for one more attempt now, and so does the session's
owner from the account center, which lists the account's own jobs (`jobs_of_account`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update

from onstream.config import Settings
from onstream.errors import Invalid, Missing
from onstream.meetings.tables import recording_jobs
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.storage.upsert import insert_or_ignore
from onstream.users.tables import users

PENDING, DONE, FAILED = "pending", "done", "failed"
STATUSES = (PENDING, DONE, FAILED)
ERROR_CHARS = 4000
"""`last_error` keeps the tool's last lines; a few thousand characters hold a dozen of them."""
OWNER_REASONS = ("no audio or video was recorded", "the recorded tracks hold no playable media")
"""The failures written for people (`compose.NothingRecorded`); any other `last_error` is a
tool's or Python's text, which stays with the operator."""
OTHER_REASON = "the recording could not be made; the operator has the details"

_jobs = recording_jobs.c


class NotHeld(Exception):
    """The claim no longer holds the job: its lease ran out and another worker took it over,
    or the operator changed it. The claimant's attempt is dropped."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job a worker now holds the lease on."""

    id: int
    session_id: int
    source_dir: str
    attempt: int
    """The job's `attempts` after this claim: the holder's token."""
    created_at: datetime
    recording_id: int | None = None
    """Set: the recording is playable, and this claim composes its file."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed job is tried again: after `first` seconds, doubling up to `longest`,
    while that is within `give_up` seconds of the job's creation."""

    first: float
    longest: float
    give_up: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy the configuration sets (`ONSTREAM_RECORDING_RETRY_SECONDS`, ...)."""
        return cls(
            first=settings.recording_retry_seconds,
            longest=settings.recording_retry_max_seconds,
            give_up=settings.recording_give_up_seconds,
        )

    def next_attempt(self, *, created_at: datetime, attempt: int, now: datetime) -> datetime | None:
        """When to try again after failed attempt number `attempt`; None: give up."""
        delay = min(self.first * 2 ** max(attempt - 1, 0), self.longest)
        at = now + timedelta(seconds=delay)
        return at if at <= created_at + timedelta(seconds=self.give_up) else None


@dataclass(frozen=True, slots=True)
class Job:
    """One row of `recording_jobs`, for the operator's view."""

    id: int
    session_id: int
    source_dir: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    skipped: str | None
    """The tracks a finished job left out, one per line with the reason."""
    recording_id: int | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionOwner:
    """What a job needs of its session: whose recording it becomes, and its title."""

    login: str
    topic: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class OwnJob:
    """A recording job as its session's owner sees it in the account center."""

    job: Job
    topic: str

    @property
    def reason(self) -> str:
        """Why the job failed, in words fit for the owner (never a tool's or Python's text)."""
        error = self.job.last_error or ""
        return next((r for r in OWNER_REASONS if error.startswith(r)), OTHER_REASON)


async def enqueue(conn: Connection, *, session_id: int, source_dir: str, now: datetime) -> None:
    """Queue the recording in `source_dir`; nothing happens when it is queued already."""
    values = {
        "session_id": session_id,
        "source_dir": source_dir,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    await insert_or_ignore(conn, recording_jobs, values, conflict=("source_dir",))


async def claim(
    conn: Connection,
    *,
    now: datetime,
    lease: timedelta,
    policy: RetryPolicy,
    limit: int = 1,
    composing: bool | None = None,
) -> list[Claimed]:
    """Take up to `limit` due jobs (inside a write transaction), after recording the attempts
    whose worker died (their lease ran out) as failed. `composing` False takes only jobs
    whose recording is not playable yet, True only those whose file is still to compose."""
    await _reap(conn, now=now, policy=policy)
    due = and_(_jobs.status == PENDING, _jobs.next_attempt_at <= now, _jobs.lease_until.is_(None))
    if composing is not None:
        step = _jobs.recording_id.is_not(None) if composing else _jobs.recording_id.is_(None)
        due = and_(due, step)
    query = select(_jobs.id).where(due).order_by(_jobs.next_attempt_at, _jobs.id).limit(limit)
    ids = list((await conn.execute(_skip_locked(conn, query))).scalars())
    if not ids:
        return []
    rows = await conn.execute(
        update(recording_jobs)
        .where(_jobs.id.in_(ids), due)
        .values(attempts=_jobs.attempts + 1, lease_until=now + lease)
        .returning(
            _jobs.id,
            _jobs.session_id,
            _jobs.source_dir,
            _jobs.attempts,
            _jobs.created_at,
            _jobs.recording_id,
        )
    )
    return sorted(
        (
            Claimed(r.id, r.session_id, r.source_dir, r.attempts, r.created_at, r.recording_id)
            for r in rows
        ),
        key=lambda job: job.id,
    )


async def _reap(conn: Connection, *, now: datetime, policy: RetryPolicy) -> None:
    """Expired leases belong to workers that were killed (a stopped worker releases its job):
    each counts as a failed attempt."""
    query = select(_jobs.id, _jobs.attempts, _jobs.created_at).where(
        _jobs.status == PENDING, _jobs.lease_until < now
    )
    for row in (await conn.execute(_skip_locked(conn, query))).all():
        error = f"attempt {row.attempts} did not finish: its worker was killed or lost its lease"
        values, _ = _failure(
            attempt=row.attempts, created_at=row.created_at, error=error, now=now, policy=policy
        )
        await conn.execute(
            update(recording_jobs).where(_jobs.id == row.id, _jobs.lease_until < now).values(values)
        )


async def renew(conn: Connection, job: Claimed, *, now: datetime, lease: timedelta) -> bool:
    """Extend the lease of a job still being worked on; False when it is no longer held."""
    result = await conn.execute(
        update(recording_jobs).where(_held(job)).values(lease_until=now + lease)
    )
    return result.rowcount == 1


async def holds(conn: Connection, job: Claimed, *, lock: bool = True) -> bool:
    """Whether the claim still holds the job, at the step it was claimed at. With `lock` (in
    a write transaction) the row stays locked on PostgreSQL until the transaction ends, so no
    other worker can change it meanwhile; SQLite's write transaction already excludes them."""
    query = select(_jobs.id).where(_held(job))
    if lock and conn.dialect_name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first() is not None


async def playable(
    conn: Connection,
    job: Claimed,
    *,
    recording_id: int,
    now: datetime,
    skipped: str | None = None,
) -> bool:
    """The first step is done: record the job's recording (playable from its tracks) and the
    tracks left out (one per line, with the reason), and hand the job back for its second
    step, due now, its attempts counted afresh. False when the claim no longer held it."""
    result = await conn.execute(
        update(recording_jobs)
        .where(_held(job))
        .values(
            recording_id=recording_id,
            attempts=0,
            lease_until=None,
            next_attempt_at=now,
            last_error=None,
            skipped=skipped,
        )
    )
    return result.rowcount == 1


async def finish(conn: Connection, job: Claimed, *, now: datetime) -> bool:
    """The job is done (its recording's file composed, or no longer wanted); False when the
    claim no longer held the job."""
    result = await conn.execute(
        update(recording_jobs)
        .where(_held(job), _jobs.recording_id.is_not(None))
        .values(status=DONE, lease_until=None, finished_at=now, last_error=None)
    )
    return result.rowcount == 1


async def fail(
    conn: Connection,
    job: Claimed,
    *,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    permanent: bool = False,
) -> datetime | None:
    """Record a failed attempt; returns when it is tried again, None when the job failed
    (at once when `permanent`, else once the back-off passes the give-up time). `NotHeld`
    when the claim no longer holds the job (nothing is recorded then)."""
    values, retry_at = _failure(
        attempt=job.attempt,
        created_at=job.created_at,
        error=error,
        now=now,
        policy=None if permanent else policy,
    )
    result = await conn.execute(update(recording_jobs).where(_held(job)).values(values))
    if result.rowcount != 1:
        raise NotHeld(f"recording job {job.id} is no longer held by attempt {job.attempt}")
    return retry_at


def _failure(
    *, attempt: int, created_at: datetime, error: str, now: datetime, policy: RetryPolicy | None
) -> tuple[dict[str, Any], datetime | None]:
    """The column values that record a failed attempt (no policy: fail at once), and when the
    job is tried again."""
    retry_at = None
    if policy is not None:
        retry_at = policy.next_attempt(created_at=created_at, attempt=attempt, now=now)
    values: dict[str, Any] = {"lease_until": None, "last_error": error[-ERROR_CHARS:]}
    if retry_at is None:
        values.update(status=FAILED, finished_at=now)
    else:
        values["next_attempt_at"] = retry_at
    return values, retry_at


async def postpone(conn: Connection, job: Claimed, *, until: datetime, reason: str) -> None:
    """Give a job back for later without counting the attempt (its files are not ready yet):
    due at `until`, with `reason` shown to the operator. `NotHeld` when the claim no longer
    holds the job. Giving the attempt number back cannot confuse two holders: the job is held
    by nobody until the next claim, which takes the same number again."""
    result = await conn.execute(
        update(recording_jobs)
        .where(_held(job))
        .values(
            attempts=_jobs.attempts - 1,
            lease_until=None,
            next_attempt_at=until,
            last_error=reason[-ERROR_CHARS:],
        )
    )
    if result.rowcount != 1:
        raise NotHeld(f"recording job {job.id} is no longer held by attempt {job.attempt}")


async def release(conn: Connection, job: Claimed, *, now: datetime) -> None:
    """Give a job back untouched (its worker is stopping): it is due again at once."""
    await conn.execute(
        update(recording_jobs).where(_held(job)).values(lease_until=None, next_attempt_at=now)
    )


async def retry(conn: Connection, job_id: int, *, now: datetime) -> Job:
    """Queue a failed job for one more attempt now (`retry-job`); a pending one that is not
    running is moved to now. `Missing` when there is no such job, `Invalid` when it is done
    or running."""
    job = await get(conn, job_id)
    if job.status == DONE:
        raise Invalid(f"recording job {job_id} is done (recording {job.recording_id})")
    if job.lease_until is not None:
        raise Invalid(f"recording job {job_id} is running")
    await conn.execute(
        update(recording_jobs)
        .where(_jobs.id == job_id, _jobs.lease_until.is_(None), _jobs.status != DONE)
        .values(status=PENDING, next_attempt_at=now, finished_at=None)
    )
    return await get(conn, job_id)


async def get(conn: Connection, job_id: int) -> Job:
    """One job; `Missing` when there is none with this id."""
    row = (await conn.execute(_JOB_QUERY.where(_jobs.id == job_id))).first()
    if row is None:
        raise Missing(f"there is no recording job {job_id}")
    return Job(**row._mapping)


async def list_jobs(conn: Connection, *, status: str | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs, optionally of one status, for the operator's view."""
    query = _JOB_QUERY.order_by(_jobs.id.desc()).limit(limit)
    if status is not None:
        query = query.where(_jobs.status == status)
    return [Job(**row._mapping) for row in await conn.execute(query)]


async def jobs_of_account(conn: Connection, account_id: int, *, limit: int = 50) -> list[OwnJob]:
    """The account's jobs worth its attention, newest first: pending and failed ones, and done
    ones that left tracks out; of its live sessions only."""
    query = (
        _account_query(account_id)
        .where(or_(_jobs.status != DONE, and_(_jobs.skipped.is_not(None), _jobs.skipped != "")))
        .order_by(_jobs.id.desc())
        .limit(limit)
    )
    return await _own_jobs(conn, query)


async def page_of_account(
    conn: Connection,
    account_id: int,
    *,
    session_id: int | None,
    status: str | None,
    count: int,
    offset: int,
    descending: bool,
) -> list[OwnJob]:
    """A page of the account's jobs (of its live sessions), by id, optionally of one session
    and one status: the API's `recording_jobs`."""
    query = _account_query(account_id).where(*_filters(session_id, status))
    order = _jobs.id.desc() if descending else _jobs.id
    return await _own_jobs(conn, query.order_by(order).limit(count).offset(offset))


async def total_of_account(
    conn: Connection, account_id: int, *, session_id: int | None, status: str | None
) -> int:
    """How many jobs `page_of_account` pages through."""
    inner = _account_query(account_id).where(*_filters(session_id, status)).subquery()
    return int((await conn.execute(select(func.count()).select_from(inner))).scalar_one())


def _account_query(account_id: int) -> Select[Any]:
    return (
        _JOB_QUERY.add_columns(sessions.c.topic)
        .join(sessions, sessions.c.id == _jobs.session_id)
        .where(sessions.c.owner_id == account_id, sessions.c.deleted_at.is_(None))
    )


def _filters(session_id: int | None, status: str | None) -> list[ColumnElement[bool]]:
    found = [] if session_id is None else [_jobs.session_id == session_id]
    return found if status is None else [*found, _jobs.status == status]


async def _own_jobs(conn: Connection, query: Select[Any]) -> list[OwnJob]:
    return [
        OwnJob(Job(**{name: row._mapping[name] for name in Job.__slots__}), row.topic)
        for row in await conn.execute(query)
    ]


async def job_of_account(conn: Connection, account_id: int, job_id: int) -> Job | None:
    """The job when it belongs to a live session of the account, else None (whoever's it is)."""
    query = _JOB_QUERY.join(sessions, sessions.c.id == _jobs.session_id).where(
        _jobs.id == job_id,
        sessions.c.owner_id == account_id,
        sessions.c.deleted_at.is_(None),
    )
    row = (await conn.execute(query)).first()
    return None if row is None else Job(**row._mapping)


async def session_owner(conn: Connection, session_id: int) -> SessionOwner | None:
    """The login of the session's owner, its topic, and whether it was deleted."""
    query = (
        select(users.c.login, sessions.c.topic, sessions.c.deleted_at)
        .join(users, users.c.id == sessions.c.owner_id)
        .where(sessions.c.id == session_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return SessionOwner(login=row.login, topic=row.topic, deleted=row.deleted_at is not None)


_JOB_QUERY = select(*(recording_jobs.c[name] for name in Job.__slots__))


def _held(job: Claimed) -> ColumnElement[bool]:
    """The row while this claim holds it, at the step it was claimed at."""
    step: ColumnElement[bool]
    if job.recording_id is None:
        step = _jobs.recording_id.is_(None)
    else:
        step = _jobs.recording_id == job.recording_id
    return and_(
        _jobs.id == job.id,
        _jobs.attempts == job.attempt,
        _jobs.status == PENDING,
        _jobs.lease_until.is_not(None),
        step,
    )


def _skip_locked(conn: Connection, query: Select[Any]) -> Select[Any]:
    """On PostgreSQL, rows another worker is claiming are skipped rather than waited for."""
    if conn.dialect_name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query
