"""Recordings as the service sees them, and the changes a request asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Recording:
    """One row of `recordings`, with the time zone of its session (for `creation_date`)."""

    id: int
    owner_id: int
    session_id: int
    title: str
    description: str | None
    password: str | None
    duration_ms: int
    allow_anonymous_playback: bool
    media_key: str | None
    media_type: str | None
    media_size: int | None
    created_at: datetime
    deleted_at: datetime | None
    timezone: str

    @classmethod
    def from_row(cls, row: Any) -> Recording:
        """Build from a result row of `recordings` joined with its session's time zone."""
        values = {name: getattr(row, name) for name in cls.__slots__}
        values["allow_anonymous_playback"] = bool(values["allow_anonymous_playback"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RecordingInput:
    """What a POST asks to change. None means "not given"; "" clears description/password."""

    title: str | None = None
    description: str | None = None
    password: str | None = None
    allow_anonymous_playback: bool | None = None


@dataclass(frozen=True, slots=True)
class NewRecording:
    """What the operator's `recording add` gives (its media, if any, comes separately)."""

    session_id: int
    title: str
    duration_ms: int
    description: str | None = None


@dataclass(frozen=True, slots=True)
class NewTrack:
    """One remuxed track of a recording, already in the media store."""

    participant: str
    kind: str
    """`audio` or `video`."""
    offset_ms: int
    """From the recording's start (the earliest first packet) to this track's first packet."""
    duration_ms: int
    media_key: str
    media_type: str
    media_size: int


@dataclass(frozen=True, slots=True)
class Track:
    """One row of `recording_tracks`."""

    id: int
    recording_id: int
    participant: str
    kind: str
    offset_ms: int
    duration_ms: int
    media_key: str
    media_type: str
    media_size: int
