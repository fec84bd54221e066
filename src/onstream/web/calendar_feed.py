"""`/calendar/{token}.ics`: an account's private calendar feed, for calendar clients.

Calendar clients fetch a subscribed address on their own schedule and send no
credentials, so the random token in the address is the key (`users.calendar_feed`); an
unknown, renewed or turned-off token is 404 and tells nothing more. The events are those
of `scheduling.calendars.feed`: the account's own sessions and those it is a registered
invitee of, with the UIDs of the invitation e-mails.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from onstream.config import Settings
from onstream.scheduling import calendars
from onstream.storage.database import Database
from onstream.users import calendar_feed
from onstream.web.pages import not_found


class CalendarFeed:
    """The feed's one page."""

    def __init__(self, *, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def feed(self, request: Request) -> Response:
        """GET: the account's sessions as one calendar, or 404."""
        token = str(request.path_params.get("token", ""))
        async with self.database.transaction(write=False) as conn:
            account = await calendar_feed.account_of(conn, token)
            if account is None:
                return not_found()
            body = await calendars.feed(conn, account, self.settings.public_base_url)
        headers = {"cache-control": "private, no-cache", "x-robots-tag": "noindex"}
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
