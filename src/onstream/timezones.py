"""Time zones: the API's fixed table of codes, IANA names, and the account's `dst` flag.

A code (`UP1`, `UM35`, ...) has a fixed standard offset. With the owner's `dst` flag on, the
DST saving that the code's region observes at that wall time is added (CONTRACT §7); a code
whose region keeps no DST, or `dst` off, stays fixed. An IANA name (`Europe/Berlin`) always
follows its own rules. Names come from `zoneinfo`, with the `tzdata` package as the source
where the operating system has no zone files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@dataclass(frozen=True, slots=True)
class Code:
    """One code of the documentation's table."""

    name: str
    minutes: int
    """Standard offset from UTC in minutes."""
    region: str | None
    """IANA zone whose DST saving applies when the owner's `dst` flag is on."""
    label: str


def _code(name: str, hours: float, label: str, region: str | None = None) -> Code:
    return Code(name=name, minutes=round(hours * 60), region=region, label=label)


CODES: dict[str, Code] = {
    c.name: c
    for c in (
        _code("UM12", -12, "International Date Line West"),
        _code("UM11", -11, "Midway Island, Samoa"),
        _code("UM10", -10, "Hawaii-Aleutian Standard Time", "America/Adak"),
        _code("UM95", -9.5, "Taiohae, Marquesas Islands"),
        _code("UM9", -9, "Alaskan Standard Time", "America/Anchorage"),
        _code("UM8", -8, "Pacific Standard Time", "America/Los_Angeles"),
        _code("UM7", -7, "Mountain Standard Time", "America/Denver"),
        _code("UM6", -6, "Central Standard Time", "America/Chicago"),
        _code("UM5", -5, "Eastern Standard Time", "America/New_York"),
        _code("UM45", -4.5, "Venezuelan Standard Time"),
        _code("UM4", -4, "Atlantic Standard Time", "America/Halifax"),
        _code("UM35", -3.5, "St. John's, Newfoundland and Labrador", "America/St_Johns"),
        _code("UM3", -3, "Brazil, Buenos Aires, Georgetown", "America/Sao_Paulo"),
        _code("UM2", -2, "Mid-Atlantic"),
        _code("UM1", -1, "Azores, Cape Verde Islands", "Atlantic/Azores"),
        _code("UTC", 0, "Western Europe Time, London, Lisbon, Casablanca", "Europe/London"),
        _code("UP1", 1, "Berlin, Brussels, Copenhagen, Madrid, Paris", "Europe/Berlin"),
        _code("UP2", 2, "South Africa"),
        _code("UP3", 3, "Baghdad, Riyadh, Kaliningrad"),
        _code("UP35", 3.5, "Tehran", "Asia/Tehran"),
        _code("UP4", 4, "Moscow, St. Petersburg, Abu Dhabi, Muscat, Baku, Tbilisi"),
        _code("UP45", 4.5, "Kabul"),
        _code("UP5", 5, "Islamabad, Karachi, Tashkent"),
        _code("UP55", 5.5, "Bombay, Calcutta, Madras, New Delhi"),
        _code("UP575", 5.75, "Kathmandu"),
        _code("UP6", 6, "Ekaterinburg, Almaty, Dhaka, Colombo"),
        _code("UP65", 6.5, "Yangon"),
        _code("UP7", 7, "Omsk, Bangkok, Hanoi, Jakarta"),
        _code("UP8", 8, "Krasnoyarsk, Beijing, Perth, Singapore, Hong Kong"),
        _code("UP875", 8.75, "Western Australia, Caiguna, Eucla"),
        _code("UP9", 9, "Irkutsk, Tokyo, Seoul, Osaka, Sapporo"),
        _code("UP95", 9.5, "Adelaide, Darwin", "Australia/Adelaide"),
        _code("UP10", 10, "Yakutsk, Eastern Australia, Guam", "Australia/Sydney"),
        _code("UP105", 10.5, "Lord Howe Island", "Australia/Lord_Howe"),
        _code("UP11", 11, "Vladivostok, Solomon Islands, New Caledonia"),
        _code("UP115", 11.5, "Norfolk Island", "Pacific/Norfolk"),
        _code("UP12", 12, "Magadan, Auckland, Wellington, Fiji", "Pacific/Auckland"),
        _code("UP1275", 12.75, "Chatham Island", "Pacific/Chatham"),
        _code("UP13", 13, "Tonga"),
        _code("UP14", 14, "Kiribati"),
    )
}


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """Whether `name` is a code of the table or an IANA zone name."""
    if name in CODES:
        return True
    if name not in _iana_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def describe() -> str:
    """A short hint for error messages about what a valid time zone looks like."""
    return "a code such as UTC, UP1 or UM5 (see the documentation's list) or an IANA name"


