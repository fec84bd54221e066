"""`/account` (the account's sessions: now, upcoming and past) and `/account/sessions/{id}`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.responses import Response

from onstream import timezones
from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Deleted, Missing
from onstream.invitees import mailing, registered
from onstream.invitees import service as invitees
from onstream.invitees.models import ROLE_NAMES
from onstream.meetings import repository as room_repository
from onstream.meetings import rules as room_rules
from onstream.meetings.models import Phase
from onstream.recordings import service as recordings
from onstream.recordings.documents import recording_link
from onstream.sessions import documents, rules
from onstream.sessions import service as sessions
from onstream.sessions.models import Session
from onstream.storage.database import Connection
from onstream.web.account import deliveries
from onstream.web.account.framework import Visit, account_page
from onstream.web.pages import duration, not_found
from onstream.web.queries import shared_files

PAGE_SIZE = 20
NOW_MAX = 50
"""Meetings listed under Now at most (the account's own, then those it is invited to)."""
NOW_SCAN = 100
"""Sessions read at a time while looking for those whose room is open."""
RECORDINGS_SHOWN = 100
RECORDINGS_LISTED = 5
"""Recordings a past session shows in the list (all of them are on the session's page)."""


def local_time(session: Session, account: Account) -> str:
    """`Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST`: the start on the account's
    clock (its zone and DST flag), named by its place (`timezones.local_time`)."""
    return timezones.local_time(session.start_utc, account.timezone, account.dst).long_text


def summary(visit: Visit, session: Session) -> dict[str, object]:
    """What a list and the detail page show of a session."""
    base = visit.settings.public_base_url
    return {
        "id": session.id,
        "topic": session.topic,
        "when": local_time(session, visit.account),
        "duration": duration(session.duration),
        "link": documents.session_link(base, visit.account, session),
        "host_link": documents.host_link(base, visit.account, session),
    }


def _offset(visit: Visit, name: str) -> int:
    text = visit.request.query_params.get(name, "0")
    return max(0, min(int(text), 10**9)) if text.isdigit() else 0


def invited_summary(visit: Visit, invited: registered.InvitedSession) -> dict[str, object]:
    """What the lists show of a session the account is invited to: on the reader's own
    clock, with the reader's own link and role (CONTRACT §6a), never the owner's links; the
    passcode as the reader's mail and GET session give it (a moderator's only)."""
    session = invited.session
    return {
        "id": session.id,
        "topic": session.topic,
        "when": local_time(session, visit.account),
        "duration": duration(session.duration),
        "owner": invited.owner.name,
        "role": ROLE_NAMES.get(invited.role, ""),
        "link": invited.personal_session_link(visit.settings.public_base_url),
        "passcode": mailing.passcode_for(session, role=invited.role, registered=True),
    }


def _page(items: list[dict[str, object]], offset: int, more: bool) -> dict[str, object]:
    return {
        "items": items,
        "offset": offset,
        "previous": max(0, offset - PAGE_SIZE) if offset else None,
        "next": offset + PAGE_SIZE if more else None,
    }


@dataclass(frozen=True, slots=True)
class Hours:
    """The meeting room's hours, as the lobbies keep them (`meetings.rules`)."""

    now: datetime
    opens_minutes: int
    grace_minutes: int

    def phase(self, session: Session, ended: set[int]) -> Phase:
        """Where the session's meeting stands: EARLY (Upcoming), OPEN (Now), ENDED (Past)."""
        return room_rules.phase(
            self.now,
            start_utc=session.start_utc,
            duration=session.duration,
            opens_minutes=self.opens_minutes,
            grace_minutes=self.grace_minutes,
            ended=session.id in ended,
        )

    def range_of(self, phase: Phase) -> tuple[datetime | None, datetime | None]:
        """(since, before) of the starts that may be in this phase; the few near its edges
        that are not are left out in Python (`phase`), so a page may hold fewer."""
        opens = self.now + timedelta(minutes=self.opens_minutes)
        if phase is Phase.EARLY:
            return opens, None
        if phase is Phase.ENDED:
            return None, opens + timedelta(seconds=1)
        longest = timedelta(minutes=rules.DURATION_MAX + self.grace_minutes)
        return self.now - longest, opens + timedelta(seconds=1)


def hours_of(visit: Visit) -> Hours:
    """The room's hours now, from the server's settings."""
    settings = visit.settings
    return Hours(utcnow(), settings.room_opens_minutes, settings.room_grace_minutes)


async def _recordings_of(
    visit: Visit, conn: Connection, session: Session
) -> list[dict[str, object]]:
    found = await recordings.page(
        conn,
        visit.account,
        session_id=session.id,
        count=RECORDINGS_LISTED,
        offset=0,
        descending=True,
    )
    base = visit.settings.public_base_url
    return [{"id": r.id, "title": r.title, "link": recording_link(base, r)} for r in found]


async def _own(
    visit: Visit, conn: Connection, hours: Hours, phase: Phase, *, count: int, offset: int
) -> tuple[list[dict[str, object]], bool]:
    """One page of the account's sessions in this phase (past ones with their recordings),
    and whether more may follow."""
    since, before = hours.range_of(phase)
    found, more = await sessions.starting(
        conn, visit.account, since=since, before=before, count=count, offset=offset
    )
    ended = await room_repository.ended_among(conn, [s.id for s in found])
    items = []
    for session in found:
        if hours.phase(session, ended) is phase:
            item = summary(visit, session)
            if phase is Phase.ENDED:
                item["recordings"] = await _recordings_of(visit, conn, session)
            items.append(item)
    return items, more


async def _invited(
    visit: Visit, conn: Connection, hours: Hours, phase: Phase, *, count: int, offset: int
) -> tuple[list[dict[str, object]], bool]:
    """One page of the sessions the account is invited to in this phase, and whether more
    may follow."""
    since, before = hours.range_of(phase)
    found, more = await registered.invited_starting(
        conn, visit.account, since=since, before=before, count=count, offset=offset
    )
    ended = await room_repository.ended_among(conn, [i.session.id for i in found])
    items = [invited_summary(visit, i) for i in found if hours.phase(i.session, ended) is phase]
    return items, more


async def _open_now(visit: Visit, conn: Connection, hours: Hours) -> list[dict[str, object]]:
    """The meetings whose room is open, the account's own first, up to `NOW_MAX`: every
    session that started within the longest meeting plus the grace period is looked at."""
    found: list[dict[str, object]] = []
    for read in (_own, _invited):
        offset, more = 0, True
        while more and len(found) < NOW_MAX:
            items, more = await read(visit, conn, hours, Phase.OPEN, count=NOW_SCAN, offset=offset)
            found += items
            offset += NOW_SCAN
    return found[:NOW_MAX]


@account_page
async def home(visit: Visit) -> Response:
    """The account's sessions in three lists by the meeting room's hours: Now (the room is
    open: from `room_opens_minutes` before the start until it closes), Upcoming (earliest
    first) and Past (latest first, with their recordings); beside them the sessions of other
    accounts it is a registered invitee of. Upcoming and Past are paged on their own; Now
    shows up to `NOW_MAX`, the account's own first."""
    hours = hours_of(visit)
    lists: dict[str, dict[str, object]] = {}
    async with visit.transaction(write=False) as conn:
        lists["now"] = _page(await _open_now(visit, conn, hours), 0, False)
        for name, phase in (("upcoming", Phase.EARLY), ("past", Phase.ENDED)):
            for key, read in ((name, _own), (f"invited_{name}", _invited)):
                offset = _offset(visit, key)
                items, more = await read(visit, conn, hours, phase, count=PAGE_SIZE, offset=offset)
                lists[key] = _page(items, offset, more)
    return visit.render("account/home.html", {"lists": lists, "page_size": PAGE_SIZE})


@account_page
async def session_detail(visit: Visit) -> Response:
    """One session of the account: links, invitees, shared files, recordings. A session of
    another account, or none, is the same 404 page as every link that leads nowhere."""
    return await show_session(visit, visit.request.path_params["session_id"])


async def show_session(
    visit: Visit, session_id: int, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    """The session's page, with the errors of one of its invitee forms when it was refused
    (what was typed stays in its fields)."""
    async with visit.transaction(write=False) as conn:
        try:
            session = await sessions.get(conn, visit.account, session_id)
        except (Missing, Deleted):
            return not_found()
        groups = await invitees.grouped(conn, visit.settings, visit.account, session, "all")
        files = await shared_files(conn, session.id)
        ended = await room_repository.ended_among(conn, [session.id])
        addresses = [p["email"] for members in groups.values() for p in members]
        mail, mail_others = await deliveries.by_address(conn, session.id, visit.account, addresses)
        found = await recordings.page(
            conn,
            visit.account,
            session_id=session.id,
            count=RECORDINGS_SHOWN,
            offset=0,
            descending=True,
        )
    base = visit.settings.public_base_url
    context = {
        "session": summary(visit, session),
        "zone_time": timezones.local_time(
            session.start_utc, session.timezone, visit.account.dst
        ).long_text,
        "own_clock": timezones.shown_zone(session.timezone, visit.account.dst)
        == timezones.shown_zone(visit.account.timezone, visit.account.dst),
        "passcode": session.password,
        "auto_record": session.auto_record,
        "series_id": session.series_id,
        "phase": hours_of(visit).phase(session, ended).value,
        "in_past": rules.end_utc(session.start_utc, session.duration) <= utcnow(),
        "groups": groups,
        "mail": mail,
        "mail_others": mail_others,
        "files": files,
        "recordings": [
            {"id": r.id, "title": r.title, "link": recording_link(base, r)} for r in found
        ],
        "roles": [(str(number), name.capitalize()) for number, name in ROLE_NAMES.items()],
    }
    return visit.render("account/session.html", context, errors=errors, status=status)
