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

from onstream.clock import utcnow
from onstream.errors import Deleted, DomainError, Invalid, Missing
from onstream.protocol.errors import BadRequest
from onstream.protocol.params import Params
from onstream.scheduling import series as recurring
from onstream.sessions import recurrence, repository, rules
from onstream.sessions import series as series_rows
from onstream.sessions.models import SessionInput
from onstream.sessions.series import Series
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.account.home import local_time
from onstream.web.account.tokens import on_clock
from onstream.web.pages import not_found

CHANGE_FIELDS = ("topic", "duration", "password", "time")
"""What "Change every upcoming session" sets, as POST series takes them."""
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


def current(found: Series, visit: Visit) -> dict[str, str]:
    """The change form's values: those of the next upcoming occurrence (its time of day on
    its own zone's clock), or empty when none is left."""
    upcoming = found.upcoming(utcnow())
    if not upcoming:
        return dict.fromkeys(CHANGE_FIELDS, "")
    first = upcoming[0]
    wall = rules.utc_to_wall(first.start_utc, timezone=first.timezone, dst=visit.account.dst)
    return {
        "topic": first.topic,
        "duration": str(first.duration),
        "password": first.password or "",
        "time": f"{wall:%H:%M}",
    }


def change_of(form: dict[str, str], before: dict[str, str]) -> tuple[SessionInput, str | None]:
    """What POST series would be sent: the fields that differ from `before`, read by the
    API's parameter reader (an emptied passcode removes it)."""
    raw = {name: form.get(name, "") for name in CHANGE_FIELDS if form.get(name, "") != before[name]}
    params = Params(raw)
    data = SessionInput(
        topic=params.text("topic", strip=False),
        duration=params.integer("duration"),
        password=params.text("password", strip=False),
    )
    return data, params.text("time")


async def _series(
    visit: Visit, series_id: int, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    try:
        async with visit.transaction(write=False) as conn:
            found = await series_rows.get(conn, visit.account, series_id)
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
    context = {
        "series": {"id": found.id, "rule": described(found.rule)},
        "items": occurrences,
        # a posted form shown again keeps what was typed; a field a hand-made form left out
        # is shown empty (the template reads every field)
        "values": {**dict.fromkeys(CHANGE_FIELDS, ""), **visit.form}
        if visit.form
        else current(found, visit),
        "upcoming": bool(found.upcoming(utcnow())),
    }
    return visit.render("account/series.html", context, errors=errors, status=status)


@account_page
async def series_page(visit: Visit) -> Response:
    """GET: one series: its rule, every occurrence (cancelled and moved ones marked), and the
    form that changes every upcoming one; POST: that change, as POST series does."""
    series_id = _series_id(visit)
    if visit.request.method == "GET":
        return await _series(visit, series_id)
    try:
        async with visit.transaction(write=False) as conn:
            before = current(await series_rows.get(conn, visit.account, series_id), visit)
        data, time = change_of(visit.form, before)
        async with visit.change() as change:
            await recurring.update_series(change, series_id, data, time=time)
    except (Missing, Deleted):
        return not_found()
    except (DomainError, BadRequest) as exc:
        errors = errors_for(exc, CHANGE_FIELDS)
        return await _series(visit, series_id, errors=errors, status=400)
    return visit.redirect(f"{PATH}/series/{series_id}", flash="series-saved")


@account_page
async def cancel(visit: Visit) -> Response:
    """POST: delete every upcoming occurrence (mailed invitees get a cancellation)."""
    try:
        async with visit.change() as change:
            await recurring.cancel_series(change, _series_id(visit))
    except (Missing, Deleted):
        return not_found()
    return visit.redirect(f"{PATH}/series", flash="series-cancelled")
