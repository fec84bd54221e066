"""What the session pages say about a session: its time in words, its length, the 404."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import HTMLResponse

from onstream.sessions import rules
from onstream.web.queries import Meeting
from onstream.web.rendering import render


def not_found() -> HTMLResponse:
    """The one 404 page for every link that leads nowhere, whatever the reason."""
    return render("not_found.html", {}, status=404)


def when(meeting: Meeting) -> str:
    """`Wednesday, 10 July 2030, 18:00 (UP1)`: the start in the session's own zone."""
    wall: datetime = rules.utc_to_wall(
        meeting.start_utc, timezone=meeting.timezone, dst=meeting.dst
    )
    return f"{wall:%A}, {wall.day} {wall:%B %Y, %H:%M} ({meeting.timezone})"


def duration(minutes: int) -> str:
    """`45 minutes`, `1 hour`, `2 hours 30 minutes`."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def meeting_context(meeting: Meeting) -> dict[str, object]:
    """What every page about a session shows of it."""
    return {
        "topic": meeting.topic,
        "when": when(meeting),
        "duration": duration(meeting.duration),
        "owner_name": meeting.owner_name,
    }
