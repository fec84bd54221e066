"""The `recurrence` rule (`sessions/recurrence.py`) expanded as the pure function it is."""

from __future__ import annotations

from datetime import datetime

import pytest

from onstream.errors import Invalid
from onstream.sessions import recurrence

MONDAY_NINE = datetime(2030, 1, 7, 9, 0)


def test_the_stored_rule_has_no_prefix() -> None:
    assert recurrence.check_rule(" RRULE:FREQ=WEEKLY;COUNT=3 ") == "FREQ=WEEKLY;COUNT=3"


@pytest.mark.parametrize(
    "text", ["", "DTSTART:20300101T090000\nRRULE:FREQ=DAILY", "X" * 501, "FREQ=DAILY:COUNT=2"]
)
def test_anything_but_one_rule_is_refused(text: str) -> None:
    with pytest.raises(Invalid, match="recurrence"):
        recurrence.check_rule(text)


def test_a_weekly_rule_keeps_the_wall_time_across_a_dst_change() -> None:
    starts = recurrence.expand(
        "FREQ=WEEKLY;COUNT=30",
        start_wall=MONDAY_NINE,
        timezone="Europe/Berlin",
        dst=True,
        duration=60,
    )
    assert len(starts) == 30
    hours = {start.hour for start in starts}
    assert hours == {7, 8}  # 09:00 in Berlin: 08:00 UTC in winter, 07:00 UTC in summer


def test_a_fixed_offset_code_keeps_one_utc_hour() -> None:
    starts = recurrence.expand(
        "FREQ=DAILY;COUNT=5", start_wall=MONDAY_NINE, timezone="UP1", dst=False, duration=60
    )
    assert [start.day for start in starts] == [7, 8, 9, 10, 11]
    assert {start.hour for start in starts} == {8}


def test_until_in_utc_is_read_on_the_sessions_clock() -> None:
    starts = recurrence.expand(
        "FREQ=DAILY;UNTIL=20300109T080000Z",
        start_wall=MONDAY_NINE,
        timezone="UP1",
        dst=False,
        duration=60,
    )
    assert len(starts) == 3  # the 9th at 09:00 UP1 is 08:00 UTC: included


def test_until_as_a_date_means_the_end_of_that_day() -> None:
    starts = recurrence.expand(
        "FREQ=DAILY;UNTIL=20300109", start_wall=MONDAY_NINE, timezone="UTC", dst=False, duration=60
    )
    assert len(starts) == 3


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=WEEKLY", "must end"),
        ("FREQ=HOURLY;COUNT=3", "FREQ"),
        (f"FREQ=DAILY;COUNT={recurrence.MAX_OCCURRENCES + 1}", "more than"),
        ("FREQ=MONTHLY;COUNT=30", "two years"),
        ("FREQ=DAILY;UNTIL=2030-01-09", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20200101", "no occurrence"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "recurrence"),
    ],
)
def test_rules_beyond_the_limits_are_refused(rule: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        recurrence.expand(rule, start_wall=MONDAY_NINE, timezone="UTC", dst=False, duration=60)


def test_an_occurrence_the_clocks_skip_is_refused() -> None:
    with pytest.raises(Invalid, match="skip"):
        recurrence.expand(
            "FREQ=WEEKLY;COUNT=15",
            start_wall=datetime(2030, 1, 6, 2, 30),
            timezone="Europe/Berlin",
            dst=True,
            duration=60,
        )
