"""When a room is open (`meetings/rules.py`), as the pure functions it is."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from onstream.meetings import rules
from onstream.meetings.models import Phase

START = datetime(2030, 9, 10, 16, 0)
DURATION = 60
OPENS = 15
GRACE = 30


def phase_at(now: datetime, *, ended: bool = False) -> Phase:
    return rules.phase(
        now,
        start_utc=START,
        duration=DURATION,
        opens_minutes=OPENS,
        grace_minutes=GRACE,
        ended=ended,
    )


def test_a_room_opens_the_given_minutes_before_the_start() -> None:
    assert rules.opens_at(START, opens_minutes=OPENS) == datetime(2030, 9, 10, 15, 45)
    assert rules.opens_at(START, opens_minutes=0) == START


def test_a_room_closes_after_the_duration_and_the_grace_period() -> None:
    assert rules.closes_at(START, DURATION, grace_minutes=GRACE) == datetime(2030, 9, 10, 17, 30)
    assert rules.closes_at(START, DURATION, grace_minutes=0) == datetime(2030, 9, 10, 17, 0)


@pytest.mark.parametrize(
    ("minutes_from_start", "expected"),
    [
        (-OPENS - 60, Phase.EARLY),
        (-OPENS - 1, Phase.EARLY),
        (-OPENS, Phase.OPEN),
        (0, Phase.OPEN),
        (DURATION, Phase.OPEN),
        (DURATION + GRACE - 1, Phase.OPEN),
        (DURATION + GRACE, Phase.ENDED),
        (DURATION + GRACE + 600, Phase.ENDED),
    ],
)
def test_the_phase_follows_the_clock_from_opening_to_closing(
    minutes_from_start: int, expected: Phase
) -> None:
    assert phase_at(START + timedelta(minutes=minutes_from_start)) == expected


def test_the_room_is_open_until_the_last_instant_before_closing() -> None:
    closing = rules.closes_at(START, DURATION, grace_minutes=GRACE)
    assert phase_at(closing - timedelta(microseconds=1)) == Phase.OPEN
    assert phase_at(closing) == Phase.ENDED


@pytest.mark.parametrize("minutes_from_start", [-OPENS - 60, 0, DURATION + GRACE + 60])
def test_an_ended_room_is_over_whatever_the_time(minutes_from_start: int) -> None:
    assert phase_at(START + timedelta(minutes=minutes_from_start), ended=True) == Phase.ENDED
