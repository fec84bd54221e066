"""Schemathesis against a live server: generated calls from the served description answer no
500, and every answer matches the description (status, content type, headers, schema)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.server import ServerProcess

pytestmark = [
    pytest.mark.live,  # schemathesis talks to a real `onstream serve` over a socket
    pytest.mark.timeout(400),  # a few hundred real calls: on a loaded machine, more than 120 s
    # whether the answers match the description; test_properties_every_route.py sends every
    # route random input on each database, so on PostgreSQL this would only repeat it
    pytest.mark.any_database,
]

LOGIN, PASSWORD = "fuzzed", "fuzzed-password-1"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


def test_generated_calls_match_the_description(server: ServerProcess, tmp_path: Path) -> None:
    added = server.cli("user", "add", LOGIN, "--email", "fuzz@example.com", "--password", PASSWORD)
    assert added.returncode == 0, added.stderr
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert command is not None
    result = subprocess.run(
        [
            command,
            "run",
            f"{server.base_url}/api/2/openapi.json",
            "--url",
            f"{server.base_url}/api/2/{LOGIN}",
            "--auth",
            f"{LOGIN}:{PASSWORD}",
            "--max-examples",
            "5",
            "--seed",
            "1",
            "--phases",
            "coverage,fuzzing",
            "--checks",
            CHECKS,
            "--workers",
            "1",
            "--request-timeout",
            "10",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
