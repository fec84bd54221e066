"""The rules a session's fields must follow (CONTRACT §5, §7), as pure functions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson

from onstream import timezones, zone_names
from onstream.errors import Invalid
from onstream.protocol.times import iso_utc, wall_text

TOPIC_MAX = 255
DURATION_MIN, DURATION_MAX = 1, 1440
PASSWORD_MAX = 255
FRIENDLY_URL = re.compile(r"[a-z0-9_-]{1,64}")
RESERVED_FRIENDLY_URLS = frozenset({"go", "play", "account", "host", "room"})
CUSTOM_NAME = re.compile(r"custom([1-9][0-9]*)")
CUSTOM_VALUE_MAX = 200
WALL_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
EARLIEST_UTC = datetime(1970, 1, 1)
LATEST_UTC = datetime(9998, 12, 31, 23, 59, 59)
"""A session starts and ends within these instants (docs/decisions.md, "Dates the server
keeps"): a year's room below Python's last date, so that adding a duration or a day, or
showing the time on any clock, never overflows; nothing before the Unix epoch, which the
rooms' timers and JavaScript pages count from."""
_WALL_MARGIN = timedelta(days=2)
"""No clock is a day away from UTC (the codes span UTC-12 to UTC+14 with at most 2 h of DST;
IANA zones stay within 16 h): a wall time further than this from the range is outside it on
every clock, so it is refused before a conversion could overflow."""


class OutOfRange(Invalid):
    """A start or end outside EARLIEST_UTC..LATEST_UTC; the message names the field."""


def check_topic(topic: str) -> str:
    """A topic of 1-255 characters."""
    topic = topic.strip()
    if not 1 <= len(topic) <= TOPIC_MAX:
        raise Invalid(f"topic must be 1 to {TOPIC_MAX} characters long")
    return topic


def check_duration(duration: int) -> int:
    """A duration in whole minutes, 1-1440."""
    if not DURATION_MIN <= duration <= DURATION_MAX:
        raise Invalid(f"duration must be between {DURATION_MIN} and {DURATION_MAX} minutes")
    return duration


def check_password(password: str) -> str | None:
    """The passcode, or None when empty (no passcode)."""
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"password must be at most {PASSWORD_MAX} characters long")
    return password or None


def check_friendly_url(value: str) -> str | None:
    """A friendly URL segment, or None when empty (the session key is used instead)."""
    if value == "":
        return None
    if not FRIENDLY_URL.fullmatch(value):
        raise Invalid("friendly_url must be 1 to 64 of the characters a-z, 0-9, '-' and '_'")
    if value in RESERVED_FRIENDLY_URLS:
        raise Invalid(f"friendly_url '{value}' is reserved for the server's own pages")
    return value


def check_timezone(name: str) -> str:
    """A code of the documentation's table or an IANA name (an old one as today's)."""
    if not timezones.is_timezone(name):
        raise Invalid(f"timezone '{name}' is not {timezones.describe()}")
    return zone_names.canonical(name)


def parse_wall_time(text: str) -> datetime:
    """A wall time `YYYY-MM-DD HH:MM:SS` (seconds and the `T` separator optional)."""
    for fmt in WALL_TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise Invalid(f"start_time '{text}' is not a date and time like 2010-08-31 14:00:00")


def api_code(zone: str, start_utc: datetime, dst: bool) -> str:
    """The code the API shows for a session in `zone` (a code is itself; an IANA name is the
    code whose clock, read with the account's `dst`, shows its wall time at the start)."""
    return zone if zone in timezones.CODES else timezones.code_at(zone, start_utc, dst)


def api_wall_text(start_utc: datetime, zone: str, dst: bool) -> str:
    """`start_time` as the API shows it: the wall time on the clock of `api_code`, so that
    the code, `dst` and `start_time` give back `start_time_utc`."""
    return wall_time_text(start_utc, api_code(zone, start_utc, dst), dst)


def wall_to_utc(wall: datetime, *, timezone: str, dst: bool) -> datetime:
    """The UTC instant of a wall time in the session's zone; 400 when the clock skips it or
    it lies outside the dates the server keeps (`in_range` checks the instant exactly)."""
    if not _near_range(wall):
        raise OutOfRange(range_message(timezone=timezone, dst=dst, duration=0))
    try:
        return timezones.clock(timezone, dst=dst).to_utc(wall)
    except timezones.NonexistentTime as exc:
        raise Invalid(f"start_time {exc} ({timezone}); the clocks skip that hour") from exc


