"""The php renderer: var_export-style literals that PHP's eval() reads back exactly."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from tests.support.php import run_php

from onstream.protocol.document import Document
from onstream.protocol.formats.php_format import render

RoundTrip = Callable[[Sequence[Document]], list[dict[str, str]]]

BREAKOUTS = [
    "'); echo 'pwned'; ('",
    "\\'); echo 'pwned'; //",
    "\\",
    "\\\\'",
    "$GLOBALS {$x} ${y} \\$z",
    "?><?php echo 'pwned'; ?>",
    "*/ echo 'pwned'; /*",
    "\x00'; echo 'pwned'; '",
    "line1\nline2\r\n'",
    '"double" \\n \\0 \\x41',
]


def test_exact_literal() -> None:
    doc = Document({"id": 1, "message": "x", "ok": True, "no": False, "n": None, "f": 0.5})
    assert render(doc) == (
        b"array ('id' => 1, 'message' => 'x', 'ok' => true, 'no' => false, 'n' => NULL, 'f' => 0.5)"
    )


def test_lists_and_nesting() -> None:
    doc = Document({"users": [{"id": 1}, {"id": 2}], "empty": []})
    assert render(doc) == (
        b"array ('users' => array (0 => array ('id' => 1), 1 => array ('id' => 2)), "
        b"'empty' => array ())"
    )


def test_only_backslash_and_quote_are_escaped() -> None:
    doc = Document({"it's": "a\\b'c$d\n\x00"})
    assert render(doc) == b"array ('it\\'s' => 'a\\\\b\\'c$d\n\x00')"


def test_php_int_min_stays_an_int() -> None:
    assert render(Document({"a": -(2**63)})) == b"array ('a' => -9223372036854775807-1)"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="no PHP literal"):
        render(Document({"a": value}))


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_integers_php_cannot_hold_are_refused(value: int) -> None:
    with pytest.raises(ValueError, match="64-bit PHP int"):
        render(Document({"a": value}))


def test_nothing_breaks_out_of_a_string_literal() -> None:
    doc = Document({text: text for text in BREAKOUTS})
    body = render(doc).decode("utf-8")
    printed = run_php(
        "$GLOBALS['x'] = 'X'; $y = 'Y';"
        "$got = eval('return ' . stream_get_contents(STDIN) . ';');"
        "$pairs = [];"
        "foreach ($got as $k => $v) { $pairs[] = [bin2hex($k), bin2hex($v)]; }"
        "echo json_encode($pairs, JSON_THROW_ON_ERROR);",
        stdin=body,
    )
    assert "pwned" not in printed
    pairs = [tuple(bytes.fromhex(h).decode() for h in pair) for pair in json.loads(printed)]
    assert pairs == [(text, text) for text in BREAKOUTS]


def test_php_eval_returns_the_same_data(round_trip: RoundTrip) -> None:
    docs = [
        Document({text: [text, 1, True, None] for text in BREAKOUTS}),
        Document({"5": 1, "-5": 2, "05": 3, "": 4, "ints": [-(2**63), 2**63 - 1]}),
        Document({"floats": [0.1, 1e25, 1.5e-7, 5e-324, -0.0, 1.0, 123456789.125]}),
        Document({"text": "Grüße 日本語 😀👍🏽 \u2028 \ufeff"}),
        Document({}),
    ]
    assert [verdict["php"] for verdict in round_trip(docs)] == ["ok"] * len(docs)
