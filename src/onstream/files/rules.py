"""The rules of the media library's fields (CONTRACT §8), as pure functions."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from onstream.errors import Invalid

LINK_MAX = 2048
DESCRIPTION_MAX = 255
NAME_MAX = 255
_SCHEMES = frozenset({"http", "https"})
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def check_link(link: str) -> str:
    """An absolute http or https URL of at most 2048 characters, with a host.

    Other schemes (`javascript:`, `file:`, `data:`) are refused: the link is handed to every
    participant of a session, who would open it.
    """
    if len(link) > LINK_MAX:
        raise Invalid(f"file_link must be at most {LINK_MAX} characters long")
    if _SPACE_OR_CONTROL.search(link):
        raise Invalid("file_link must not contain spaces or control characters")
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError as exc:
        raise Invalid("file_link is not a valid URL like https://example.com/file.pdf") from exc
    if parts.scheme.lower() not in _SCHEMES or not host:
        raise Invalid("file_link must be an absolute http:// or https:// URL")
    return link


def check_description(description: str) -> str | None:
    """A description of at most 255 characters, or None when empty."""
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(f"file_description must be at most {DESCRIPTION_MAX} characters long")
    return description or None


def clean_name(name: str | None) -> str:
    """An uploaded file's name as it may appear in its download link: the last path part,
    without control characters, at most 255 characters (keeping the extension); `file` when
    nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(base) > NAME_MAX:
        _stem, dot, suffix = base.rpartition(".")
        keep = suffix if dot and len(suffix) < 16 else ""
        base = base[: NAME_MAX - len(keep) - 1] + "." + keep if keep else base[:NAME_MAX]
    return base or "file"
