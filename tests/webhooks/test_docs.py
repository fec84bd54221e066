"""The receiver snippets of docs/webhooks.md, run as written (PHP in the real interpreter),
accept what the server signs and refuse a changed body, another secret and an old timestamp."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from onstream.webhooks.events import signature
from tests.support.php import run_php

PAGE = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"evt_1","type":"session.created","data":{"topic":"Caf\\u00e9 & co"}}'


def snippet(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"no {language} snippet in docs/webhooks.md"
    return found.group(1)


CASES = [
    pytest.param(SECRET, 0, BODY, True, id="signed"),
    pytest.param(SECRET, 0, BODY + b" ", False, id="changed-body"),
    pytest.param("whsec_other", 0, BODY, False, id="other-secret"),
    pytest.param(SECRET, -3600, BODY, False, id="old"),
]


@pytest.mark.parametrize(("secret", "age", "body", "expected"), CASES)
def test_the_python_snippet(secret: str, age: int, body: bytes, expected: bool) -> None:
    names: dict[str, Any] = {}
    exec(snippet("python"), names)  # noqa: S102  # the page's own code, run as a reader would
    header = signature(secret, int(time.time()) + age, BODY)
    assert names["verify"](SECRET, header, body) is expected
    assert names["verify"](SECRET, "garbage", body) is False


@pytest.mark.parametrize(("secret", "age", "body", "expected"), CASES)
def test_the_php_snippet(secret: str, age: int, body: bytes, expected: bool) -> None:
    header = signature(secret, int(time.time()) + age, BODY)
    args = json.dumps([SECRET, header, body.decode()])
    code = snippet("php") + (
        f"[$s, $h, $b] = json_decode({json.dumps(args)}, true);"
        "echo json_encode([onstream_verify($s, $h, $b), onstream_verify($s, 'garbage', $b)]);"
    )
    assert json.loads(run_php(code)) == [expected, False]
