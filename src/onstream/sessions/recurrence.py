"""The `recurrence` field: an RFC 5545 RRULE expanded into occurrences, as pure functions.

The rule is expanded on the session's wall clock (dateutil.rrule on naive wall times), and
each occurrence is then turned into its UTC instant with the session's own zone rules, so a
weekly 09:00 meeting in a zone that follows DST stays at 09:00 local on both sides of a
change. A rule must be bounded (COUNT or UNTIL) and yield at most MAX_OCCURRENCES
occurrences within MAX_SPAN of the first: every occurrence is a row, written in the request.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from onstream.errors import Invalid
from onstream.protocol.times import wall_text
from onstream.sessions import rules

MAX_OCCURRENCES = 100
MAX_SPAN = timedelta(days=731)
"""About two years from the first occurrence to the last."""
RRULE_MAX = 500
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
"""Shorter frequencies would make occurrences overlap their own duration."""
_DAY = timedelta(days=1)
_UNTIL = re.compile(r"(?i)\bUNTIL=([0-9T]+Z?)")


def check_rule(text: str) -> str:
    """The rule as it is stored: `FREQ=...` without a `RRULE:` prefix or DTSTART."""
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule or len(rule) > RRULE_MAX or "\n" in rule or ":" in rule:
        raise Invalid("recurrence must be one RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO;COUNT=10")
    return rule


def expand(
    text: str, *, start_wall: datetime, timezone: str, dst: bool, duration: int
) -> list[datetime]:
    """The UTC starts of every occurrence of `text` from `start_wall` (the first one), each
    of which, `duration` minutes long, lies within the dates the server keeps."""
    rules.start_utc(start_wall, timezone=timezone, dst=dst, duration=duration)  # names start_time
    rule = _parse(_wall_until(check_rule(text), timezone=timezone, dst=dst), start_wall)
    walls = list(rule.xafter(start_wall, count=MAX_OCCURRENCES + 1, inc=True))
    if not walls:
        raise Invalid("recurrence yields no occurrence from start_time")
    if len(walls) > MAX_OCCURRENCES:
        raise Invalid(f"recurrence yields more than {MAX_OCCURRENCES} occurrences")
    if walls[-1] - walls[0] > MAX_SPAN:
        raise Invalid("recurrence must end within two years of start_time")
    return [_utc(wall, timezone=timezone, dst=dst, duration=duration) for wall in walls]


def _parse(rule_text: str, start_wall: datetime) -> rrule:
    names = {part.split("=", 1)[0].strip().upper(): part for part in rule_text.split(";")}
    if "COUNT" in names and "UNTIL" in names:
        # checked first: dateutil only warns, and will refuse it in a future version
        raise Invalid("recurrence must end by COUNT or by UNTIL, not both (RFC 5545)")
    try:
        rule = rrulestr(rule_text, dtstart=start_wall)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # dateutil's own text ("not enough values to unpack") tells a client nothing
        raise Invalid(
            "recurrence is not a valid RRULE: give NAME=VALUE parts separated by ';', "
            "such as FREQ=WEEKLY;BYDAY=MO;COUNT=10"
        ) from exc
    if not isinstance(rule, rrule):
        raise Invalid("recurrence must be one RRULE")
    if names.get("FREQ", "").split("=")[-1].strip().upper() not in FREQUENCIES:
        raise Invalid("recurrence FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" not in names and "UNTIL" not in names:
        raise Invalid(f"recurrence must end: give COUNT (at most {MAX_OCCURRENCES}) or UNTIL")
    return rule


def _wall_until(rule: str, *, timezone: str, dst: bool) -> str:
    """UNTIL as a wall time of the session's zone: a UTC value (`...Z`, as RFC 5545 wants
    with a zoned start) is converted, a date alone means the end of that day, and one
    beyond the last date kept means that date."""
    match = _UNTIL.search(rule)
    if match is None:
        return rule
    value = match.group(1).upper()
    try:
        if value.endswith("Z"):
            utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ")
            utc = max(utc, rules.EARLIEST_UTC - _DAY)  # before any start: still none
            wall = rules.utc_to_wall(min(utc, rules.LATEST_UTC), timezone=timezone, dst=dst)
        elif "T" in value:
            wall = datetime.strptime(value, "%Y%m%dT%H%M%S")
        else:
            wall = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
    except ValueError as exc:
        raise Invalid(f"recurrence UNTIL '{match.group(1)}' is not like 20300131T235959Z") from exc
    # No session lies beyond the dates the server keeps, so an UNTIL beyond them (the
    # calendar's last day, as some clients write "for ever") means their edge.
    wall = min(wall, rules.utc_to_wall(rules.LATEST_UTC, timezone=timezone, dst=dst))
    return rule[: match.start(1)] + f"{wall:%Y%m%dT%H%M%S}" + rule[match.end(1) :]


def _utc(wall: datetime, *, timezone: str, dst: bool, duration: int) -> datetime:
    try:
        start = rules.wall_to_utc(wall, timezone=timezone, dst=dst)
    except rules.OutOfRange:
        start = rules.LATEST_UTC  # beyond the range on every clock: refused just below
    except Invalid as exc:
        raise Invalid(
            f"recurrence has an occurrence at {wall:%Y-%m-%d %H:%M}, which the clocks of "
            f"{timezone} skip"
        ) from exc
    if not rules.in_range(start, duration):
        raise rules.OutOfRange(
            f"recurrence has an occurrence at {wall:%Y-%m-%d %H:%M}, after "
            f"{wall_text(rules.LATEST_UTC)} UTC, the latest time the server keeps; end it "
            "earlier with COUNT or UNTIL"
        )
    return start
