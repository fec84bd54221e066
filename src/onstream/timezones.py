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
