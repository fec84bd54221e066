"""The format registry, `get_format` and Accept-header negotiation."""

from __future__ import annotations

import pytest

from onstream.protocol.errors import BadRequest, UnknownFormat
from onstream.protocol.formats import FORMATS, MEDIA_TYPES, format_from_accept, get_format
from onstream.protocol.formats.accept import _from_accept


def test_registry_has_the_seven_formats_with_exact_content_types() -> None:
    assert {name: fmt.content_type for name, fmt in FORMATS.items()} == {
        "xml": "application/xml; charset=utf-8",
        "json": "application/json; charset=utf-8",
        "serialize": "application/vnd.php.serialized",
        "php": "text/plain; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "ics": "text/calendar; charset=utf-8",
    }
    assert all(fmt.name == name for name, fmt in FORMATS.items())
    assert [name for name, fmt in FORMATS.items() if fmt.own] == ["ics"]


@pytest.mark.parametrize("name", ["xml", "json", "serialize", "php", "html", "csv", "JSON", "Xml"])
def test_get_format_is_case_insensitive(name: str) -> None:
    assert get_format(name) is FORMATS[name.lower()]


@pytest.mark.parametrize("name", ["yaml", "", "jsonp", "xml "])
def test_unknown_format_is_a_400_naming_the_choices(name: str) -> None:
    with pytest.raises(UnknownFormat) as caught:
        get_format(name)
    assert isinstance(caught.value, BadRequest)
    assert caught.value.status == 400
    assert caught.value.message == (
        f"Unknown format '{name}'; use one of xml, json, serialize, php, html, csv "
        "(and ics for GET session)"
    )


@pytest.mark.parametrize(("media", "name"), sorted(MEDIA_TYPES.items()))
def test_each_media_type_selects_its_format(media: str, name: str) -> None:
    assert format_from_accept(media) == name
    assert format_from_accept(media.upper() + "; charset=utf-8") == name


def test_media_types_cover_every_document_format() -> None:
    """ics is chosen in the URL only: an `Accept: text/calendar` asks every call for it."""
    assert set(MEDIA_TYPES.values()) == {name for name, fmt in FORMATS.items() if not fmt.own}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("", None),
        ("*/*", None),
        (" */* ", None),
        ("image/png", None),
        ("application/json", "json"),
        ("text/csv", "csv"),
        ("text/php", "php"),
        ("application/x-httpd-php", "php"),
        ("application/vnd.php", "php"),
        ("application/vnd.php.serialized", "serialize"),
        ("text/xml", "xml"),
        # what browsers send: html plus an XML type selects the default
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8", None),
        ("text/html, text/xml", None),
        ("text/html", "html"),
        ("text/html;q=0, text/xml", "xml"),
        # q-values: highest first, ties in header order, q=0 excluded
        ("application/json, text/plain, */*", "json"),
        ("application/json, text/csv", "json"),
        ("text/csv, application/json", "csv"),
        ("text/csv;q=0.5, application/json;q=0.8", "json"),
        ("text/csv;q=0.5, application/json;q=0.4", "csv"),
        ("application/json;q=0", None),
        ("application/json;q=0, text/csv;q=0.1", "csv"),
        ("application/json;q=0.0, */*", None),
        ("application/json; charset=utf-8; q=0.3, text/csv; q=0.2", "json"),
        ("application/json; Q=0.2, text/csv; q=0.3", "csv"),
        # a wildcard is satisfied by the default
        ("*/*;q=1, text/csv;q=0.5", None),
        ("text/csv;q=0.5, */*;q=0.1", "csv"),
        ("application/json, text/javascript, */*; q=0.01", "json"),
        ("text/*, application/json;q=0.5", None),
        # malformed parts are ignored, not fatal
        ("application/json;q=abc, text/csv;q=0.2", "csv"),
        ("application/json;q=2, text/csv;q=0.2", "csv"),
        (",,;, text/csv", "csv"),
        ("garbage", None),
    ],
)
def test_format_from_accept(accept: str | None, expected: str | None) -> None:
    assert format_from_accept(accept) == expected


def test_accept_results_are_cached() -> None:
    header = "text/csv;q=0.9, application/json;q=0.95, x-test/cache-probe"
    before = _from_accept.cache_info().hits
    assert format_from_accept(header) == "json"
    assert format_from_accept(header) == "json"
    assert _from_accept.cache_info().hits > before
