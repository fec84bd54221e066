"""`/account/series`: recurring series: the list, one series with its occurrences, and
"Cancel the series"; and the new-session form's "Repeats" choice, which makes one.

A series is what PUT session with `recurrence` makes (`scheduling.series`): one ordinary
session per occurrence, each on the account's pages like any other. The form offers the two
rules people ask for most, daily and weekly, for a number of occurrences; the API takes any
bounded RRULE. Cancelling deletes every upcoming occurrence as DELETE series does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from starlette.responses import Response

from onstream.errors import Deleted, Invalid, Missing
from onstream.scheduling import series as recurring
from onstream.sessions import recurrence, repository
from onstream.sessions import series as series_rows
from onstream.sessions.models import SessionInput
from onstream.web.account.framework import PATH, Visit, account_page
from onstream.web.account.home import local_time
from onstream.web.account.tokens import on_clock
from onstream.web.pages import not_found

REPEATS = [("", "Does not repeat"), ("DAILY", "Every day"), ("WEEKLY", "Every week")]
LISTED = 100
FIELDS = {"recurrence": "occurrences", "occurrences": "occurrences"}
"""Errors of the rule go beside the number of occurrences, the one part typed."""
_WORDS = {"DAILY": "every day", "WEEKLY": "every week", "MONTHLY": "every month"}


def repeat_rule(form: Mapping[str, str]) -> str | None:
    """The RRULE the form's "Repeats" asks for, or None for a single session."""
    frequency = form.get("repeat", "")
    if not frequency:
        return None
    if frequency not in {"DAILY", "WEEKLY"}:
        raise Invalid("repeat must be every day, every week, or not at all")
    count = form.get("occurrences", "").strip()
    top = recurrence.MAX_OCCURRENCES
    if not count.isdigit() or not 2 <= int(count) <= top:
        raise Invalid(f"occurrences must be a whole number from 2 to {top}")
    return f"FREQ={frequency};COUNT={int(count)}"


def with_rule(data: SessionInput, rule: str) -> SessionInput:
    """The new session's fields as PUT session with `recurrence` gives them."""
    return replace(data, recurrence=rule)


def described(rule: str) -> str:
    """`every week, 6 times`: the rules the form makes, in words; any other as it is."""
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    words = _WORDS.get(parts.get("FREQ", ""))
    if words is None or set(parts) - {"FREQ", "COUNT", "INTERVAL", "BYDAY", "UNTIL"}:
        return rule
    if parts.get("COUNT"):
        words += f", {parts['COUNT']} times"
    return words if set(parts) <= {"FREQ", "COUNT"} else f"{words} ({rule})"


@account_page
async def series_list(visit: Visit) -> Response:
    """GET: the account's series, newest first, each with its live occurrences."""
    async with visit.transaction(write=False) as conn:
        rows = await repository.series_summaries(conn, owner_id=visit.account.id, count=LISTED)
    items = [
        {
            "id": row.id,
            "topic": row.topic,
            "rule": described(row.rule),
            "live": row.live,
            "first": on_clock(row.first, visit.account),
            "last": on_clock(row.last, visit.account),
        }
        for row in rows
    ]
    return visit.render("account/series_list.html", {"series": items})


def _series_id(visit: Visit) -> int:
    return int(visit.request.path_params["series_id"])


@account_page
async def series_page(visit: Visit) -> Response:
    """GET: one series: its rule and every occurrence (cancelled and moved ones marked)."""
    try:
        async with visit.transaction(write=False) as conn:
            found = await series_rows.get(conn, visit.account, _series_id(visit))
    except Missing:
        return not_found()
    occurrences = [
        {
            "id": s.id,
            "topic": s.topic,
            "when": local_time(s, visit.account),
            "cancelled": s.deleted_at is not None,
            "moved": series_rows.is_exception(s),
        }
        for s in found.occurrences
    ]
    context = {"series": {"id": found.id, "rule": described(found.rule)}, "items": occurrences}
    return visit.render("account/series.html", context)


@account_page
async def cancel(visit: Visit) -> Response:
    """POST: delete every upcoming occurrence (mailed invitees get a cancellation)."""
    try:
        async with visit.change() as change:
            await recurring.cancel_series(change, _series_id(visit))
    except (Missing, Deleted):
        return not_found()
    return visit.redirect(f"{PATH}/series", flash="series-cancelled")
