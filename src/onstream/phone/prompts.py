"""The bridge's spoken prompts: made once with `espeak-ng` (Debian) and kept as WAV files.

Nothing is synthesised during a call: `ensure_prompts` writes any missing file when the
bridge starts (about 50 ms each), and PJSIP plays them from disk, resampled by its
conference bridge to the call's 8 kHz.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PROMPTS: dict[str, str] = {
    "welcome": "Welcome to Onstream. Enter the meeting's access code, then the hash key.",
    "wrong": "That code is not right. Please enter it again, then the hash key.",
    "wrong-goodbye": "That code is not right. Goodbye.",
    "too-many": "Too many attempts. Please try again later. Goodbye.",
    "no-bridge": "This meeting cannot be joined by telephone. Goodbye.",
    "early": (
        "This meeting is not open yet. It opens shortly before its start time. "
        "Please call again then. Goodbye."
    ),
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
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            raise PromptsUnavailable(
                "the phone bridge's prompts need espeak-ng (apt-get install espeak-ng)"
            )
        for name in missing:
            partial = paths[name].with_suffix(".tmp")
            subprocess.run(  # noqa: S603 - our own program and texts
                [espeak, "-v", VOICE, "-s", str(SPEED), "-w", str(partial), PROMPTS[name]],
                check=True,
                capture_output=True,
            )
            partial.replace(paths[name])
    return paths
