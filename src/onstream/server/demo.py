"""The demo's Janus: `onstream serve --demo` without configured Janus servers runs one beside
the API, so a fresh machine has working meeting rooms."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onstream.config import Settings
    from onstream.janus.supervisor import JanusSupervisor


def start_demo_janus(settings: Settings) -> JanusSupervisor | None:
    """A Janus child for the demo's meeting rooms, configured in `./janus` and restarted
    when it dies, on the port stored in `./janus/port` (the same across restarts and runs,
    so the rooms of an earlier run are created again on it); None (with a line saying why)
    when it cannot run, so the API is served all the same."""
    from onstream.janus.process import JanusProcess, JanusUnavailable
    from onstream.janus.supervisor import JanusSupervisor, remembered_port

    folder = Path("janus")
    port = remembered_port(folder / "port")
    janus = JanusProcess(folder, http_port=port, recordings_dir=settings.recordings_root)
    try:
        return JanusSupervisor(janus).start()
    except JanusUnavailable as exc:
        print(f"Meeting rooms are unavailable: {exc}", flush=True)
        return None
