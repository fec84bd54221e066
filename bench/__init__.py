"""The benchmark suite: `python -m bench` (`scripts/bench`), `--quick` for a smoke run.

Modules, one job each:

    config.py     the full and quick profiles (data sizes, durations, connections, workers)
    machine.py    what the run was measured on
    apps.py       the baseline ASGI app B and the bench-only "auth off" variant of the server
    servers.py    starting and stopping server processes, their process trees
    seed.py       bulk loader: accounts, sessions and invitees straight into the database
    wrk.py        closed-loop runs with wrk (Lua scripts in lua/), median of several runs
    fixedrate.py  open-loop fixed-rate load generator (wrk2 is not packaged)
    memory.py     RSS/PSS sampler of the server's process tree (/proc)
    smtp.py       the aiosmtpd sink that counts invitations
    figures.py    the figures G1..G7 (docs/benchmarks.md)
    report.py     the table and bench/results/latest.json
    suite.py      the whole run, in order, stopping everything it started
"""
