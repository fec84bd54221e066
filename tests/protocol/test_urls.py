"""The URL grammar of CONTRACT §1, unit by unit."""

from __future__ import annotations

import pytest

from onstream.protocol.errors import BadRequest, NotFound
from onstream.protocol.urls import format_hint, parse_api_path

FORMATS = frozenset({"xml", "json", "csv"})


def parse(raw: str):  # type: ignore[no-untyped-def]
    return parse_api_path(raw, formats=FORMATS)


def test_minimal_path() -> None:
    path = parse("2/jdoe/authverify")
    assert (path.version, path.username, path.resource) == ("2", "jdoe", "authverify")
    assert path.segments == {}
    assert path.suffix_format is None


def test_version_one_is_an_alias() -> None:
    assert parse("1/jdoe/sessions").version == "1"


@pytest.mark.parametrize("raw", ["3/jdoe/sessions", "v2/jdoe/sessions", "2/jdoe", "2", ""])
def test_unknown_version_or_short_path_is_not_found(raw: str) -> None:
    with pytest.raises(NotFound):
        parse(raw)


def test_key_value_segments() -> None:
    path = parse("2/jdoe/invitees/id/1/role/moderators")
    assert path.segments == {"id": "1", "role": "moderators"}


def test_return_list_and_count() -> None:
    path = parse("2/jdoe/sessions/return/id;topic;start_time/count/10")
    assert path.segments == {"return": "id;topic;start_time", "count": "10"}


def test_key_without_value_is_bad_request_naming_it() -> None:
    with pytest.raises(BadRequest, match="'id'"):
        parse("2/jdoe/session/id")


def test_format_segment_is_a_parameter() -> None:
    assert parse("2/jdoe/sessions/format/json").segments == {"format": "json"}


@pytest.mark.parametrize(
    ("raw", "resource", "segments", "fmt"),
    [
        ("2/jdoe/sessions.json", "sessions", {}, "json"),
        ("2/jdoe/session/id/7.csv", "session", {"id": "7"}, "csv"),
        ("2/jdoe/authverify.XML", "authverify", {}, "xml"),
    ],
)
def test_file_suffix_selects_format(
    raw: str, resource: str, segments: dict[str, str], fmt: str
) -> None:
    path = parse(raw)
    assert (path.resource, path.segments, path.suffix_format) == (resource, segments, fmt)


def test_dot_that_is_no_format_stays_in_the_value() -> None:
    path = parse("2/jdoe/user/email/a.b@example.com")
    assert path.segments == {"email": "a.b@example.com"}
    assert path.suffix_format is None


def test_segments_are_percent_decoded_after_splitting() -> None:
    path = parse("2/jdoe/sessions/topic/a%2Fb%20c")
    assert path.segments == {"topic": "a/b c"}


def test_trailing_slash_is_ignored() -> None:
    assert parse("2/jdoe/sessions/").resource == "sessions"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("2/jdoe/session/id/format/json", "id"),
        ("2/jdoe/session/id", "id"),
        ("2/jdoe/invitees/id/1/role", "role"),
    ],
)
def test_the_key_without_a_value_is_named(raw: str, key: str) -> None:
    with pytest.raises(BadRequest, match=f"URL segment '{key}' needs a value after it"):
        parse(raw)


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("2/jdoe/session/id/format/json", "json"),
        ("2/jdoe/session/id.csv", "csv"),
        ("2/jdoe/session/format/yaml", None),
        ("2/jdoe/session", None),
    ],
)
def test_format_hint_reads_broken_paths(raw: str, hint: str | None) -> None:
    assert format_hint(raw, formats=FORMATS) == hint
