"""How a child process ended, as the logs and errors say it."""

from __future__ import annotations

import subprocess
import sys

from onstream.exits import how_it_ended


def test_a_status_a_signal_and_an_unnamed_signal() -> None:
    assert how_it_ended(0) == "exited with status 0"
    assert how_it_ended(3) == "exited with status 3"
    assert how_it_ended(-11) == "was killed by SIGSEGV"
    assert how_it_ended(-200) == "was killed by signal 200"


def test_a_real_child_killed_by_a_signal() -> None:
    child = subprocess.run([sys.executable, "-c", "import os; os.abort()"], check=False)
    assert how_it_ended(child.returncode) == "was killed by SIGABRT"
