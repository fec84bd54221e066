"""Files as the service sees them, and what a PUT file asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onstream.media.store import StoredMedia


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One row of `files`."""

    id: int
    owner_id: int
    file_link: str | None
    is_url: bool
    dir_id: int | None
    file_description: str | None
    media_key: str | None
    media_name: str | None
    media_size: int | None
    media_type: str | None
    created_at: datetime
    deleted_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> LibraryFile:
        """Build from a result row of `files`."""
        values = {name: getattr(row, name) for name in cls.__slots__}
        values["is_url"] = bool(values["is_url"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Share:
    """A session a file is shared in (`file_in_session`), as the account center lists it."""

    session_id: int
    topic: str
    auto_open: bool


@dataclass(frozen=True, slots=True)
class FileInput:
    """What a PUT file gives. None means "not given"."""

    file_link: str | None = None
    is_url: bool | None = None
    dir_id: int | None = None
    file_description: str | None = None
    upload: StoredMedia | None = None
    """An upload, already in the media store (put there before the transaction)."""
