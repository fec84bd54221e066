"""What the session pages say about a session: its time in words, its length, the 404."""

from __future__ import annotations

from starlette.responses import HTMLResponse

from onstream import timezones
from onstream.web.queries import Meeting
from onstream.web.rendering import render


def not_found() -> HTMLResponse:
    """The one 404 page for every link that leads nowhere, whatever the reason."""
    return render("not_found.html", {}, status=404)


def when(meeting: Meeting) -> str:
    """`Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST`: the start in the session's own
    zone, named by its place (`timezones.local_time`)."""
    return timezones.local_time(meeting.start_utc, meeting.timezone, meeting.dst).long_text


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
