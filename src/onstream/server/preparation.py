"""`serve --workers N` has the storage check, the migration and the demo account done by a
short-lived child process (`onstream serve --prepare`): what they import would otherwise
stay in the supervisor for the server's whole life (see `onstream.server.supervisor`)."""

from __future__ import annotations

import subprocess
import sys


def prepare_in_child(demo: bool) -> str | None:
    """Run `onstream serve --prepare` (with `--demo` when asked) in a child with this
    environment; the last line it prints (the demo's password and host key), or None. Its
    errors reach the terminal from the child, one line each, and end `serve` with its exit
    code."""
    command = [sys.executable, "-m", "onstream", "serve", "--prepare"]
    if demo:
        command.append("--demo")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    *said, password = done.stdout.splitlines() or [""]
    if said:
        print("\n".join(said), flush=True)
    return password or None
