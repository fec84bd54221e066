"""Time-zone codes, IANA names and the dst flag (CONTRACT §7); IANA zones as the API's codes,
and codes as places with their usual abbreviation (docs/decisions.md, "Zones by name")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onstream.timezones import (
    CODES,
    PLACES,
    NonexistentTime,
    account_dst,
    clock,
    code_at,
    followed_code,
    is_timezone,
    local_time,
    place_of,
    shown_zone,
)
from onstream.zone_names import offered

DOCUMENTED = [
    "UM12",
    "UM11",
    "UM10",
    "UM95",
    "UM9",
    "UM8",
    "UM7",
    "UM6",
    "UM5",
    "UM45",
    "UM4",
    "UM35",
    "UM3",
    "UM2",
    "UM1",
    "UTC",
    "UP1",
    "UP2",
    "UP3",
    "UP35",
    "UP4",
    "UP45",
    "UP5",
    "UP55",
    "UP575",
    "UP6",
    "UP65",
    "UP7",
    "UP8",
    "UP875",
    "UP9",
    "UP95",
    "UP10",
    "UP105",
    "UP11",
    "UP115",
    "UP12",
    "UP1275",
    "UP13",
    "UP14",
]


def test_the_table_holds_every_documented_code_and_nothing_else() -> None:
    assert list(CODES) == DOCUMENTED


@pytest.mark.parametrize(
    ("code", "hours"),
    [
        ("UP55", 5.5),
        ("UP575", 5.75),
        ("UM95", -9.5),
        ("UP1275", 12.75),
        ("UM35", -3.5),
        ("UTC", 0),
        ("UP14", 14),
        ("UM12", -12),
        ("UP875", 8.75),
    ],
)
def test_fractional_codes_are_fixed_offsets(code: str, hours: float) -> None:
    wall = datetime(2010, 7, 10, 18)
    assert clock(code, dst=False).to_utc(wall) == wall - timedelta(hours=hours)


def test_codes_are_a_table_not_a_pattern() -> None:
    assert not is_timezone("UP155")
    assert not is_timezone("UM13")
    assert not is_timezone("up1")
    assert is_timezone("Europe/Berlin")
    assert not is_timezone("Europe/Atlantis")


def test_the_contract_example() -> None:
    berlin = clock("UP1", dst=True)
    assert berlin.to_utc(datetime(2010, 7, 10, 18)) == datetime(2010, 7, 10, 16)
    assert berlin.to_utc(datetime(2010, 1, 10, 18)) == datetime(2010, 1, 10, 17)


def test_dst_off_keeps_the_offset_fixed() -> None:
    assert clock("UP1", dst=False).to_utc(datetime(2010, 7, 10, 18)) == datetime(2010, 7, 10, 17)


def test_codes_without_a_region_ignore_dst() -> None:
    assert clock("UP2", dst=True).to_utc(datetime(2010, 7, 10, 18)) == datetime(2010, 7, 10, 16)


def test_southern_hemisphere_dst_is_in_january() -> None:
    sydney = clock("UP10", dst=True)
    assert sydney.to_utc(datetime(2011, 1, 10, 18)) == datetime(2011, 1, 10, 7)
    assert sydney.to_utc(datetime(2011, 7, 10, 18)) == datetime(2011, 7, 10, 8)


def test_iana_names_follow_their_own_rules_whatever_dst_says() -> None:
    for dst in (False, True):
        ny = clock("America/New_York", dst=dst)
        assert ny.to_utc(datetime(2010, 7, 10, 12)) == datetime(2010, 7, 10, 16)


def test_skipped_wall_time_does_not_exist() -> None:
    with pytest.raises(NonexistentTime):
        clock("UP1", dst=True).to_utc(datetime(2010, 3, 28, 2, 30))
    with pytest.raises(NonexistentTime):
        clock("Europe/Berlin", dst=False).to_utc(datetime(2010, 3, 28, 2, 30))


def test_ambiguous_wall_time_takes_the_first_occurrence() -> None:
    # 02:30 on 2010-10-31 happens twice in Berlin: first at 00:30 UTC (still summer time).
    assert clock("UP1", dst=True).to_utc(datetime(2010, 10, 31, 2, 30)) == datetime(
        2010, 10, 31, 0, 30
    )
    assert clock("UM5", dst=True).to_utc(datetime(2010, 11, 7, 1, 30)) == datetime(
        2010, 11, 7, 5, 30
    )


walls = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0, second=0)
)
zones = st.sampled_from([*DOCUMENTED, "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu"])


@settings(max_examples=3000, deadline=None)
@given(wall=walls, zone=zones, dst=st.booleans())
def test_wall_to_utc_to_wall_returns_the_input(wall: datetime, zone: str, dst: bool) -> None:
    tz = clock(zone, dst=dst)
    try:
        utc = tz.to_utc(wall)
    except NonexistentTime:
        # Then no instant within a day shows this wall time.
        start = wall - timedelta(hours=16)
        instants = (start + timedelta(minutes=15 * i) for i in range(4 * 32))
        assert all(tz.from_utc(u) != wall for u in instants)
        return
    assert tz.from_utc(utc) == wall


@settings(max_examples=300, deadline=None)
@given(wall=walls, zone=st.sampled_from(DOCUMENTED))
def test_dst_adds_at_most_the_regions_saving(wall: datetime, zone: str) -> None:
    try:
        with_dst = clock(zone, dst=True).to_utc(wall)
    except NonexistentTime:
        return
    fixed = clock(zone, dst=False).to_utc(wall)
    assert timedelta(0) <= fixed - with_dst <= timedelta(hours=1)
    if CODES[zone].region is None:
        assert fixed == with_dst


def test_every_code_label_is_text() -> None:
    assert all(re.fullmatch(r"U(TC|[MP]\d+)", c.name) and c.label for c in CODES.values())


# --- IANA zones as the API's codes, codes as places ----------------------------------------

JANUARY, JULY = datetime(2030, 1, 10, 17), datetime(2030, 7, 10, 16)


@pytest.mark.parametrize(
    ("zone", "code"),
    [
        ("Europe/Berlin", "UP1"),
        ("Europe/Paris", "UP1"),
        ("Europe/Lisbon", "UTC"),
        ("Europe/London", "UTC"),
        ("America/Toronto", "UM5"),
        ("America/Los_Angeles", "UM8"),
        ("Australia/Melbourne", "UP10"),
        ("Pacific/Auckland", "UP12"),
        ("Asia/Kolkata", None),
        ("America/Phoenix", None),
        ("America/Santiago", None),
        ("Australia/Brisbane", None),
        ("Africa/Lagos", None),
    ],
)
def test_a_zone_follows_the_code_whose_region_keeps_its_clock(zone: str, code: str | None) -> None:
    assert followed_code(zone) == code
    assert account_dst(zone, False) is (code is not None)
    assert account_dst(zone, True) is (code is not None)


def test_a_code_keeps_its_own_dst_flag() -> None:
    assert account_dst("UP1", True) is True
    assert account_dst("UP1", False) is False
    assert code_at("UP55", JULY, False) == "UP55"


def test_berlin_is_up1_with_dst_in_january_and_july() -> None:
    # Not UP2 in July: UP1 with DST on is Berlin's own clock at every date, so the account's
    # answer does not change twice a year.
    for when, hours in ((JANUARY, 1), (JULY, 2)):
        code = code_at("Europe/Berlin", when, account_dst("Europe/Berlin", False))
        assert code == "UP1"
        assert clock(code, True).offset_at(when) == timedelta(hours=hours)


def test_read_with_dst_off_berlin_is_the_fixed_code_of_the_date() -> None:
    # A session in Berlin of an account whose own flag is off (a fixed code such as UP55).
    assert code_at("Europe/Berlin", JANUARY, False) == "UP1"
    assert code_at("Europe/Berlin", JULY, False) == "UP2"


def test_a_zone_with_a_dst_of_its_own_has_the_code_of_each_date() -> None:
    assert account_dst("America/Santiago", False) is False
    assert code_at("America/Santiago", JANUARY, False) == "UM3"  # Chilean summer, UTC-3
    assert code_at("America/Santiago", JULY, False) == "UM4"


def test_a_fixed_zone_read_with_dst_on_finds_a_region_that_shows_its_time() -> None:
    # Lagos (UTC+1 all year) in July, for an account with DST on: London's summer time.
    assert code_at("Africa/Lagos", JULY, True) == "UTC"
    assert code_at("Africa/Lagos", JANUARY, True) == "UP1"


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31))


@settings(max_examples=400, deadline=None)
@given(zone=st.sampled_from(offered()), utc=instants)
def test_every_offered_zone_gets_a_code_that_shows_its_own_wall_time(
    zone: str, utc: datetime
) -> None:
    """For the years of the meetings being booked, the code and flag the API answers give
    back the zone's own wall time: a client reading `start_time` with them is never off."""
    dst = account_dst(zone, False)
    code = code_at(zone, utc, dst)
    assert clock(code, dst).from_utc(utc) == clock(zone, dst).from_utc(utc)


