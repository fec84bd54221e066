"""Janus WebRTC Server as the media engine of rooms: its config, its process, its API.

An infrastructure layer: it knows Janus, not meetings. Errors:

    JanusUnavailable        Janus cannot be used
     ├── JanusNotInstalled  no `janus` program
     ├── JanusDidNotStart   exited or silent at start (message ends with its log's tail)
     └── JanusUnreachable   a request got no (JSON) answer
    JanusError              Janus refused a request: `code`, `reason`, `plugin` (None: core)

`JanusSupervisor` keeps a Janus child running on one remembered port (`serve --demo`).
"""

from onstream.janus.client import (
    TEXTROOM,
    VIDEOROOM,
    JanusAdmin,
    JanusClient,
    JanusError,
    JanusUnreachable,
    TextRoomAdmin,
    VideoRoomAdmin,
)
from onstream.janus.config import write_janus_config
from onstream.janus.process import (
    JanusDidNotStart,
    JanusNotInstalled,
    JanusProcess,
    JanusUnavailable,
)
from onstream.janus.supervisor import JanusSupervisor, remembered_port

__all__ = [
    "TEXTROOM",
    "VIDEOROOM",
    "JanusAdmin",
    "JanusClient",
    "JanusDidNotStart",
    "JanusError",
    "JanusNotInstalled",
    "JanusProcess",
    "JanusSupervisor",
    "JanusUnavailable",
    "JanusUnreachable",
    "TextRoomAdmin",
    "VideoRoomAdmin",
    "remembered_port",
    "write_janus_config",
]
