"""Fixtures that check rendered bodies with the real PHP interpreter, in batches.

PHP's own `unserialize()`, `eval()` and `simplexml_load_string()` are the contract for the
serialize, php and xml formats, so the tests ask PHP itself. One `php` process checks a whole
batch of documents (bodies travel base64-encoded in a JSON list on stdin) to keep it fast.
A missing PHP fails these tests with a clear message (tests.support.php); it never skips.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import TypeAlias

import pytest
from tests.support.php import run_php

from onstream.protocol.document import Document
from onstream.protocol.formats import FORMATS

RoundTrip: TypeAlias = Callable[[Sequence[Document]], list[dict[str, str]]]
XmlCheck: TypeAlias = Callable[[Sequence[bytes]], list[str]]

_ROUND_TRIP = r"""
set_error_handler(function ($no, $str) { throw new ErrorException($str, 0, $no); });
$cases = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($cases as $case) {
    $expected = json_decode(base64_decode($case['json']), true, 4096, JSON_THROW_ON_ERROR);
    $result = [];
    foreach (['serialize', 'php'] as $format) {
        try {
            $body = base64_decode($case[$format]);
            $got = $format === 'serialize' ? unserialize($body) : eval('return ' . $body . ';');
            $result[$format] = $got === $expected
                ? 'ok' : 'mismatch: ' . base64_encode(var_export($got, true));
        } catch (Throwable $e) {
            $result[$format] = get_class($e) . ': ' . $e->getMessage();
        }
    }
    $out[] = $result;
}
echo json_encode($out, JSON_THROW_ON_ERROR);
"""

_SIMPLEXML = r"""
libxml_use_internal_errors(true);
$bodies = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($bodies as $b64) {
    $xml = simplexml_load_string(base64_decode($b64));
    $errors = array_map(fn ($e) => trim($e->message), libxml_get_errors());
    libxml_clear_errors();
    $out[] = ($xml !== false && !$errors) ? 'ok' : 'rejected: ' . implode('; ', $errors);
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
"""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def php_round_trip(docs: Sequence[Document]) -> list[dict[str, str]]:
    """For each document, PHP's verdict on its serialize and php bodies.

    Each verdict is "ok" when `unserialize()` / `eval()` gives exactly (`===`) what
    `json_decode(<json body>, true)` gives, else what went wrong.
    """
    cases = [
        {name: _b64(FORMATS[name].render(doc)) for name in ("json", "serialize", "php")}
        for doc in docs
    ]
    verdicts: list[dict[str, str]] = json.loads(run_php(_ROUND_TRIP, stdin=json.dumps(cases)))
    assert len(verdicts) == len(docs)
    return verdicts


def php_simplexml(bodies: Sequence[bytes]) -> list[str]:
    """For each XML body, "ok" if `simplexml_load_string` accepts it without any libxml error."""
    payload = json.dumps([_b64(body) for body in bodies])
    verdicts: list[str] = json.loads(run_php(_SIMPLEXML, stdin=payload))
    assert len(verdicts) == len(bodies)
    return verdicts


@pytest.fixture(scope="session")
def round_trip() -> RoundTrip:
    """`php_round_trip`, as a fixture so test files need no imports from each other."""
    return php_round_trip


@pytest.fixture(scope="session")
def simplexml() -> XmlCheck:
    """`php_simplexml`, as a fixture."""
    return php_simplexml
