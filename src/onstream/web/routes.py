"""The routes of the pages behind the links the API hands out (CONTRACT §5, §6, §9).

Lobbies, the meeting room and its moderation live in `web.meeting`; the relay to Janus, under
each room's address, in `web.relay`.
Every route whose first segment is a login is an `AccountRoute`, so the server's own first
segments (`api`, `play`, `static`, `janus`, ...) are never taken for one.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Scope

from onstream.config import Settings
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms
from onstream.storage.database import Database
from onstream.throttle import Throttle
from onstream.users import calendar_feed
from onstream.users.rules import RESERVED_LOGINS
from onstream.web.calendar_feed import CalendarFeed
from onstream.web.meeting import MeetingPages
from onstream.web.relay import JanusRelay

ROOM = "/{username}/room/{secret}"
"""One admission's room; its people, moderation and Janus relay lie below it."""


class AccountRoute(Route):
    """A route whose first segment is an account's login.

    It never matches a reserved first segment (`api`, `play`, `static`, ...), so the
    server's own paths keep their routes wherever these routes stand in the list.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's matching, minus paths whose username is a reserved word."""
        return _not_reserved(*super().matches(scope))


class AccountWebSocketRoute(WebSocketRoute):
    """`AccountRoute` for a WebSocket: never a reserved first segment."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's matching, minus paths whose username is a reserved word."""
        return _not_reserved(*super().matches(scope))


def _not_reserved(match: Match, child_scope: Scope) -> tuple[Match, Scope]:
    if match is not Match.NONE:
        username = str(child_scope["path_params"].get("username", ""))
        if username.lower() in RESERVED_LOGINS:
            return Match.NONE, {}
    return match, child_scope


def web_routes(
    database: Database,
    settings: Settings,
    rooms: JanusRooms,
    relay: JanusRelay,
    *,
    changes: RoomChanges,
    throttle: Throttle | None = None,
) -> list[BaseRoute]:
    """The pages' routes; `create_app` lists them after the API's and the other pages'."""
    pages = MeetingPages(
        database=database, settings=settings, rooms=rooms, changes=changes, throttle=throttle
    )
    feed = CalendarFeed(database=database, settings=settings)
    both = ["GET", "POST"]
    return [
        Route(f"{calendar_feed.PATH}/{{token}}{calendar_feed.SUFFIX}", feed.feed, methods=["GET"]),
        AccountWebSocketRoute(f"{ROOM}/janus/{{index:int}}/ws", relay.websocket),
        AccountRoute(f"{ROOM}/janus/{{index:int}}", relay.handle, methods=both),
        AccountRoute(f"{ROOM}/janus/{{index:int}}/{{path:path}}", relay.handle, methods=both),
        AccountRoute("/{username}/go/{token}/calendar.ics", pages.calendar, methods=["GET"]),
        AccountRoute("/{username}/go/{token}", pages.personal, methods=both),
        AccountRoute("/{username}/host/{key}", pages.host, methods=both),
        AccountRoute(f"{ROOM}/people", pages.people, methods=["GET"]),
        AccountRoute(f"{ROOM}/moderate", pages.moderate, methods=["POST"]),
        AccountRoute(f"{ROOM}/join", pages.join, methods=["GET"]),
        AccountRoute(ROOM, pages.room, methods=["GET"]),
        AccountRoute("/{username}/{key}/calendar.ics", pages.public_calendar, methods=["GET"]),
        AccountRoute("/{username}/{key}", pages.public, methods=both),
    ]
