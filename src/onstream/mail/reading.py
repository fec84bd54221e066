"""A stored message as a person reads it: its headers decoded, its text part, its links and
what its calendar part says (`onstream outbox show`, so mail is visible without a relay)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

HEADERS = ("From", "To", "Subject", "Date")
"""The headers shown, in this order."""
CALENDAR_FIELDS = ("METHOD", "UID", "SEQUENCE", "DTSTART", "STATUS")
"""What is shown of the calendar part: enough to tell which event it changes, and how."""
_LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True, slots=True)
class Readable:
    """What a recipient's mail program shows of a message."""

    headers: list[tuple[str, str]]
    text: str
    links: list[str]
    calendar: list[tuple[str, str]]


def read(data: bytes) -> Readable:
    """Decode a message as it went (or would go) over SMTP."""
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage
    headers = [(name, str(message[name])) for name in HEADERS if message[name] is not None]
    text = _part_text(message, "text/plain")
    html = _part_text(message, "text/html")
    links = list(dict.fromkeys(_LINK.findall(text) + _LINK.findall(html)))
    return Readable(headers, text, links, _calendar(_part_text(message, "text/calendar")))


def render(readable: Readable) -> str:
    """Headers, a blank line, the text part, then the links and the calendar fields."""
    lines = [f"{name}: {value}" for name, value in readable.headers]
    lines += ["", readable.text.rstrip(), ""]
    if readable.links:
        lines += ["Links:", *(f"  {link}" for link in readable.links)]
    if readable.calendar:
        lines += ["Calendar:", *(f"  {name}: {value}" for name, value in readable.calendar)]
    return "\n".join(lines)


def _part_text(message: EmailMessage, content_type: str) -> str:
    for part in message.walk():
        if part.get_content_type() == content_type and isinstance(part, EmailMessage):
            content = part.get_content()
            return content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return ""


def _calendar(ics: str) -> list[tuple[str, str]]:
    """The first value of each of `CALENDAR_FIELDS` in an iCalendar text (lines unfolded)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    found: dict[str, str] = {}
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].upper()
        if key in CALENDAR_FIELDS and key not in found:
            found[key] = value
    return [(key, found[key]) for key in CALENDAR_FIELDS if key in found]
