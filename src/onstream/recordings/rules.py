"""The rules a recording's fields follow (CONTRACT §8), and its link, as pure functions."""

from __future__ import annotations

import re
import unicodedata

from onstream.errors import Invalid
from onstream.sessions.rules import check_password

__all__ = ["check_description", "check_duration", "check_password", "check_title", "slug"]

TITLE_MAX = 255
DESCRIPTION_MAX = 2000
DURATION_MAX_MS = 10 * 24 * 3600 * 1000
"""Ten days: longer than any meeting, short enough to catch a length given in microseconds."""
SLUG_MAX = 80
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")


def check_title(title: str) -> str:
    """A title of 1-255 characters, surrounding space removed."""
    title = title.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise Invalid(f"title must be 1 to {TITLE_MAX} characters long")
    return title


def check_description(description: str) -> str | None:
    """A description of at most 2000 characters, or None when empty."""
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(f"description must be at most {DESCRIPTION_MAX} characters long")
    return description or None


def check_duration(duration_ms: int) -> int:
    """A length in milliseconds, 0 to ten days."""
    if not 0 <= duration_ms <= DURATION_MAX_MS:
        raise Invalid(f"duration must be between 0 and {DURATION_MAX_MS} milliseconds")
    return duration_ms


def slug(title: str) -> str:
    """The title as a URL segment, as the documentation shows it: `My first recording` →
    `My-first-recording`. Accents are dropped, anything else that is not a letter or digit
    becomes one `-`; a title with nothing left is `recording`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = _NOT_WORD.sub("-", ascii_title).strip("-")
    if len(words) > SLUG_MAX:
        words = words[:SLUG_MAX].rsplit("-", 1)[0] if "-" in words[:SLUG_MAX] else words[:SLUG_MAX]
    return words or "recording"


def playback_path(recording_id: int, title: str) -> str:
    """`/play/{id}-{slug}`: the playback page, relative to the server's base URL."""
    return f"/play/{recording_id}-{slug(title)}"
