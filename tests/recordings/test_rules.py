"""A recording's field rules and link (`recordings/rules.py`) as the pure functions they are."""

from __future__ import annotations

import pytest

from onstream.errors import Invalid
from onstream.recordings import rules


def test_a_title_is_trimmed_and_bounded() -> None:
    assert rules.check_title("  Kick-off  ") == "Kick-off"
    assert rules.check_title("t" * rules.TITLE_MAX) == "t" * rules.TITLE_MAX
    for bad in ("", "   ", "t" * (rules.TITLE_MAX + 1)):
        with pytest.raises(Invalid, match="title"):
            rules.check_title(bad)


def test_a_description_is_trimmed_empty_means_none_and_a_long_one_is_refused() -> None:
    assert rules.check_description("  Notes  ") == "Notes"
    assert rules.check_description("") is None
    assert rules.check_description("d" * rules.DESCRIPTION_MAX) == "d" * rules.DESCRIPTION_MAX
    with pytest.raises(Invalid, match="description"):
        rules.check_description("d" * (rules.DESCRIPTION_MAX + 1))


@pytest.mark.parametrize("milliseconds", [0, 1, 3_600_000, rules.DURATION_MAX_MS])
def test_a_duration_up_to_ten_days_is_kept(milliseconds: int) -> None:
    assert rules.check_duration(milliseconds) == milliseconds


@pytest.mark.parametrize("milliseconds", [-1, rules.DURATION_MAX_MS + 1, 3_600_000_000_000])
def test_a_negative_or_longer_duration_is_refused(milliseconds: int) -> None:
    with pytest.raises(Invalid, match="duration"):
        rules.check_duration(milliseconds)


def test_the_passcode_follows_the_sessions_rule() -> None:
    assert rules.check_password("") is None
    assert rules.check_password("4711") == "4711"
    with pytest.raises(Invalid, match="password"):
        rules.check_password("p" * 256)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("My first recording", "My-first-recording"),
        ("Café  über — Straße!", "Cafe-uber-Strae"),
        ("  --Q3 / review--  ", "Q3-review"),
        ("会議", "recording"),
        ("", "recording"),
    ],
)
def test_a_slug_keeps_letters_and_digits_joined_by_single_dashes(title: str, expected: str) -> None:
    assert rules.slug(title) == expected


def test_a_long_slug_is_cut_at_a_word_boundary() -> None:
    assert rules.slug("word " * 40) == "-".join(["word"] * 16)


def test_a_long_slug_of_one_word_is_cut_at_the_limit() -> None:
    assert rules.slug("w" * 200) == "w" * rules.SLUG_MAX


def test_the_playback_path_carries_the_id_and_the_slug() -> None:
    assert rules.playback_path(42, "My first recording") == "/play/42-My-first-recording"
