"""The server runtime: what `onstream serve` and `onstream worker` run once the command line
is parsed.

- `process`: one uvicorn server process (the only one, or a worker child), its heartbeat;
- `supervisor`: `serve --workers N`'s parent, which starts, watches and replaces workers;
- `listeners`: the shared address, one `SO_REUSEPORT` socket per worker;
- `deadlines`: uvicorn's httptools protocol with a head cap, a head deadline and a body rate;
- `coalesce`: the writes of one event-loop turn sent together;
- `heap`: the heap freezes that keep the collector's full passes short;
- `metrics`: the one metrics folder all server processes write to;
- `preparation`: `serve --workers N`'s migration and demo account, done in a child;
- `demo`: `serve --demo`'s Janus, beside the API;
- `delivery`: `onstream worker`, the delivery workers alone until SIGTERM or SIGINT.

`onstream.cli` parses commands and calls into this package; nothing here parses a command
line but the worker child's own few flags.
"""
