"""The session field rules (`sessions/rules.py`) as the pure functions they are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onstream.errors import Invalid
from onstream.sessions import rules


def test_a_topic_is_trimmed_and_bounded() -> None:
    assert rules.check_topic("  Weekly sync  ") == "Weekly sync"
    assert rules.check_topic("x" * rules.TOPIC_MAX) == "x" * rules.TOPIC_MAX
    for bad in ("", "   ", "x" * (rules.TOPIC_MAX + 1)):
        with pytest.raises(Invalid, match="topic"):
            rules.check_topic(bad)


@pytest.mark.parametrize("minutes", [rules.DURATION_MIN, 45, rules.DURATION_MAX])
def test_a_duration_within_a_day_is_kept(minutes: int) -> None:
    assert rules.check_duration(minutes) == minutes


@pytest.mark.parametrize("minutes", [0, -5, rules.DURATION_MAX + 1])
def test_a_duration_outside_a_day_is_refused(minutes: int) -> None:
    with pytest.raises(Invalid, match="duration"):
        rules.check_duration(minutes)


def test_an_empty_passcode_means_none_and_a_long_one_is_refused() -> None:
    assert rules.check_password("") is None
    assert rules.check_password("4711") == "4711"
    with pytest.raises(Invalid, match="password"):
        rules.check_password("p" * (rules.PASSWORD_MAX + 1))


def test_friendly_urls_are_lower_case_segments_not_the_servers_own() -> None:
    assert rules.check_friendly_url("") is None
    assert rules.check_friendly_url("team-sync_2") == "team-sync_2"
    for bad in ("Team", "a/b", "x" * 65, "späti"):
        with pytest.raises(Invalid, match="friendly_url"):
            rules.check_friendly_url(bad)
    for reserved in sorted(rules.RESERVED_FRIENDLY_URLS):
        with pytest.raises(Invalid, match="reserved"):
            rules.check_friendly_url(reserved)


def test_time_zones_are_the_documented_codes_or_iana_names() -> None:
    assert rules.check_timezone("UP1") == "UP1"
    assert rules.check_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(Invalid, match="timezone 'Mars/Olympus'"):
        rules.check_timezone("Mars/Olympus")


@pytest.mark.parametrize(
    "text", ["2030-09-10 16:00:00", "2030-09-10 16:00", "2030-09-10T16:00:00", " 2030-09-10T16:00 "]
)
def test_wall_times_are_read_with_or_without_seconds_and_t(text: str) -> None:
    assert rules.parse_wall_time(text) == datetime(2030, 9, 10, 16, 0)


@pytest.mark.parametrize("text", ["", "tomorrow", "2030-02-30 10:00", "10.09.2030 16:00"])
def test_other_wall_times_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(Invalid, match="start_time"):
        rules.parse_wall_time(text)


def test_a_wall_time_follows_the_zones_daylight_saving_both_ways() -> None:
    summer, winter = datetime(2030, 7, 1, 9, 0), datetime(2030, 1, 7, 9, 0)
    in_summer = rules.wall_to_utc(summer, timezone="Europe/Berlin", dst=True)
    in_winter = rules.wall_to_utc(winter, timezone="Europe/Berlin", dst=True)
    assert in_summer.replace(tzinfo=UTC) == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert in_winter.replace(tzinfo=UTC) == datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
    assert rules.utc_to_wall(in_summer, timezone="Europe/Berlin", dst=True) == summer
    assert rules.wall_time_text(in_winter, "Europe/Berlin", True).startswith("2030-01-07 09:00")


def test_a_skipped_wall_time_is_refused() -> None:
    with pytest.raises(Invalid, match="skip"):
        rules.wall_to_utc(datetime(2030, 3, 31, 2, 30), timezone="Europe/Berlin", dst=True)


def test_a_session_ends_its_duration_after_its_start() -> None:
    start = datetime(2030, 9, 10, 23, 30)
    assert rules.end_utc(start, 45) == datetime(2030, 9, 11, 0, 15)


def test_custom_data_is_read_from_objects_lists_and_json() -> None:
    assert rules.parse_custom_data({"custom1": "a", "custom2": 7}) == {
        "custom1": "a",
        "custom2": "7",
    }
    assert rules.parse_custom_data([{"custom2": "b"}, {"custom1": "a"}]) == {
        "custom1": "a",
        "custom2": "b",
    }
    assert rules.parse_custom_data('{"custom1": "x"}') == {"custom1": "x"}
    assert rules.parse_custom_data("") is None
    assert rules.parse_custom_data({}) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"custom2": "gap"},
        {"note": "x"},
        {"custom1": True},
        {"custom1": ["x"]},
        {"custom1": "x" * (rules.CUSTOM_VALUE_MAX + 1)},
        [{"custom1": "a"}, {"custom1": "b"}],
        "not json",
        [1],
    ],
)
def test_custom_data_out_of_shape_is_refused(raw: object) -> None:
    with pytest.raises(Invalid, match="custom_data"):
        rules.parse_custom_data(raw)
