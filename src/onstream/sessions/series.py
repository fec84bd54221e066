"""Recurring sessions: a `series` row with its RRULE and one ordinary session per occurrence.

Every occurrence is a whole session (own id, links, room, recordings, files), so everything
that works on a session works on an occurrence unchanged. Functions run inside the caller's
transaction and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Invalid, Missing
from onstream.sessions import recurrence, repository, rules, service
from onstream.sessions.models import Session, SessionInput
from onstream.storage.database import Connection

TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


@dataclass(frozen=True, slots=True)
class Series:
    """A series of this account and its occurrences (deleted ones too), earliest first."""

    id: int
    rule: str
    occurrences: list[Session]

    def live(self) -> list[Session]:
        """The occurrences that were not cancelled."""
        return [s for s in self.occurrences if s.deleted_at is None]

    def upcoming(self, now: datetime) -> list[Session]:
        """The live occurrences that have not started yet: what a series change touches."""
        return [s for s in self.live() if s.start_utc > now]


async def create(conn: Connection, owner: Account, data: SessionInput) -> tuple[int, list[int]]:
    """A series from a PUT session with `recurrence`: every field and the rule are checked
    before the first row is written. Returns the series id and the occurrences' ids."""
    assert data.recurrence is not None
    for name in ("topic", "duration", "start_time"):
        if getattr(data, name) is None:
            raise Invalid(f"{name} is required")
    if data.friendly_url:
        raise Invalid("friendly_url cannot be given with recurrence: each occurrence has a link")
    zone = rules.check_timezone(data.timezone) if data.timezone is not None else owner.timezone
    duration = rules.check_duration(data.duration or 0)
    start_wall = rules.parse_wall_time(data.start_time or "")
    starts = recurrence.expand(
        data.recurrence, start_wall=start_wall, timezone=zone, dst=owner.dst, duration=duration
    )
    rule = recurrence.check_rule(data.recurrence)
    ids: list[int] = []
    series_id = 0
    for start in starts:
        one = replace(
            data, recurrence=None, start_time=rules.wall_time_text(start, zone, owner.dst)
        )
        session_id = await service.create(conn, owner, one)
        if not ids:
            series_id = await repository.insert_series(
                conn, owner_id=owner.id, rule=rule, now=utcnow()
            )
        await repository.link_occurrence(conn, session_id, series_id=series_id, occurrence=start)
        ids.append(session_id)
    return series_id, ids


async def get(conn: Connection, owner: Account, series_id: int) -> Series:
    """A series of this account; `Missing` (404) for another account's or none."""
    rule = await repository.series_rule(conn, owner_id=owner.id, series_id=series_id)
    if rule is None:
        raise Missing(f"Series {series_id} does not exist")
    found = await repository.occurrences(conn, owner_id=owner.id, series_id=series_id)
    return Series(id=series_id, rule=rule, occurrences=found)


def is_exception(session: Session) -> bool:
    """Whether an occurrence was moved on its own, away from where the series put it."""
    return session.occurrence is not None and session.start_utc != session.occurrence


def check_time(time: str) -> str:
    """The `time` of a series change: a wall time of day."""
    if not TIME_OF_DAY.fullmatch(time.strip()):
        raise Invalid(f"time '{time}' is not a time of day like 09:30")
    return time.strip()


def moved_input(
    session: Session, data: SessionInput, *, time: str | None, dst: bool
) -> SessionInput:
    """What a series change asks of one occurrence: the fields given, and with `time` (a
    wall time of day, HH:MM[:SS]) the same date at that time in the occurrence's zone."""
    start_time = None
    if time is not None:
        wall = rules.utc_to_wall(session.start_utc, timezone=session.timezone, dst=dst)
        start_time = f"{wall:%Y-%m-%d} {time}"
    return replace(data, start_time=start_time, recurrence=None)


async def mark_planned(conn: Connection, session: Session) -> None:
    """After a series change moved an occurrence: its new start is where the series puts it."""
    assert session.series_id is not None
    await repository.link_occurrence(
        conn, session.id, series_id=session.series_id, occurrence=session.start_utc
    )
