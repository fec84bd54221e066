"""`python -m bench.serve_app FACTORY --port P --workers W`: a bench-only app served exactly as
`onstream serve --workers W` serves the real one: the same supervisor, the same worker
processes (`onstream.server.process --app FACTORY`), the same uvicorn options (h11 with
the read deadlines, limits, one `SO_REUSEPORT` socket per worker) and the same metrics
folder, so that a figure taken against it differs from the real server's only by the app.
"""

from __future__ import annotations

import argparse
import os
import sys

from onstream import logs
from onstream.config import load_settings
from onstream.server import listeners
from onstream.server.metrics import metrics_directory
from onstream.server.supervisor import Supervisor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("factory", help="module:function returning the ASGI app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings().with_listen(host="127.0.0.1", port=args.port)
    logs.configure(settings.log_level, settings.log_format)
    held = listeners.reserve(settings.host, settings.port)
    os.environ["ONSTREAM_HOST"] = settings.host
    os.environ["ONSTREAM_PORT"] = str(settings.port)
    cleanup = metrics_directory()
    argv = [sys.executable, "-m", "onstream.server.process", "--app", args.factory]
    try:
        return Supervisor(args.workers, argv, stuck_seconds=settings.worker_timeout_seconds).run()
    finally:
        held.close()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
