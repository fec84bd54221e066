"""Password hashes: argon2id with OWASP's parameters, and a hash made with other parameters
(older ones, or the suite's cheap ones) still verifies, since each hash carries its own."""

from __future__ import annotations

import subprocess
import sys

from argon2 import extract_parameters

from onstream.users.passwords import verify_password

HASH_IN_A_FRESH_PROCESS = """
from onstream.users.passwords import hash_password
print(hash_password("right-password"))
"""


def production_hash() -> str:
    """A hash made as a server makes it (this process hashes with the suite's cheap
    parameters, tests/conftest.py)."""
    done = subprocess.run(
        [sys.executable, "-c", HASH_IN_A_FRESH_PROCESS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_server_hashes_with_owasp_parameters_and_other_parameters_still_verify() -> None:
    stored = production_hash()
    assert stored.startswith("$argon2id$")
    parameters = extract_parameters(stored)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (12_288, 3, 1)
    assert verify_password(stored, "right-password")
    assert not verify_password(stored, "wrong-password")
