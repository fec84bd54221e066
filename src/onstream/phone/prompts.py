"""The bridge's spoken prompts: made with `espeak-ng` (Debian) and played from WAV files.

The fixed prompts are made once: `ensure_prompts` writes any missing file when the bridge
starts (about 50 ms each), and PJSIP plays them from disk, resampled by its conference
bridge to the call's 8 kHz. Only the "not open yet" prompt, which tells the opening time,
is made during the call (`speak`), and removed once played.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

PROMPTS: dict[str, str] = {
    "welcome": "Welcome to Onstream. Enter the meeting's access code, then the hash key.",
    "wrong": "That code is not right. Please enter it again, then the hash key.",
    "wrong-goodbye": "That code is not right. Goodbye.",
    "too-many": "Too many attempts. Please try again later. Goodbye.",
    "no-bridge": "This meeting cannot be joined by telephone. Goodbye.",
    "ended": "This meeting has ended. Goodbye.",
    "unavailable": "The meeting service is not available right now. Please try again later.",
    "joining": "You are joining the meeting. Press star six to mute or unmute yourself.",
    "muted": "You are muted.",
    "unmuted": "You are unmuted.",
    "removed": "You were removed from the meeting. Goodbye.",
    "meeting-ended": "The meeting has ended. Goodbye.",
}
VOICE = "en-us"
SPEED = 160
"""Words a minute: a little slower than espeak-ng's 175, for telephone lines."""


class PromptsUnavailable(RuntimeError):
    """espeak-ng is missing and a prompt file is too."""


def ensure_prompts(folder: Path) -> dict[str, Path]:
    """Every prompt's WAV file in `folder`, written with espeak-ng when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.wav" for name in PROMPTS}
    for name, path in paths.items():
        if not path.is_file():
            _synthesise(PROMPTS[name], path)
    return paths


def speak(folder: Path, text: str) -> Path:
    """A WAV file of `text` in `folder`'s `spoken/`, for one call; the caller removes it."""
    path = folder / "spoken" / f"{secrets.token_hex(8)}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    _synthesise(text, path)
    return path


def _synthesise(text: str, path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise PromptsUnavailable(
            "the phone bridge's prompts need espeak-ng (apt-get install espeak-ng)"
        )
    partial = path.with_suffix(".tmp")
    subprocess.run(  # noqa: S603 - our own program and texts
        [espeak, "-v", VOICE, "-s", str(SPEED), "-w", str(partial), text],
        check=True,
        capture_output=True,
    )
    partial.replace(path)


def spoken_time(wall: datetime) -> str:
    """A clock time as espeak-ng says it well: "14 30", "9 oh 5", "14 hundred"."""
    if wall.minute == 0:
        return f"{wall.hour} hundred"
    if wall.minute < 10:
        return f"{wall.hour} oh {wall.minute}"
    return f"{wall.hour} {wall.minute}"


def opening_words(opens: datetime, now: datetime) -> str:
    """The "not open yet" prompt: when the meeting opens, on the clock both times are on.
    The day is named when it is not today: "tomorrow", a weekday within the week, else
    the date."""
    days = (opens.date() - now.date()).days
    if days <= 0:
        day = ""
    elif days == 1:
        day = "tomorrow "
    elif days < 7:
        day = f"on {opens:%A} "
    else:
        day = f"on {opens:%A}, {opens:%B} {opens.day}, "
    return (
        f"This meeting is not open yet. It opens {day}at {spoken_time(opens)}. "
        "Please call again then. Goodbye."
    )
