"""When a room is open: `room_opens_minutes` before the start until the end plus a grace period.

The grace period lets a meeting that runs late go on; past it the room is closed for
everybody. A moderator may end it earlier; an ended room never opens again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from onstream.meetings.models import Phase

MODERATOR, PARTICIPANT, OBSERVER = 1, 2, 3
PUBLISHING_ROLES = frozenset({MODERATOR, PARTICIPANT})


def opens_at(start_utc: datetime, *, opens_minutes: int) -> datetime:
    """When the room opens."""
    return start_utc - timedelta(minutes=opens_minutes)


def closes_at(start_utc: datetime, duration: int, *, grace_minutes: int) -> datetime:
    """When the room closes unless a moderator ended it before."""
    return start_utc + timedelta(minutes=duration + grace_minutes)


def phase(
    now: datetime,
    *,
    start_utc: datetime,
    duration: int,
    opens_minutes: int,
    grace_minutes: int,
    ended: bool,
) -> Phase:
    """Whether the room is not yet open, open, or over."""
    if ended or now >= closes_at(start_utc, duration, grace_minutes=grace_minutes):
        return Phase.ENDED
    if now < opens_at(start_utc, opens_minutes=opens_minutes):
        return Phase.EARLY
    return Phase.OPEN
