"""The delivery back-off: doubling from 10 s to an hour, jittered without touching the
`random` module's shared generator (a background worker drawing from it would disturb
whatever else in the process relies on its state, Hypothesis's generators included)."""

from __future__ import annotations

import random

from onstream.webhooks.worker import RETRY_BASE_SECONDS, RETRY_MAX_SECONDS, retry_delay


def test_the_delay_doubles_up_to_an_hour_and_stays_in_its_upper_half() -> None:
    for attempts in range(30):
        ceiling = min(RETRY_BASE_SECONDS * 2**attempts, RETRY_MAX_SECONDS)
        assert ceiling / 2 <= retry_delay(attempts) <= ceiling


def test_jitter_leaves_the_shared_generator_alone() -> None:
    before = random.getstate()
    for attempts in range(10):
        retry_delay(attempts)
    assert random.getstate() == before