# --- conversion -------------------------------------------------------------------------

_UTC = ZoneInfo("UTC")
_PROBE = timedelta(hours=3)
"""DST savings are at most two hours, so offsets seen 3 h either side cover both sides of a
transition."""


class NonexistentTime(ValueError):
    """A wall time that the clock skips (the hour lost when DST starts)."""


@dataclass(frozen=True, slots=True)
class Clock:
    """A wall clock: a fixed offset, a code that adds its region's DST, or an IANA zone.

    `offset_at(utc)` is the clock's UTC offset at an instant; `to_utc` inverts it the way
    tz libraries do: an ambiguous wall time takes its first occurrence, a skipped one raises
    `NonexistentTime`.
    """

    standard: timedelta
    region: ZoneInfo | None
    zone: ZoneInfo | None

    def offset_at(self, utc: datetime) -> timedelta:
        """The UTC offset at a naive-UTC instant."""
        if self.zone is not None:
            return _zone_offset(self.zone, utc)
        if self.region is None:
            return self.standard
        aware = utc.replace(tzinfo=_UTC).astimezone(self.region)
        return self.standard + (aware.dst() or timedelta(0))

    def from_utc(self, utc: datetime) -> datetime:
        """The wall time (naive) of a naive-UTC instant."""
        return utc + self.offset_at(utc)

    def to_utc(self, wall: datetime) -> datetime:
        """The naive-UTC instant of a naive wall time (first occurrence when ambiguous)."""
        probes = {wall - self.standard + delta for delta in (-_PROBE, timedelta(0), _PROBE)}
        offsets = {self.offset_at(p) for p in probes}
        candidates = [wall - o for o in offsets if self.offset_at(wall - o) == o]
        if not candidates:
            raise NonexistentTime(f"{wall:%Y-%m-%d %H:%M:%S} does not exist in this time zone")
        return min(candidates)


def _zone_offset(zone: ZoneInfo, utc: datetime) -> timedelta:
    offset = utc.replace(tzinfo=_UTC).astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


@lru_cache(maxsize=512)
def clock(name: str, dst: bool) -> Clock:
    """The clock of a code (following `dst`) or of an IANA name (its own rules).

    `dst` may be passed by position: the cache keys a call without keywords faster, which
    per-row callers (a page's start times) use.

    Raises KeyError for a name that is neither; callers validate with `is_timezone` first.
    """
    code = CODES.get(name)
    if code is not None:
        region = ZoneInfo(code.region) if dst and code.region else None
        return Clock(standard=timedelta(minutes=code.minutes), region=region, zone=None)
    if not is_timezone(name):
        raise KeyError(name)
    zone = ZoneInfo(name)
    return Clock(standard=_zone_offset(zone, datetime(2000, 1, 1)), region=None, zone=zone)


# --- the API's codes for IANA zones, and places for codes ---------------------------------

