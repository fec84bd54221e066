"""The serialize renderer: exact PHP serialize() notation, checked against real PHP."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from onstream.protocol.document import Document
from onstream.protocol.formats.serialize_format import render

RoundTrip = Callable[[Sequence[Document]], list[dict[str, str]]]

TRICKY = Document(
    {
        "quote": "say \"hi\" 'there'",
        "backslash": "C:\\path\\",
        "dollar": "$x {$y} ${z}",
        "php_close": "?><?php echo 1; ?>",
        "newlines": "a\nb\r\nc",
        "nul": "a\x00b",
        "multibyte": "Grüße, 日本語",
        "emoji": "😀👍🏽",
        "5": "integer-looking key",
        "-7": "negative integer-looking key",
        "07": "not an integer key",
        "": "empty key",
        "fake_length": 's:3:"abc";',
        "ints": [0, -1, 2**63 - 1, -(2**63)],
        "floats": [0.1, -0.0, 1.0, 1e25, 1.5e-7, 5e-324, 1.7976931348623157e308],
        "flags": [True, False, None],
        "nested": {"custom_data": [{"custom1": "a", "custom2": "b"}], "empty": [], "e2": {}},
    }
)


def test_exact_notation() -> None:
    doc = Document({"id": 1, "message": "Session added", "ok": True, "no": False, "n": None})
    assert render(doc) == (
        b'a:5:{s:2:"id";i:1;s:7:"message";s:13:"Session added";'
        b's:2:"ok";b:1;s:2:"no";b:0;s:1:"n";N;}'
    )


def test_lists_are_keyed_by_index_and_lengths_are_utf8_bytes() -> None:
    doc = Document({"l": ["é", "😀", 'a"b', 0.5]})
    assert render(doc) == (
        b'a:1:{s:1:"l";a:4:{i:0;s:2:"\xc3\xa9";i:1;s:4:"\xf0\x9f\x98\x80";'
        b'i:2;s:3:"a"b";i:3;d:0.5;}}'
    )


def test_non_finite_floats_are_written_as_php_does() -> None:
    doc = Document({"l": [float("inf"), float("-inf"), float("nan")]})
    assert render(doc) == b'a:1:{s:1:"l";a:3:{i:0;d:INF;i:1;d:-INF;i:2;d:NAN;}}'


def test_lone_surrogates_become_replacement_characters() -> None:
    assert render(Document({"a": "\ud800"})) == b'a:1:{s:1:"a";s:3:"\xef\xbf\xbd";}'


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_integers_php_cannot_hold_are_refused(value: int) -> None:
    with pytest.raises(ValueError, match="64-bit PHP int"):
        render(Document({"a": value}))


def test_php_unserialize_returns_the_same_data(round_trip: RoundTrip) -> None:
    docs = [
        TRICKY,
        Document({}),
        Document({"sessions": [{"id": 1, "topic": "x"}]}),
        Document({"0": "a", "1": "b"}),
    ]
    assert [verdict["serialize"] for verdict in round_trip(docs)] == ["ok"] * len(docs)
