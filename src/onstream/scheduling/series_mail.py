"""One e-mail per invitee for a whole recurring series, whose calendar part is the series:
RRULE from the first planned occurrence, EXDATE for each cancelled occurrence, and a
RECURRENCE-ID override for each occurrence moved on its own, under one UID for the series'
life. Invitees of a series are invited to every occurrence without a mail per occurrence
(their invitations are not marked mailed, so the one-session mail does not reach them).
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import urlsplit

from onstream import timezones
from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.invitees import mailing
from onstream.invitees import repository as invitations
from onstream.mail import messages, outbox
from onstream.mail.calendar import EventData, SeriesData, series_calendar_part, series_uid
from onstream.sessions import series
from onstream.sessions.series import Series
from onstream.storage.database import Connection


class Change(Protocol):
    """What a series mail needs of `scheduling.service.Change` (named here by shape, as
    that module calls this one)."""

    @property
    def conn(self) -> Connection:
        """The change's transaction."""

    @property
    def owner(self) -> Account:
        """The series' account."""

    @property
    def settings(self) -> Settings:
        """Mail sender and public base URL."""

    def invitees(self) -> object:
        """Makes sure mail queued in the change is sent after the commit."""


_UNTIL = re.compile(r"(?i)UNTIL=[0-9TZ]+")


async def mail_series(change: Change, series_id: int, *, kind: str) -> int:
    """Queue the series' calendar to everyone invited to all of its live occurrences (the
    series' invitees; one invited to a single occurrence hears of that one); returns how
    many messages. `kind` is invitation, update or cancel."""
    change.invitees()
    found = await series.get(change.conn, change.owner, series_id)
    live = found.live()
    if not live:
        return 0
    recipients: dict[str, mailing.Recipient] = {}
    everywhere: set[str] | None = None
    for occurrence in live:
        rows = await invitations.invitees_of(change.conn, occurrence.id)
        for row in rows:
            recipients.setdefault(row.email, mailing.recipient_of(row))
        emails = {row.email for row in rows}
        everywhere = emails if everywhere is None else everywhere & emails
    for email in sorted(everywhere or ()):
        recipient = recipients[email]
        await _queue(change, found, recipient, kind=kind)
    return len(everywhere or ())


async def _queue(change: Change, found: Series, recipient: mailing.Recipient, *, kind: str) -> None:
    owner, settings = change.owner, change.settings
    first = found.live()[0]
    planned_first = found.occurrences[0].occurrence or first.start_utc
    link = mailing.personal_link(settings, owner, recipient.token)
    sequence = sum(s.sequence for s in found.occurrences)
    registered = bool(await invitations.account_zones(change.conn, [recipient.email]))
    invite = messages.Invitation(
        kind=kind,
        session_id=first.id,
        sequence=sequence,
        topic=first.topic,
        start_utc=first.start_utc,
        duration=first.duration,
        passcode=mailing.passcode_for(first, role=recipient.role, registered=registered),
        access_code=first.access_code,
        link=link,
        recipient_email=recipient.email,
        recipient_name=f"{recipient.first_name} {recipient.last_name}".strip(),
        host_name=await invitations.display_name(change.conn, owner.id),
        host_email=owner.email,
        zone=first.timezone,
        dst=owner.dst,
        dial_in=settings.dial_in_list,
    )
    last = found.occurrences[-1].occurrence or found.occurrences[-1].start_utc
    first_when = messages.format_when(invite.start_utc, zone=invite.zone, dst=invite.dst)
    data = SeriesData(
        event=EventData(
            uid=series_uid(found.id, urlsplit(link).hostname or "onstream"),
            sequence=sequence,
            summary=first.topic,
            start_utc=planned_first,
            duration_minutes=first.duration,
            url=link,
            description=f"First: {first_when}\nJoin: {link}",
            organizer_email=owner.email,
            attendee_email=recipient.email,
        ),
        tzid=repeating_zone(first.timezone, dst=owner.dst),
        rule=_UNTIL.sub(f"UNTIL={last:%Y%m%dT%H%M%S}Z", found.rule),
        excluded=[s.occurrence for s in found.occurrences if s.deleted_at and s.occurrence],
        moved=[
            (s.occurrence, s.start_utc)
            for s in found.live()
            if series.is_exception(s) and s.occurrence
        ],
    )
    now = utcnow()
    method = "CANCEL" if kind == "cancel" else "REQUEST"
    ics = series_calendar_part(data, method=method, stamp=now)
    message = messages.build(invite, sender=settings.mail_from, now=now, ics=ics)
    await outbox.enqueue(change.conn, kind=kind, session_id=first.id, message=message)


def repeating_zone(name: str, *, dst: bool) -> str | None:
    """The IANA zone whose wall clock is the session's: an IANA name itself, a code with DST
    on its region. A fixed-offset code repeats in UTC (None), which is the same instants."""
    code = timezones.CODES.get(name)
    if code is None:
        return name
    return code.region if dst and code.region else None
