"""The iCalendar part of invitation e-mails, built with the `icalendar` library.

One session is one calendar event: its UID is stable for the session's whole life, so a
calendar client replaces the event on an update (METHOD:REQUEST with a higher SEQUENCE) and
removes it on a cancellation (METHOD:CANCEL). Times are UTC instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from onstream import bidi

if TYPE_CHECKING:
    from icalendar import Event

# `icalendar` is imported by the functions that build a calendar: a server process that sends
# no invitation and serves no calendar does not hold it (3 MB a process).

PRODID = "-//Onstream//Onstream API v2//EN"


def event_uid(session_id: int, host: str) -> str:
    """The UID of a session's event; the same in every message about that session."""
    return f"session-{session_id}@{host}"


def series_uid(series_id: int, host: str) -> str:
    """The UID of a recurring series' event; the same in every message about the series."""
    return f"series-{series_id}@{host}"


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
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    if name is not None:
        cal.add("x-wr-calname", bidi.isolated(name))
    for data in events:
        cal.add_component(_event(data, method="PUBLISH", stamp=stamp))
    return bytes(cal.to_ical())


def _event(data: EventData, *, method: str, stamp: datetime) -> Event:
    from icalendar import Event, vCalAddress, vText

    event = Event()
    event.add("uid", data.uid)
    event.add("sequence", data.sequence)
    event.add("dtstamp", stamp.replace(tzinfo=UTC))
    event.add("dtstart", data.start_utc.replace(tzinfo=UTC))
    end = data.start_utc + timedelta(minutes=data.duration_minutes)
    event.add("dtend", end.replace(tzinfo=UTC))
    event.add("summary", bidi.isolated(data.summary))  # a topic shows as it reads
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
    from icalendar import Calendar

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


@dataclass(frozen=True, slots=True)
class SeriesData:
    """A recurring series as one calendar event: its rule from the first occurrence on, the
    cancelled occurrences (EXDATE) and the ones moved on their own (RECURRENCE-ID)."""

    event: EventData
    """The first occurrence, with the series' UID and SEQUENCE."""
    tzid: str | None
    """The IANA zone the rule repeats in (so 09:00 stays 09:00 across DST); None: UTC."""
    rule: str
    excluded: list[datetime]
    """Planned UTC starts of cancelled occurrences."""
    moved: list[tuple[datetime, datetime]]
    """(planned UTC start, actual UTC start) of occurrences moved on their own."""


def series_calendar_part(data: SeriesData, *, method: str, stamp: datetime) -> bytes:
    """A VCALENDAR whose one recurring VEVENT (RRULE, EXDATE) and its overrides are the
    whole series, for `text/calendar; method=REQUEST`; same UID in every message."""
    from icalendar import Calendar, vRecur

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    zone = ZoneInfo(data.tzid) if data.tzid else UTC
    main = _event(data.event, method=method, stamp=stamp)
    _zoned(main, data.event.start_utc, data.event.duration_minutes, zone)
    main.add("rrule", vRecur.from_ical(data.rule))
    if data.excluded:
        main.add("exdate", [_aware(moment, zone) for moment in data.excluded])
    cal.add_component(main)
    for planned, actual in data.moved:
        override = _event(replace(data.event, start_utc=actual), method=method, stamp=stamp)
        _zoned(override, actual, data.event.duration_minutes, zone)
        override.add("recurrence-id", _aware(planned, zone))
        cal.add_component(override)
    if data.tzid:
        cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _aware(utc: datetime, zone: Any) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(zone)


def _zoned(event: Event, start_utc: datetime, minutes: int, zone: Any) -> None:
    """DTSTART and DTEND on the series' zone, which the rule repeats on."""
    for name in ("dtstart", "dtend"):
        event.pop(name, None)
    event.add("dtstart", _aware(start_utc, zone))
    event.add("dtend", _aware(start_utc + timedelta(minutes=minutes), zone))
