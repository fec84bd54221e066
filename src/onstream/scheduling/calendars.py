"""Sessions as iCalendar events: `GET session/id/N/format/ics` and the private feed.

Every event carries the UID and SEQUENCE the invitation e-mails give the session
(`mail.calendar.event_uid_at`, `sessions.sequence`), so a calendar that has the mailed event
and subscribes to the feed, or imports the download, holds one event that moves with the
session. The owner sees their host link; a registered invitee (`invitees.registered`) sees
their personal link and is the event's attendee, as in their invitation e-mail.
"""

from __future__ import annotations

from onstream import timezones
from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.invitees import registered
from onstream.invitees.registered import InvitedSession
from onstream.mail.calendar import EventData, calendar_of, event_uid_at
from onstream.sessions import service
from onstream.sessions.documents import host_link
from onstream.sessions.models import Session
from onstream.storage.database import Connection

FEED_UPCOMING = 500
FEED_PAST = 100
"""How many sessions of each kind a feed lists: every upcoming one a person plausibly has,
and the latest past ones, so that a calendar keeps recent history."""


def owned_event(session: Session, owner: Account, base_url: str) -> EventData:
    """The owner's view: their host link, no attendee."""
    link = host_link(base_url, owner, session)
    return _event(session, link=link, organizer=owner.email, attendee=None, reader=owner)


def invited_event(invited: InvitedSession, reader: Account, base_url: str) -> EventData:
    """A registered invitee's view: their personal link, themselves as the attendee."""
    link = invited.personal_session_link(base_url)
    return _event(
        invited.session,
        link=link,
        organizer=invited.owner.email,
        attendee=reader.email,
        reader=reader,
    )


def one_session(event: EventData) -> bytes:
    """A calendar with one event, for `GET session/id/N/format/ics`."""
    return calendar_of([event], stamp=utcnow())


async def feed(conn: Connection, account: Account, base_url: str) -> bytes:
    """The account's feed: its own sessions and those it is a registered invitee of, the
    upcoming ones and the latest past ones, earliest first."""
    events: list[tuple[Session, EventData]] = []
    for upcoming, count in ((True, FEED_UPCOMING), (False, FEED_PAST)):
        owned, _ = await service.timeline(conn, account, upcoming=upcoming, count=count, offset=0)
        events += [(s, owned_event(s, account, base_url)) for s in owned]
        invited, _ = await registered.invited_timeline(
            conn, account, upcoming=upcoming, count=count, offset=0
        )
        events += [(i.session, invited_event(i, account, base_url)) for i in invited]
    events.sort(key=lambda pair: (pair[0].start_utc, pair[0].id))
    name = f"Onstream: {account.login}"
    return calendar_of([event for _, event in events], stamp=utcnow(), name=name)


def _event(
    session: Session, *, link: str, organizer: str, attendee: str | None, reader: Account
) -> EventData:
    """The event, its description giving the start on the reader's clock by its place."""
    when = timezones.local_time(session.start_utc, reader.timezone, reader.dst).long_text
    return EventData(
        uid=event_uid_at(session.id, link),
        sequence=session.sequence,
        summary=session.topic,
        start_utc=session.start_utc,
        duration_minutes=session.duration,
        url=link,
        description=f"Starts: {when}\nJoin: {link}",
        organizer_email=organizer,
        attendee_email=attendee,
    )
