"""`parse_php_query` against the real PHP: `parse_str()` is the contract, quirks included.

Each comparison batch runs in ONE php process: the cases travel base64-encoded in a JSON list
on stdin, and PHP answers with every result as [key, value] pairs (base64 again), which keeps
array order, integer-vs-string keys and non-UTF-8 bytes exact. A missing PHP fails these
tests with a clear message (tests.support.php); it never skips.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.support.php import run_php

from onstream.protocol.errors import BadRequest
from onstream.protocol.phpquery import (
    MAX_DEPTH,
    MAX_VARIABLES,
    PhpValue,
    build_php_arrays,
    parse_php_query,
    php_lists,
)

Pairs: TypeAlias = list[list[object]]  # [[b64 key, b64 value | Pairs], ...]

_PHP_PAIRS = r"""
function pairs($array) {
    $out = [];
    foreach ($array as $key => $value) {
        $encoded = is_array($value) ? pairs($value) : base64_encode($value);
        $out[] = [base64_encode((string) $key), $encoded];
    }
    return $out;
}
"""

_PHP_PARSE_STR = (
    _PHP_PAIRS
    + r"""
$cases = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($cases as $b64) {
    $query = base64_decode($b64);
    parse_str($query, $parsed);
    $cut = strpos($query, "\0");
    $decoded = urldecode($cut === false ? $query : substr($query, 0, $cut));
    $out[] = ['pairs' => pairs($parsed), 'utf8' => preg_match('//u', $decoded) === 1];
}
echo json_encode($out, JSON_THROW_ON_ERROR);
"""
)

_PHP_BUILD_QUERY = (
    _PHP_PAIRS
    + r"""
