"""Content types of media: what a browser needs to play a file or offer it as a download.

Python's `mimetypes` reads the system's tables, which differ between machines (`.wav` is
`audio/x-wav` on some, `audio/wav` on others); the formats a player page meets are pinned
here so the server answers the same everywhere.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePath

DEFAULT = "application/octet-stream"
_PINNED = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
INLINE_PREFIXES = ("audio/", "video/", "image/")
"""Types a browser may show in place; anything else downloads (see `web.downloads`)."""


def guess(filename: str) -> str:
    """The content type a file name suggests, or `application/octet-stream`."""
    suffix = PurePath(filename).suffix.lower()
    return _PINNED.get(suffix) or mimetypes.guess_type(filename, strict=False)[0] or DEFAULT


def clean(declared: str | None, *, filename: str) -> str:
    """A client's declared type when it is a well-formed `type/subtype`, else a guess.

    Parameters (`; charset=...`) are dropped: a stored blob is bytes, not text.
    """
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.fullmatch(media_type) and media_type != DEFAULT:
        return media_type
    return guess(filename)


def player_element(content_type: str | None) -> str:
    """`audio` for sound, `video` for everything else (a video element plays sound too)."""
    return "audio" if (content_type or "").startswith("audio/") else "video"
