"""API handlers of `series`: a recurring session as a whole (GET, POST, DELETE series).

A series is made by PUT session with `recurrence`; each occurrence is an ordinary session
(GET, POST and DELETE session work on it, and a POST or DELETE on one occurrence makes it an
exception of the series). These read a series, change its upcoming occurrences, or cancel
them.
"""

from __future__ import annotations

from typing import Any

from onstream.protocol.describe import ID, Operation, Param, described, list_of
from onstream.protocol.document import Document
from onstream.protocol.resources import Reply, message
from onstream.protocol.times import iso_utc
from onstream.scheduling import series as recurring
from onstream.scheduling.routes import change_of
from onstream.services import ApiCall
from onstream.sessions import routes as sessions
from onstream.sessions import series
from onstream.sessions.models import SessionInput
from onstream.sessions.series import Series

SERIES_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "recurrence": {"type": "string"},
        "occurrences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "start_time_utc": {"type": "string"},
                    "cancelled": {"type": "boolean"},
                    "exception": {"type": "boolean"},
                },
            },
        },
    },
}
CHANGE_PARAMS = (
    ID,
    *(p for p in sessions.SESSION_PARAMS if p.name in recurring.SERIES_FIELDS),
    Param(
        "time",
        description="HH:MM[:SS]: the new wall time of day of every upcoming occurrence",
        example="09:30",
    ),
)


def _series_document(found: Series) -> Document:
    rows = [
        {
            "id": s.id,
            "start_time_utc": iso_utc(s.start_utc),
            "cancelled": s.deleted_at is not None,
            "exception": series.is_exception(s),
        }
        for s in found.occurrences
    ]
    item = {"id": found.id, "recurrence": found.rule, "occurrences": rows}
    return Document(
        {"series": [item]}, root="root", item_names={"series": "series", "occurrences": "session"}
    )


def _series_id(call: ApiCall) -> int:
    return sessions.session_id(call.params)


@described(
    Operation(
        "One recurring series and its occurrences",
        (ID,),
        list_of("series", SERIES_ITEM),
        by_id=True,
    )
)
async def get_series(call: ApiCall) -> Reply:
    """GET series/id/N: the rule and every occurrence (cancelled ones marked)."""
    return Reply(_series_document(await series.get(call.conn, call.account, _series_id(call))))


@described(Operation("Change every upcoming occurrence of a series", CHANGE_PARAMS))
async def post_series(call: ApiCall) -> Reply:
    """POST series: topic, duration, password or time of day of the upcoming occurrences."""
    series_id = _series_id(call)
    data = SessionInput(
        topic=call.params.text("topic", strip=False),
        duration=call.params.integer("duration"),
        password=call.params.text("password", strip=False),
    )
    time = call.params.text("time")
    await recurring.update_series(change_of(call), series_id, data, time=time)
    return Reply(message("Series updated", id=series_id))


@described(Operation("Cancel every upcoming occurrence of a series", (ID,), by_id=True))
async def delete_series(call: ApiCall) -> Reply:
    """DELETE series/id/N: each upcoming occurrence is deleted as DELETE session does."""
    series_id = _series_id(call)
    cancelled = await recurring.cancel_series(change_of(call), series_id)
    return Reply(message("Series was cancelled", id=series_id, sessions=cancelled))
