"""What a media file really is, asked of `ffprobe` (FFmpeg's; `scripts/system-deps`).

A recording's file must be audio or video by its content, not by its name: a renamed PDF
would otherwise be served as `video/mp4` and fail in every player. ffprobe also gives the
real duration, so an operator need not type it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from onstream.errors import Invalid

PROBE_SECONDS = 60
IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng", "webp")
"""Demuxers of still images: ffprobe calls a picture a one-frame video stream."""


@dataclass(frozen=True, slots=True)
class Probed:
    """An audio or video file's kind and length."""

    kind: str
    """`video` when it has a video stream, else `audio`."""
    duration_ms: int


def probe(path: Path) -> Probed:
    """The file's kind and duration; `Invalid` when it is not audio or video."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise Invalid("ffprobe is not installed (FFmpeg; see scripts/system-deps)")
    argv = [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    try:
        done = subprocess.run(  # noqa: S603  # a fixed program, the path as one argument
            argv, capture_output=True, text=True, timeout=PROBE_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise Invalid(f"'{path}' could not be read as media within {PROBE_SECONDS} s") from None
    if done.returncode != 0:
        raise Invalid(f"'{path}' is not an audio or video file")
    info = json.loads(done.stdout or "{}")
    form = info.get("format", {})
    kinds = {s.get("codec_type") for s in info.get("streams", [])}
    name = str(form.get("format_name", ""))
    if not kinds & {"audio", "video"} or any(part in name for part in IMAGE_FORMATS):
        raise Invalid(f"'{path}' is not an audio or video file")
    try:
        seconds = float(form.get("duration", 0))
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise Invalid(f"'{path}' has no duration; give --duration-ms")
    return Probed(kind="video" if "video" in kinds else "audio", duration_ms=round(seconds * 1000))