PLACES: dict[str, str] = {
    "UM11": "Pacific/Pago_Pago",
    "UM10": "Pacific/Honolulu",
    "UM95": "Pacific/Marquesas",
    "UM9": "Pacific/Gambier",
    "UM8": "Pacific/Pitcairn",
    "UM7": "America/Phoenix",
    "UM6": "America/Regina",
    "UM5": "America/Panama",
    "UM4": "America/Puerto_Rico",
    "UM3": "America/Argentina/Buenos_Aires",
    "UM2": "America/Noronha",
    "UM1": "Atlantic/Cape_Verde",
    "UTC": "UTC",
    "UP1": "Africa/Lagos",
    "UP2": "Africa/Johannesburg",
    "UP3": "Asia/Riyadh",
    "UP35": "Asia/Tehran",
    "UP4": "Asia/Dubai",
    "UP45": "Asia/Kabul",
    "UP5": "Asia/Karachi",
    "UP55": "Asia/Kolkata",
    "UP575": "Asia/Kathmandu",
    "UP6": "Asia/Dhaka",
    "UP65": "Asia/Yangon",
    "UP7": "Asia/Bangkok",
    "UP8": "Asia/Shanghai",
    "UP875": "Australia/Eucla",
    "UP9": "Asia/Tokyo",
    "UP95": "Australia/Darwin",
    "UP10": "Australia/Brisbane",
    "UP11": "Pacific/Noumea",
    "UP12": "Pacific/Tarawa",
    "UP13": "Pacific/Tongatapu",
    "UP14": "Pacific/Kiritimati",
}
"""A place that keeps each code's standard offset all year (the code with `dst` off), shown
to people whose account holds only a code. With `dst` on, a code with a region shows its
region. `UM12`, `UM45`, `UM35`, `UP105`, `UP115` and `UP1275` off DST have no such place
today; they are shown as the code and its offset."""

_FOLLOW_FROM = datetime(2025, 1, 1)
_FOLLOW_DAYS = 6 * 365
"""A zone follows a code's region when their offsets agree at every minute of these six
years (2025-2030): the rules of today and of the meetings being booked."""


def is_iana(name: str) -> bool:
    """Whether `name` is an IANA zone name (not one of the table's codes)."""
    return name not in CODES and is_timezone(name)


