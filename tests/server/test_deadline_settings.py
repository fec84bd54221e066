"""The read deadlines' settings: a timer that would fire at once, or never, is refused at
start-up with a sentence naming the variable."""

from __future__ import annotations

import pytest

from onstream.config import SettingsError, load_settings
from onstream.server.deadlines import Deadlines


def test_the_deadlines_come_from_the_environment() -> None:
    settings = load_settings(
        {
            "ONSTREAM_HEADER_TIMEOUT_SECONDS": "1.5",
            "ONSTREAM_BODY_TIMEOUT_SECONDS": "4",
            "ONSTREAM_BODY_MIN_BYTES_PER_SECOND": "300",
        },
        env_file=None,
    )
    deadlines = Deadlines.from_settings(settings)
    assert deadlines == Deadlines(
        head_seconds=1.5, body_window_seconds=4.0, body_min_bytes_per_second=300
    )
    assert deadlines.body_window_bytes == 1200


def test_the_defaults_allow_twenty_seconds_and_one_kib_a_second() -> None:
    deadlines = Deadlines.from_settings(load_settings({}, env_file=None))
    assert deadlines == Deadlines(
        head_seconds=20.0, body_window_seconds=20.0, body_min_bytes_per_second=1024
    )


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan", "soon"])
@pytest.mark.parametrize(
    "variable", ["ONSTREAM_HEADER_TIMEOUT_SECONDS", "ONSTREAM_BODY_TIMEOUT_SECONDS"]
)
def test_a_timeout_that_would_fire_at_once_or_never_is_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value}, env_file=None)
