"""`/account` (the account's sessions, upcoming and past) and `/account/sessions/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from onstream import timezones
from onstream.accounts import Account
from onstream.errors import Deleted, Missing
from onstream.invitees import registered
from onstream.invitees import service as invitees
from onstream.invitees.models import ROLE_NAMES
from onstream.recordings import service as recordings
from onstream.recordings.documents import recording_link
from onstream.sessions import documents
from onstream.sessions import service as sessions
from onstream.sessions.models import Session
from onstream.web.account.framework import Visit, account_page
from onstream.web.pages import duration, not_found
from onstream.web.queries import shared_files

PAGE_SIZE = 20
RECORDINGS_SHOWN = 100


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
    clock, with the reader's own link and role (CONTRACT §6a), never the owner's links."""
    session = invited.session
    return {
        "id": session.id,
        "topic": session.topic,
        "when": local_time(session, visit.account),
        "duration": duration(session.duration),
        "owner": invited.owner.name,
        "role": ROLE_NAMES.get(invited.role, ""),
        "link": invited.personal_session_link(visit.settings.public_base_url),
    }


def _page(items: list[dict[str, object]], offset: int, more: bool) -> dict[str, object]:
    return {
        "items": items,
        "offset": offset,
        "previous": max(0, offset - PAGE_SIZE) if offset else None,
        "next": offset + PAGE_SIZE if more else None,
    }


@account_page
async def home(visit: Visit) -> Response:
    """The account's upcoming sessions (earliest first) and past ones (latest first), and
    those of other accounts it is a registered invitee of, each list paged on its own."""
    lists = {}
    async with visit.transaction(write=False) as conn:
        for name, upcoming in (("upcoming", True), ("past", False)):
            offset = _offset(visit, name)
            found, more = await sessions.timeline(
                conn, visit.account, upcoming=upcoming, count=PAGE_SIZE, offset=offset
            )
            lists[name] = _page([summary(visit, s) for s in found], offset, more)
            key = f"invited_{name}"
            offset = _offset(visit, key)
            invited, more = await registered.invited_timeline(
                conn, visit.account, upcoming=upcoming, count=PAGE_SIZE, offset=offset
            )
            lists[key] = _page([invited_summary(visit, i) for i in invited], offset, more)
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
        "has_passcode": session.password is not None,
        "groups": groups,
        "files": files,
        "recordings": [
            {"id": r.id, "title": r.title, "link": recording_link(base, r)} for r in found
        ],
        "roles": [(str(number), name.capitalize()) for number, name in ROLE_NAMES.items()],
    }
    return visit.render("account/session.html", context, errors=errors, status=status)
