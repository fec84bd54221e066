"""Sessions as the service sees them, and the changes a request asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Session:
    """One row of `sessions`."""

    id: int
    owner_id: int
    topic: str
    start_utc: datetime
    duration: int
    timezone: str
    password: str | None
    friendly_url: str | None
    session_key: str
    access_code: int | None
    custom_data: dict[str, str] | None
    sequence: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    auto_record: bool
    """Record the meeting room from its start (a moderator may also start recording)."""
    host_key: str
    """Secret of the owner's host link, which enters the room as moderator."""
    series_id: int | None = None
    """The recurring series this session is an occurrence of, if any."""
    occurrence: datetime | None = None
    """The start (UTC) the series gave this occurrence."""


@dataclass(frozen=True, slots=True)
class SessionInput:
    """What a PUT or POST asks to set. None means "not given"; "" clears a text field."""

    topic: str | None = None
    start_time: str | None = None
    duration: int | None = None
    timezone: str | None = None
    password: str | None = None
    friendly_url: str | None = None
    custom_data: object = None
    """Raw `custom_data` input (list or object); None when not given."""
    auto_record: bool | None = None
    recurrence: str | None = None
    """An RRULE (PUT session only): the session becomes the first of a series."""
