"""The guide's snippets work: its PHP (real PHP and cURL), curl and Python for a few calls,
run against a real server as a fresh account."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.php import run_php
from tests.support.server import ServerProcess

from onstream.apidocs.guide import curl_snippet, examples, php_snippet, python_snippet
from onstream.protocol.describe import operation_of
from onstream.routes import RESOURCES

pytestmark = [
    pytest.mark.live,  # talks to a real `onstream serve` over a socket
    pytest.mark.any_database,  # the guide's snippets, whatever stores the data
]


def values(method: str, name: str, **overrides: object) -> dict[str, object]:
    operation = operation_of(RESOURCES[name].methods[method])
    assert operation is not None
    return {**examples(operation), **overrides}


def test_the_snippets_run(server: ServerProcess, make_account: MakeAccount) -> None:
    account: httpx.Client = make_account()
    login = account.base_url.path.strip("/").split("/")[-1]
    who = {"base_url": server.base_url, "login": login, "password": f"{login}-password"}

    php = php_snippet("session", "PUT", values("PUT", "session"), **who)
    code = php.removeprefix("<?php").removesuffix("?>")
    first = re.search(r"<id>(\d+)</id><message>Session added</message>", run_php(code))
    assert first is not None

    curl = curl_snippet("session", "PUT", values("PUT", "session", topic="By curl"), **who)
    added = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, check=True)
    second = json.loads(added.stdout)
    assert second["message"] == "Session added"

    python = python_snippet("sessions", "GET", values("GET", "sessions"), **who)
    listed = subprocess.run(
        [sys.executable, "-c", python], capture_output=True, text=True, check=True
    )
    assert listed.stdout.strip() == str(
        {
            "sessions": [
                {"id": int(first[1]), "topic": "Weekly sync"},
                {"id": second["id"], "topic": "By curl"},
            ]
        }
    )

    read = php_snippet("session", "GET", values("GET", "session", id=second["id"]), **who)
    assert "<topic>By curl</topic>" in run_php(read.removeprefix("<?php").removesuffix("?>"))