$arrays = [
    [
        'topic' => 'Tom & Jerry + a%20b = c',
        'duration' => 60,
        'invited_participants' => [
            ['email' => 'a+b@x.com', 'first_name' => 'Zoë', 'role' => 1,
             'send_email_invitation' => false],
            ['email' => 'c@d.e', 'role' => 2, 'send_email_invitation' => true, 'skipped' => null],
        ],
        'custom_data' => ['custom1' => 'x=y&z', 'custom2' => "line\nbreak", 'custom3' => '[]'],
    ],
    ['a' => [5 => 'five', -1 => 'minus one', 'k.ey' => ['deep' => [[['x', 'y']]]],
             '' => 'empty key']],
    ['a.b c' => 'top-level dots and spaces', 'list' => ['x', 'y', 'z'],
     '0' => 'zero', '10' => 'ten'],
    ['brackets' => ['[x]' => 'a', 'y]' => 'b', '[' => 'c'],
     'emoji 😀' => '😀', 'ü' => ['ß' => 'ñ']],
    [[1, 2], 'x' => [[], ['q' => ['r' => ['s' => ['t' => 'deep']]]]]],
];
$out = [];
foreach ($arrays as $array) {
    foreach ([PHP_QUERY_RFC1738, PHP_QUERY_RFC3986] as $encoding) {
        $query = http_build_query($array, 'n_', '&', $encoding);
        parse_str($query, $parsed);
        $out[] = ['query' => $query, 'pairs' => pairs($parsed)];
    }
}
echo json_encode($out, JSON_THROW_ON_ERROR);
"""
)

# Inputs chosen to hit each branch of php_register_variable_ex() and php_url_decode().
CORPUS = [
    "",
    "a",
    "a=",
    "=",
    "=1",
    "&",
    "&&a=1&&",
    "a=1&a=2",
    "a=1&b=2&a=3",
    "a=b=c",
    "a==",
    "a=1;b=2",
    # top-level mangling: leading spaces dropped, spaces and dots become `_`
    "a.b=1",
    "a b=1",
    "a+b=1",
    " a=1",
    "  a.b[c.d]=1",
    "\ta=1",
    ". =1",
    " .a=1",
    "a_b=1&a.b=2",
    "a%20b=1",
    "a%2Eb=1",
    "%20a=1",
    "+a=1",
    "a+[b]=1",
    "a.[b]=1",
    "a.b.c[x.y][z w]=1",
    # a first `[` that is never closed
    "a[b=1",
    "a.b[c=1",
    "a[b.c=1",
    "x.y[=1",
    "x[y.z[w=1",
    "a[=1",
    "a[",
    "a.%5Bb=1",
    "a[b c[d.e=1",
    # unclosed brackets further in, and junk after `]`
    "a[b][c=1",
    "a[][b=1",
    "a[x][=1",
    "a[b]c=1",
    "a[b]c[d]=1",
    "a[b][c]d=1",
    "a[b]  [c]=1",
    "a[]x=1&a[]x=2",
    "a[b]]=1",
    "a]=1",
    "a[]]=1",
    # whitespace in indices: one leading isspace() char makes `[ ]` mean `[]`
    "a[ b]=1",
    "a[ ]=1&a[ ]=2",
    "a[\t]=1",
    "a[\n]=1",
    "a[\r]=1",
    "a[\x0b]=1",
    "a[\x0c]=1",
    "a[\tb]=1",
    "a[ \t]=1",
    "a[  ]=1",
    "a[.]=1",
    "a[b c]=1",
    # brackets inside indices, and names with nothing before `[`
    "a[b[c]=1",
    "a[[b]]=1",
    "[a]=1",
    " [x]=1",
    "  =1",
    "[]=1",
    "[",
    "]",
    # appending: next key is one more than the largest integer key, or 0
    "a[]=1&a[5]=2&a[]=3",
    "a[-5]=1&a[]=2",
    "a[3]=1&a[-5]=2&a[]=3",
    "a[-5]=1&a[3]=2&a[]=3",
    "a[x]=1&a[]=2",
    "a[9223372036854775807]=1&a[]=2&a[x]=3",
    "a[9223372036854775807][]=1&a[][]=2",
    "a[9223372036854775808]=1&a[]=2",
    "a[-9223372036854775808]=1&a[]=2",
    "a[-9223372036854775809]=1&a[]=2",
    "a[01]=1&a[1]=2&a[]=3",
    "a[-0]=1&a[]=2",
    "a[1e3]=1&a[]=2",
    "a[ 1]=1&a[]=2",
    "a[+1]=1&a[]=2",
    "a[1 ]=1",
    "1=2&0=3&=4&-1=5",
    "1[]=1&1[]=2",
    "5=1&a=2",
    "a[]=1&a[]=2",
    "a[]=",
    "a[]",
    "a[b]",
    # overwriting plain values with arrays and back
    "a=1&a[b]=2",
    "a[b]=1&a=2",
    "a[]=1&a=2&a[]=3",
    "a[]=1&a[]=2&a[0]=3",
    "a[b][c]=1&a[b]=2&a[b][d]=3",
    "a[b]=1&a[b][c]=2&a[b][]=3",
    "a[b][]=1&a[b][]=2&a[b]=3&a[b][]=4",
    "x[][]=1&x[][]=2",
    "a[]=1&a[x][]=2",
    "a[1]=x&a[0]=y",
    # NUL: the body ends at a raw NUL, a decoded name at its first %00
    "a%00b=1",
    "a=1%00b",
    "a\x00b=1&c=2",
    "a[\x00]=1",
    "a[b%00c]=1",
    # percent-decoding
    "a=%zz%4",
    "a=%",
    "a=%%41",
    "a=%2B+",
    "a=%41%42%c3%a9",
    "%61=1",
    "a%5Bb%5D=1",
    "a[b%5D=1",
    "a[b]%5Bc%5D=1",
    "a=%26%3D%25",
    "topic=Tom+%26+Jerry&invited_participants%5B0%5D%5Bemail%5D=a%2Bb%40x.com",
    # non-ASCII text, raw and encoded
    "é=ü&ñ[ß]=1",
    "%C3%A9=%E2%82%AC",
    "😀[😀]=😀",
    "a\u0080b.c=1",
    # not UTF-8 after decoding: PHP keeps the bytes, we refuse the request
    "a=%FF",
    "%FF=1",
    "=%FF",
    "a[%FF]=1",
    "a%00%FF=1",
    "a=%C3",
    "a=%C3%28",
    # nesting right at PHP's limit (one level more is refused, see below)
    "a" + "[x]" * MAX_DEPTH + "=1",
    "a" + "[]" * MAX_DEPTH + "=1",
]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _pairs(array: Mapping[str, PhpValue]) -> Pairs:
    return [
        [_b64(key.encode()), _b64(value.encode()) if isinstance(value, str) else _pairs(value)]
        for key, value in array.items()
    ]


def _php_parse_str(queries: Sequence[str]) -> list[dict[str, object]]:
    payload = json.dumps([_b64(query.encode()) for query in queries])
    results: list[dict[str, object]] = json.loads(run_php(_PHP_PARSE_STR, stdin=payload))
    assert len(results) == len(queries)
    return results


def _mismatches(queries: Sequence[str]) -> list[tuple[str, object, object]]:
    """(query, ours, PHP's) for every query where parse_php_query disagrees with PHP."""
    wrong: list[tuple[str, object, object]] = []
    for query, php in zip(queries, _php_parse_str(queries), strict=True):
        try:
            ours: object = _pairs(parse_php_query(query))
        except BadRequest:
            ours = "BadRequest"
        expected = php["pairs"] if php["utf8"] else "BadRequest"
        if ours != expected:
            wrong.append((query, ours, expected))
    return wrong


def test_corpus_parses_exactly_as_php_parse_str() -> None:
    wrong = _mismatches(CORPUS)
    assert not wrong, f"{len(wrong)} differ from PHP; first (query, ours, PHP): {wrong[0]!r}"


_TOKENS = [
    "a",
    "b",
    "x",
    "_",
    "0",
    "1",
    "-1",
    "01",
    "-0",
    "9223372036854775807",
    "9223372036854775808",
    "[",
    "]",
    "[]",
    "=",
    "&",
    ".",
    " ",
    "+",
    "\t",
    "\n",
    "\x00",
    "%",
    "%4",
    "%zz",
    "%20",
    "%2E",
    "%5B",
    "%5D",
    "%26",
    "%3D",
    "%2B",
    "%00",
    "%C3%A9",
    "%FF",
    "é",
    "😀",
]
queries = st.lists(st.sampled_from(_TOKENS) | st.text(max_size=3), max_size=40).map("".join)


def test_generated_queries_parse_exactly_as_php_parse_str() -> None:
    generated: list[str] = []

    @settings(
        max_examples=500,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(queries)
    def collect(query: str) -> None:
        generated.append(query)

    collect()
    assert len(generated) >= 200
    wrong = _mismatches(generated)
    assert not wrong, f"{len(wrong)} differ from PHP; first (query, ours, PHP): {wrong[0]!r}"


def test_http_build_query_output_parses_as_php_parses_it() -> None:
    results = json.loads(run_php(_PHP_BUILD_QUERY))
    assert len(results) == 10
    for result in results:
        assert _pairs(parse_php_query(result["query"])) == result["pairs"], result["query"]


def test_http_build_query_of_the_documented_session_gives_lists_like_json() -> None:
    query = run_php(
        r"""echo http_build_query(array('topic' => 'Tom & Jerry', 'duration' => 60,
            'invited_participants' => array(
                array('email' => 'a+b@x.com', 'role' => 1, 'send_email_invitation' => false),
                array('email' => 'c@d.e', 'role' => 2))));"""
    )
    assert php_lists(parse_php_query(query)) == {
        "topic": "Tom & Jerry",
        "duration": "60",
        "invited_participants": [
            {"email": "a+b@x.com", "role": "1", "send_email_invitation": "0"},
            {"email": "c@d.e", "role": "2"},
        ],
    }


# --- limits: where PHP silently drops input, we refuse it -----------------------------------


def test_nesting_beyond_php_limit_is_refused_naming_the_parameter() -> None:
    with pytest.raises(BadRequest, match=r"Parameter 'deep' is nested more than 64 levels"):
        parse_php_query("ok=1&deep" + "[x]" * (MAX_DEPTH + 1) + "=1")


def test_nesting_limit_counts_empty_brackets_too() -> None:
    with pytest.raises(BadRequest, match="nested more than 64"):
        parse_php_query("a" + "[]" * (MAX_DEPTH + 1) + "=1")


def test_php_drops_what_we_refuse_for_nesting() -> None:
    query = "keep=1&a[y]=2&a" + "[x]" * (MAX_DEPTH + 1) + "=1"
    [php] = _php_parse_str([query])
    assert php["pairs"] == [[_b64(b"keep"), _b64(b"1")]]  # PHP deletes all of `a`, silently


def test_exactly_max_variables_pairs_are_accepted() -> None:
    query = "&".join(f"v{i}=x" for i in range(MAX_VARIABLES))
    assert len(parse_php_query(query)) == MAX_VARIABLES


def test_one_pair_more_than_max_variables_is_refused() -> None:
    query = "&".join(f"v{i}=x" for i in range(MAX_VARIABLES + 1))
    with pytest.raises(BadRequest, match="1001 parameters; at most 1000 are allowed"):
        parse_php_query(query)


def test_empty_pieces_do_not_count_towards_max_variables() -> None:
    query = "&" * 5000 + "&".join(f"v{i}=x" for i in range(MAX_VARIABLES))
    assert len(parse_php_query(query)) == MAX_VARIABLES


def test_value_that_is_not_utf8_is_refused_naming_the_parameter() -> None:
    with pytest.raises(BadRequest, match=r"^Parameter 'topic' is not valid UTF-8 after decoding$"):
        parse_php_query("ok=1&topic=%FF")


def test_name_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(BadRequest, match="A parameter name is not valid UTF-8"):
        parse_php_query("a%E9=1")


# --- php_lists -------------------------------------------------------------------------------


def test_php_lists_turns_the_documented_bracket_form_into_a_list_of_objects() -> None:
    parsed = parse_php_query("invited_participants[0][email]=a")
    assert parsed == {"invited_participants": {"0": {"email": "a"}}}
    assert php_lists(parsed) == {"invited_participants": [{"email": "a"}]}


def test_php_lists_converts_appended_and_nested_lists() -> None:
    parsed = parse_php_query("ids[]=1&ids[]=2&grid[0][]=a&grid[0][]=b&grid[1][]=c")
    assert php_lists(parsed) == {"ids": ["1", "2"], "grid": [["a", "b"], ["c"]]}


@pytest.mark.parametrize(
    "query",
    [
        "a[1]=x&a[0]=y",  # the right keys, in the wrong order
        "a[0]=x&a[2]=y",  # a gap
        "a[1]=x",  # not starting at 0
        "a[x]=1&a[]=2",  # a string key
        "a[01]=1",  # "01" is a string key to PHP
    ],
)
def test_php_lists_keeps_arrays_that_are_not_lists_as_dicts(query: str) -> None:
    parsed = parse_php_query(query)
    assert php_lists(parsed) == parsed


def test_php_lists_keeps_the_top_level_and_empty_arrays_as_dicts() -> None:
    assert php_lists({"0": "x", "1": "y"}) == {"0": "x", "1": "y"}
    assert php_lists({"a": {}}) == {"a": {}}


def test_build_php_arrays_places_any_leaf_by_php_bracket_rules() -> None:
    first, second = object(), object()
    built = build_php_arrays([("files[]", first), ("files[]", second), ("a.b[c]", "x")])
    assert built == {"files": {"0": first, "1": second}, "a_b": {"c": "x"}}
    assert php_lists(built) == {"files": [first, second], "a_b": {"c": "x"}}
