"""How a child process ended, in words an operator reads in a log or an error: "was killed
by SIGSEGV", "exited with status 3"."""

from __future__ import annotations

import signal


def how_it_ended(returncode: int) -> str:
    """`returncode` as `subprocess` gives it (negative: the signal that killed it)."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"
