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
from onstream.sessions import rules

MAX_OCCURRENCES = 100
MAX_SPAN = timedelta(days=731)
"""About two years from the first occurrence to the last."""
RRULE_MAX = 500
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
"""Shorter frequencies would make occurrences overlap their own duration."""
_UNTIL = re.compile(r"(?i)\bUNTIL=([0-9T]+Z?)")


def check_rule(text: str) -> str:
    """The rule as it is stored: `FREQ=...` without a `RRULE:` prefix or DTSTART."""
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule or len(rule) > RRULE_MAX or "\n" in rule or ":" in rule:
        raise Invalid("recurrence must be one RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO;COUNT=10")
    return rule


def expand(text: str, *, start_wall: datetime, timezone: str, dst: bool) -> list[datetime]:
    """The UTC starts of every occurrence of `text` from `start_wall` (the first one)."""
    rule = _parse(_wall_until(check_rule(text), timezone=timezone, dst=dst), start_wall)
    walls = list(rule.xafter(start_wall, count=MAX_OCCURRENCES + 1, inc=True))
    if not walls:
        raise Invalid("recurrence yields no occurrence from start_time")
    if len(walls) > MAX_OCCURRENCES:
        raise Invalid(f"recurrence yields more than {MAX_OCCURRENCES} occurrences")
    if walls[-1] - walls[0] > MAX_SPAN:
        raise Invalid("recurrence must end within two years of start_time")
    return [_utc(wall, timezone=timezone, dst=dst) for wall in walls]


def _parse(rule_text: str, start_wall: datetime) -> rrule:
    try:
        rule = rrulestr(rule_text, dtstart=start_wall)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise Invalid(f"recurrence is not a valid RRULE: {exc}") from exc
    if not isinstance(rule, rrule):
        raise Invalid("recurrence must be one RRULE")
    names = {part.split("=", 1)[0].strip().upper(): part for part in rule_text.split(";")}
    if names.get("FREQ", "").split("=")[-1].strip().upper() not in FREQUENCIES:
        raise Invalid("recurrence FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" not in names and "UNTIL" not in names:
        raise Invalid(f"recurrence must end: give COUNT (at most {MAX_OCCURRENCES}) or UNTIL")
    return rule


def _wall_until(rule: str, *, timezone: str, dst: bool) -> str:
    """UNTIL as a wall time of the session's zone: a UTC value (`...Z`, as RFC 5545 wants
    with a zoned start) is converted, a date alone means the end of that day."""
    match = _UNTIL.search(rule)
    if match is None:
        return rule
    value = match.group(1).upper()
    try:
        if value.endswith("Z"):
            utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ")
            wall = rules.utc_to_wall(utc, timezone=timezone, dst=dst)
        elif "T" in value:
            wall = datetime.strptime(value, "%Y%m%dT%H%M%S")
        else:
            wall = datetime.strptime(value, "%Y%m%d") + timedelta(days=1, seconds=-1)
    except ValueError as exc:
        raise Invalid(f"recurrence UNTIL '{match.group(1)}' is not like 20300131T235959Z") from exc
    return rule[: match.start(1)] + f"{wall:%Y%m%dT%H%M%S}" + rule[match.end(1) :]


def _utc(wall: datetime, *, timezone: str, dst: bool) -> datetime:
    try:
        return rules.wall_to_utc(wall, timezone=timezone, dst=dst)
    except Invalid as exc:
        raise Invalid(
            f"recurrence has an occurrence at {wall:%Y-%m-%d %H:%M}, which the clocks of "
            f"{timezone} skip"
        ) from exc
