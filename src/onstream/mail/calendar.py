"""The iCalendar part of invitation e-mails, built with the `icalendar` library.

One session is one calendar event: its UID is stable for the session's whole life, so a
calendar client replaces the event on an update (METHOD:REQUEST with a higher SEQUENCE) and
removes it on a cancellation (METHOD:CANCEL). Times are UTC instants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Onstream//Onstream API v2//EN"


def event_uid(session_id: int, host: str) -> str:
    """The UID of a session's event; the same in every message about that session."""
    return f"session-{session_id}@{host}"


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
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.replace(tzinfo=UTC))
    event.add("dtstart", start_utc.replace(tzinfo=UTC))
    event.add("dtend", (start_utc + timedelta(minutes=duration_minutes)).replace(tzinfo=UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("location", vText(url))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    event.add("organizer", organizer)
    if attendee_email is not None:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())
