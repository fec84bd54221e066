"""Playback passes: the signed cookie that lets one browser watch one recording.

When a visitor has given a recording's password (and a screen name, unless the recording
allows anonymous playback), the page sets a cookie `onstream_play_{id}` holding

    {expires}.{screen name, base64url}.{HMAC-SHA256 signature, base64url}

The signature covers the recording's id, its current password, the expiry and the name, under
a key derived from the server's secret. So a pass cannot be forged or edited, is worth nothing
for another recording, and stops working when the owner changes the password. The media
endpoint serves no byte of a password-protected recording without a valid pass. The cookie
is HttpOnly (no script reads it), SameSite=Lax, Secure when the server's base URL is https,
and limited to `/play/`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from onstream.recordings.models import Recording

COOKIE_PREFIX = "onstream_play_"
LIFETIME_SECONDS = 12 * 3600
COOKIE_PATH = "/play/"
_KEY_LABEL = b"onstream playback pass v1\0"


@dataclass(frozen=True, slots=True)
class Pass:
    """A valid pass: the screen name it was issued for ("" when none was asked)."""

    name: str


def cookie_name(recording_id: int) -> str:
    """The cookie of one recording's pass."""
    return f"{COOKIE_PREFIX}{recording_id}"


class PassSigner:
    """Issues and checks passes with a key derived from the server's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(_KEY_LABEL + secret.encode("utf-8")).digest()

    def issue(self, recording: Recording, *, name: str, now: int) -> str:
        """A cookie value valid for `LIFETIME_SECONDS` from `now` (Unix seconds)."""
        expires = str(now + LIFETIME_SECONDS)
        encoded = _b64(name.encode("utf-8"))
        return f"{expires}.{encoded}.{self._sign(recording, expires, encoded)}"

    def check(self, recording: Recording, value: str | None, *, now: int) -> Pass | None:
        """The pass in a cookie value, or None when it is missing, forged, for another
        recording or password, or expired."""
        parts = (value or "").split(".")
        if len(parts) != 3:
            return None
        expires, encoded, signature = parts
        expected = self._sign(recording, expires, encoded)
        if not hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode()):
            return None
        if not expires.isdigit() or int(expires) < now:
            return None
        try:
            return Pass(name=base64.urlsafe_b64decode(encoded + "==").decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            return None

    def _sign(self, recording: Recording, expires: str, encoded_name: str) -> str:
        password = recording.password or ""
        message = f"{recording.id}\0{password}\0{expires}\0{encoded_name}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