def start_utc(wall: datetime, *, timezone: str, dst: bool, duration: int) -> datetime:
    """The UTC start of a session that starts at this wall time and lasts `duration` minutes:
    `wall_to_utc`, and 400 naming start_time unless start and end are both in range."""
    if not _near_range(wall):
        raise OutOfRange(range_message(timezone=timezone, dst=dst, duration=duration))
    start = wall_to_utc(wall, timezone=timezone, dst=dst)
    if not in_range(start, duration):
        raise OutOfRange(range_message(timezone=timezone, dst=dst, duration=duration))
    return start


def _near_range(wall: datetime) -> bool:
    return EARLIEST_UTC - _WALL_MARGIN <= wall <= LATEST_UTC + _WALL_MARGIN


def in_range(start: datetime, duration: int) -> bool:
    """Whether a session starting at this UTC instant starts and ends within the range."""
    return start >= EARLIEST_UTC and start + timedelta(minutes=duration) <= LATEST_UTC


def check_end(start: datetime, duration: int) -> None:
    """A new duration of a session that keeps its start: 400 naming duration when it would
    end after LATEST_UTC (a start kept from before the range existed is left alone)."""
    if start + timedelta(minutes=duration) > LATEST_UTC:
        raise OutOfRange(
            f"duration {duration} would end the session after {iso_utc(LATEST_UTC)}, "
            "the latest time the server keeps; make it shorter or start earlier"
        )


def range_message(*, timezone: str, dst: bool, duration: int) -> str:
    """`start_time must be between ... and ... in ZONE ...`: the range on the session's own
    clock (the latest start leaves room for the duration), and in UTC."""
    clock = timezones.clock(timezone, dst)
    first = wall_text(clock.from_utc(EARLIEST_UTC))
    last = wall_text(clock.from_utc(LATEST_UTC - timedelta(minutes=duration)))
    return (
        f"start_time must be between {first} and {last} in {timezone}: a session starts and "
        f"ends between {iso_utc(EARLIEST_UTC)} and {iso_utc(LATEST_UTC)}"
    )


def utc_to_wall(utc: datetime, *, timezone: str, dst: bool) -> datetime:
    """The wall time of a UTC instant in the session's zone."""
    return timezones.clock(timezone, dst).from_utc(utc)


def wall_time_text(utc: datetime, timezone: str, dst: bool) -> str:
    """`wall_text(utc_to_wall(...))` in one call by position: the `start_time` of every row
    of a page (1.6 → 1.2 µs a row with a fixed-offset code)."""
    return wall_text(timezones.clock(timezone, dst).from_utc(utc))


def end_utc(start_utc: datetime, duration: int) -> datetime:
    """When the session ends."""
    return start_utc + timedelta(minutes=duration)


def parse_custom_data(raw: object) -> dict[str, str] | None:
    """`custom_data` as `{"custom1": ..., ...}`, or None when empty.

    Accepts an object, a list of objects (merged), or either as a JSON string (form bodies).
    Names must be custom1, custom2, ... without gaps; values strings of at most 200
    characters (numbers are taken as their decimal text).
    """
    if isinstance(raw, str):
        raw = _json_or_invalid(raw) if raw.strip() else {}
    merged: dict[str, Any] = {}
    for part in raw if isinstance(raw, list) else [raw]:
        if not isinstance(part, dict):
            raise Invalid(
                'custom_data must be an object like {"custom1": "value"} or a list of them'
            )
        for name, value in part.items():
            if name in merged:
                raise Invalid(f"custom_data names {name} twice")
            merged[name] = value
    return _check_custom_fields(merged) or None


def _json_or_invalid(text: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Invalid(
            'custom_data is not valid JSON; send an object like {"custom1": "x"}'
        ) from exc


def _check_custom_fields(fields: dict[str, Any]) -> dict[str, str]:
    numbers = []
    for name in fields:
        match = CUSTOM_NAME.fullmatch(name)
        if match is None:
            raise Invalid(f"custom_data field '{name}' must be named custom1, custom2, ...")
        numbers.append(int(match.group(1)))
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        raise Invalid("custom_data fields must be custom1, custom2, ... without gaps")
    result = {}
    for number in sorted(numbers):
        name = f"custom{number}"
        result[name] = _custom_value(name, fields[name])
    return result


def _custom_value(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"custom_data field {name} must be a string")
    text = value if isinstance(value, str) else str(value)
    if len(text) > CUSTOM_VALUE_MAX:
        raise Invalid(f"custom_data field {name} must be at most {CUSTOM_VALUE_MAX} characters")
    return text
