"""The iCalendar part of invitation e-mails, built with the `icalendar` library.

One session is one calendar event: its UID is stable for the session's whole life, so a
calendar client replaces the event on an update (METHOD:REQUEST with a higher SEQUENCE) and
removes it on a cancellation (METHOD:CANCEL). Times are UTC instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Onstream//Onstream API v2//EN"


def event_uid(session_id: int, host: str) -> str:
    """The UID of a session's event; the same in every message about that session."""
    return f"session-{session_id}@{host}"


def event_uid_at(session_id: int, link: str) -> str:
    """The UID of a session's event from any of its links (`event_uid` on the link's host
    name, as the invitation e-mails make it), so every calendar agrees on it."""
    return event_uid(session_id, urlsplit(link).hostname or "onstream")


@dataclass(frozen=True, slots=True)
class EventData:
    """One session as a calendar event, in the reader's view (its link, its attendee)."""

    uid: str
    sequence: int
    summary: str
    start_utc: datetime
    duration_minutes: int
    url: str
    description: str
    organizer_email: str
    attendee_email: str | None


def calendar_of(events: Iterable[EventData], *, stamp: datetime, name: str | None = None) -> bytes:
    """A published VCALENDAR (METHOD:PUBLISH) with one VEVENT per session: a download or a
    subscribed feed. `name` titles a feed in the calendar client (X-WR-CALNAME)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    if name is not None:
        cal.add("x-wr-calname", name)
    for data in events:
        cal.add_component(_event(data, method="PUBLISH", stamp=stamp))
    return bytes(cal.to_ical())


def _event(data: EventData, *, method: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", data.uid)
    event.add("sequence", data.sequence)
    event.add("dtstamp", stamp.replace(tzinfo=UTC))
    event.add("dtstart", data.start_utc.replace(tzinfo=UTC))
    end = data.start_utc + timedelta(minutes=data.duration_minutes)
    event.add("dtend", end.replace(tzinfo=UTC))
    event.add("summary", data.summary)
    event.add("description", data.description)
    event.add("url", data.url)
    event.add("location", vText(data.url))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{data.organizer_email}"))
    if data.attendee_email is not None:
        attendee = vCalAddress(f"mailto:{data.attendee_email}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    return event


def calendar_part(
    *,
    method: str,
    uid: str,
    sequence: int,
    summary: str,
    start_utc: datetime,
    duration_minutes: int,
    url: str,
    description: str,
    organizer_email: str,
    attendee_email: str | None,
    stamp: datetime,
) -> bytes:
    """A VCALENDAR with one VEVENT, for `text/calendar; method=REQUEST|CANCEL`."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    data = EventData(
        uid=uid,
        sequence=sequence,
        summary=summary,
        start_utc=start_utc,
        duration_minutes=duration_minutes,
        url=url,
        description=description,
        organizer_email=organizer_email,
        attendee_email=attendee_email,
    )
    cal.add_component(_event(data, method=method, stamp=stamp))
    return bytes(cal.to_ical())
