"""A server process gives the 12 MiB of each argon2 check back to the system once the check
is done (`onstream.server.process.return_large_blocks`): without it, glibc kept the block in the
checking thread's heap from the second check on, 12 MB more in every process."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
from concurrent.futures import ThreadPoolExecutor
from onstream.server.process import return_large_blocks
from onstream.users.passwords import hash_password

if sys.argv[1] == "returned":
    return_large_blocks()

def rss_mb():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024

checks = ThreadPoolExecutor(1)  # one thread, as the server's checks run
checks.submit(hash_password, "first-password").result()
before = rss_mb()
for n in range(3):
    checks.submit(hash_password, f"password-{n}").result()
print(rss_mb() - before)
"""


def growth_after_checks(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


@pytest.mark.parametrize(("mode", "returned"), [("returned", True), ("glibc default", False)])
def test_argon2_memory_is_returned_after_each_check(mode: str, returned: bool) -> None:
    grown = growth_after_checks(mode)
    if returned:
        assert grown < 4, f"{grown:.1f} MB kept after three checks"
    else:  # the default this guards against: the check's 12 MiB stays
        assert grown > 8, f"glibc's default kept only {grown:.1f} MB"
