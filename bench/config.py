"""The two profiles: the full run the goals are measured with, and a quick smoke run."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
LUA = REPO / "bench" / "lua"


@dataclass(frozen=True, slots=True)
class Profile:
    """Data sizes and run lengths of one benchmark run."""

    name: str
    sessions: int
    """Sessions of the big account (G1-G3)."""
    invited_sessions: int
    """How many of them have invitees (two each)."""
    pg_sessions: int
    """Sessions seeded on PostgreSQL (G5)."""
    pg_invited_sessions: int
    invitations: int
    """G6: invitations sent through the API to the SMTP sink."""
    invitations_per_request: int
    warmup: float
    """Seconds of load before each figure's measured runs, not counted."""
    runs: int
    duration: float
    """Seconds of each measured run; the figure is the median of `runs` runs."""
    connections: int
    threads: int
    workers: int
    login_rate: float = 20.0
    """G2: failed logins per second in the background."""
    settle: float = 2.0
    """Seconds of quiet between figures."""


WORKERS = os.cpu_count() or 1

FULL = Profile(
    name="full",
    sessions=1_000_000,
    invited_sessions=10_000,
    pg_sessions=1_000_000,
    pg_invited_sessions=10_000,
    invitations=10_000,
    invitations_per_request=100,
    warmup=5.0,
    runs=3,
    duration=10.0,
    connections=32,
    threads=1,
    workers=WORKERS,
)

QUICK = replace(
    FULL,
    name="quick",
    sessions=100_000,
    invited_sessions=1_000,
    pg_sessions=20_000,
    pg_invited_sessions=200,
    invitations=1_000,
    warmup=2.0,
    runs=2,
    duration=3.0,
    settle=1.0,
)