@pytest.mark.parametrize("code", sorted(PLACES))
def test_a_codes_place_keeps_its_standard_offset_all_year(code: str) -> None:
    for month in range(1, 13):
        when = datetime(2030, month, 15, 12)
        assert local_time(when, code, False).place == PLACES[code]
        assert clock(PLACES[code], False).offset_at(when) == timedelta(minutes=CODES[code].minutes)


def test_places_and_abbreviations_as_people_read_them() -> None:
    assert local_time(JANUARY, "Europe/Berlin", False).text == "Europe/Berlin · 18:00 CET"
    assert local_time(JULY, "Europe/Berlin", False).text == "Europe/Berlin · 18:00 CEST"
    assert local_time(JULY, "UP1", True).text == "Europe/Berlin · 18:00 CEST"
    assert local_time(JULY, "UP1", False).text == "Africa/Lagos · 17:00 WAT"
    assert local_time(JULY, "UM5", True).text == "America/New_York · 12:00 EDT"
    assert local_time(JULY, "UP3", False).text == "Asia/Riyadh · 19:00 UTC+3"
    assert local_time(JULY, "UTC", False).text == "16:00 UTC"
    assert local_time(JULY, "UM45", True).text == "UM45 · 11:30 UTC\u22124:30"
    assert local_time(JULY, "Asia/Kathmandu", False).text == "Asia/Kathmandu · 21:45 UTC+5:45"
    assert local_time(JULY, "UP1", True).long_text == (
        "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST"
    )


def test_a_codes_place_is_its_region_with_dst_on() -> None:
    assert place_of("UP1", True) == "Europe/Berlin"
    assert place_of("UP2", True) == "Africa/Johannesburg"  # no region: its fixed place
    assert place_of("UP105", False) is None
    assert shown_zone("UP105", False) == "UP105"
    assert shown_zone("Asia/Tokyo", True) == "Asia/Tokyo"


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(DOCUMENTED), dst=st.booleans(), utc=instants)
def test_a_code_is_shown_on_its_own_clock_whatever_its_place(
    zone: str, dst: bool, utc: datetime
) -> None:
    """The place only names the time; the wall time is always the code's (the API's rule)."""
    assert local_time(utc, zone, dst).wall == clock(zone, dst).from_utc(utc)
