"""What a caller types on the keypad, as plain state: no SIP, no clock, no database.

Before the meeting the keys are an access code ended by '#' ('*' starts the code over);
in the meeting '*6' mutes or unmutes oneself. Digits arrive one at a time, from RFC 4733
telephone-events or SIP INFO alike (PJSIP reports both the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CODE_DIGITS = 9
"""The length of a `session_access_code` (the API contract): 10**9 codes."""
MAX_TYPED = 32
"""A longer entry is cut short: nobody types that much, a flood of tones is not kept."""


@dataclass(slots=True)
class CodeEntry:
    """The digits typed since the last '#' or '*'."""

    typed: list[str] = field(default_factory=list)

    def key(self, digit: str) -> str | None:
        """Take one key; the entry when it was '#' (possibly empty), else None."""
        if digit == "#":
            entry = "".join(self.typed)
            self.typed.clear()
            return entry
        if digit == "*":
            self.typed.clear()
        elif digit.isdigit() and len(self.typed) < MAX_TYPED:
            self.typed.append(digit)
        return None


@dataclass(slots=True)
class InMeetingKeys:
    """Keys during the meeting: '*' then '6' toggles the caller's own microphone."""

    muted: bool = False
    _star: bool = False

    def key(self, digit: str) -> bool:
        """Take one key; True when it toggled `muted`."""
        if self._star and digit == "6":
            self._star = False
            self.muted = not self.muted
            return True
        self._star = digit == "*"
        return False


def parse_code(entry: str) -> int | None:
    """The access code an entry names, or None when it cannot be one (wrong length)."""
    if len(entry) != CODE_DIGITS or not entry.isdigit():
        return None
    return int(entry)


def caller_label(remote_uri: str) -> str:
    """How the people list shows a caller: 'Phone ··· 1234' from the last four digits of
    the number in the From URI, or 'Phone' when it is withheld or has no digits."""
    user = remote_uri.split("sip:", 1)[-1].split("@", 1)[0] if "sip:" in remote_uri else ""
    digits = "".join(ch for ch in user if ch.isdigit())
    if len(digits) < 4 or "anonymous" in remote_uri.lower():
        return "Phone"
    return f"Phone \u00b7\u00b7\u00b7 {digits[-4:]}"


def caller_number(remote_uri: str) -> str:
    """The caller's number (the From URI's user part) for counting failed codes; callers
    who withhold it share one counter."""
    if "sip:" not in remote_uri:
        return "withheld"
    user = remote_uri.split("sip:", 1)[1].split("@", 1)[0].split(";", 1)[0]
    return user[:64] or "withheld"


def dialled_code(local_uri: str) -> int | None:
    """The access code of a direct call to `sip:<code>@bridge`, else None."""
    if "sip:" not in local_uri:
        return None
    user = local_uri.split("sip:", 1)[1].split("@", 1)[0]
    return parse_code(user) if "@" in local_uri.split("sip:", 1)[1] else None
