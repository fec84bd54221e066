"""The metrics folder every server process writes to, so `/metrics` adds all of them up.

`prometheus_client` reads `PROMETHEUS_MULTIPROC_DIR` when it is imported, which only the
application does: the folder is chosen here, before any server process builds it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Read by `prometheus_client` at import (`onstream.metrics` names it too)."""


def metrics_directory() -> Callable[[], None]:
    """Give every server process one `PROMETHEUS_MULTIPROC_DIR`, so `/metrics` adds all of
    them up; returns what removes it at exit.

    An operator's own directory is emptied of the last run's files (their counters would be
    added to this run's); without one, a fresh temporary directory is made and removed.
    It must be set before `prometheus_client` is imported, which only the app does.
    """
    configured = os.environ.get(MULTIPROC_VARIABLE)
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return lambda: None
    _remove_orphans(Path(tempfile.gettempdir()))
    made = tempfile.mkdtemp(prefix=f"onstream-metrics-{os.getpid()}-")
    os.environ[MULTIPROC_VARIABLE] = made
    return lambda: shutil.rmtree(made, ignore_errors=True)


def _remove_orphans(folder: Path) -> None:
    """Remove the metrics folders of servers that are gone: uvicorn ends on SIGTERM by
    raising the signal again, which skips the `finally` that removes a server's own."""
    for orphan in folder.glob("onstream-metrics-*"):
        pid = orphan.name.split("-")[2]
        if not pid.isdigit():
            shutil.rmtree(orphan, ignore_errors=True)  # an older server's, without its pid
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(orphan, ignore_errors=True)
        except PermissionError:
            pass  # another user's server, alive