def _same_offsets(zone: ZoneInfo, code: Code) -> bool:
    """Whether `zone` and the code with `dst` on agree over the follow window: compared once
    a week, once a day in a week in which either changes its offset, and every quarter hour
    of such a day (offsets change on the quarter hour at the finest)."""
    tz = clock(code.name, True)

    def agree(start: datetime, step: timedelta, steps: int, finer: timedelta | None) -> bool:
        for n in range(steps):
            at, end = start + n * step, start + (n + 1) * step
            here, there = _zone_offset(zone, at), tz.offset_at(at)
            if here != there:
                return False
            moves = _zone_offset(zone, end) != here or tz.offset_at(end) != there
            if moves and finer is not None:
                smaller = timedelta(minutes=15) if finer == timedelta(days=1) else None
                if not agree(at, finer, step // finer, smaller):
                    return False
        return True

    return agree(_FOLLOW_FROM, timedelta(days=7), _FOLLOW_DAYS // 7 + 1, timedelta(days=1))


@lru_cache(maxsize=1024)
def followed_code(name: str) -> str | None:
    """The code whose region an IANA zone keeps the same clock as (with `dst` on), if any:
    `Europe/Berlin` and `Europe/Paris` give `UP1`, `Europe/Lisbon` `UTC`, `America/Toronto`
    `UM5`; `Asia/Kolkata`, `America/Phoenix` or `America/Santiago` none."""
    zone = ZoneInfo(name)
    january = _zone_offset(zone, _FOLLOW_FROM)
    candidates = [c for c in CODES.values() if c.region is not None]
    candidates.sort(key=lambda c: (c.region != name, c.minutes != january / timedelta(minutes=1)))
    return next((c.name for c in candidates if _same_offsets(zone, c)), None)


def account_dst(zone: str, dst: bool) -> bool:
    """The `dst` flag the API shows for an account: its own with a code; with an IANA name,
    whether the zone follows a code's region (`Europe/Berlin` 1, `Asia/Kolkata` 0)."""
    if zone in CODES:
        return dst
    return followed_code(zone) is not None


def code_at(zone: str, utc: datetime, dst: bool) -> str:
    """The code the API shows for `zone` at the naive-UTC instant `utc`, read with the
    account's `dst` flag (`account_dst`): a code is itself; an IANA name is the code whose
    clock shows the zone's wall time then. In order: the code whose region the zone follows,
    a code of that fixed offset, any code whose region's saving makes up the offset; when
    none does (a rare zone, or a past date), the code of the nearest offset."""
    if zone in CODES:
        return zone
    return _code_at(zone, utc, dst)


@lru_cache(maxsize=4096)
def _code_at(zone: str, utc: datetime, dst: bool) -> str:
    target = _zone_offset(ZoneInfo(zone), utc)
    followed = followed_code(zone) if dst else None

    def rank(code: Code) -> tuple[bool, bool, bool, timedelta]:
        offset = clock(code.name, dst).offset_at(utc)
        exact = offset == target
        regionless = code.region is None or not dst
        return (not exact, code.name != followed, not regionless, abs(offset - target))

    return min(CODES.values(), key=rank).name


# --- zones for people: a place and its usual abbreviation --------------------------------


@dataclass(frozen=True, slots=True)
class LocalTime:
    """A moment as a person reads it: the wall time, the place, and its abbreviation."""

    wall: datetime
    place: str
    """An IANA name (`Europe/Berlin`), or for a code with no place, the code (`UM45`)."""
    abbreviation: str
    """`CET`, `CEST`, `EST`; `UTC+3` where the zone has no letters; `UTC\u22124:30` for a code."""

    @property
    def text(self) -> str:
        """`Europe/Berlin · 13:34 CET`; `13:34 UTC` where the place is its own name."""
        if self.place == self.abbreviation:
            return f"{self.wall:%H:%M} {self.abbreviation}"
        return f"{self.place} · {self.wall:%H:%M} {self.abbreviation}"

    @property
    def long_text(self) -> str:
        """`Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST`."""
        return f"{self.wall:%A}, {self.wall.day} {self.wall:%B %Y}, {self.text}"


def place_of(zone: str, dst: bool) -> str | None:
    """The IANA zone a person sees for a zone: itself, or for a code, its region with `dst`
    on, else its place of that fixed offset (`PLACES`); None for a code with neither."""
    code = CODES.get(zone)
    if code is None:
        return zone
    if dst and code.region is not None:
        return code.region
    return PLACES.get(zone)


def shown_zone(zone: str, dst: bool) -> str:
    """What a zone field shows for a zone: an IANA name as it is; a code as its place
    (`place_of`), or the code itself when it has none (`UM45`)."""
    return place_of(zone, dst) or zone


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset / timedelta(minutes=1))
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes >= 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_time(utc: datetime, zone: str, dst: bool) -> LocalTime:
    """The naive-UTC instant `utc` on the clock of `zone` (a code read with `dst`, or an IANA
    name), named by a place. The wall time is always the zone's clock (the API's rule); the
    place is shown only where its offset then is the same."""
    tz = clock(zone, dst)
    offset = tz.offset_at(utc)
    place = place_of(zone, dst)
    if place is not None:
        aware = utc.replace(tzinfo=_UTC).astimezone(ZoneInfo(place))
        if aware.utcoffset() == offset:
            name = aware.tzname() or ""
            letters = name[:1].isalpha()
            abbreviation = name if letters else _offset_text(offset)
            return LocalTime(wall=utc + offset, place=place, abbreviation=abbreviation)
    return LocalTime(wall=utc + offset, place=zone, abbreviation=_offset_text(offset))
