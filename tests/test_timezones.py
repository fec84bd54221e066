"""Time-zone codes, IANA names and the dst flag (CONTRACT §7)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onstream.timezones import CODES, NonexistentTime, clock, is_timezone

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
