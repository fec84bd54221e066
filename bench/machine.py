"""What a run was measured on: CPU, cores, memory, kernel, Python, SQLite, PostgreSQL, wrk."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]


def cpu_model() -> str:
    """The `model name` line of /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    """Total memory from /proc/meminfo, in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def postgres_version(admin_url: str | None) -> str | None:
    """`SHOW server_version` of the PostgreSQL server, or None when it cannot be reached."""
    if not admin_url:
        return None

    async def ask() -> str:
        conn = await asyncpg.connect(f"{admin_url.rstrip('/')}/postgres", timeout=5)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    try:
        return asyncio.run(ask())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None


def wrk_version() -> str:
    """The first line wrk prints about itself."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return "missing"
    out = subprocess.run(  # noqa: S603  # our own fixed command line
        [wrk, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else ""


def describe(admin_url: str | None) -> dict[str, object]:
    """Everything the report prints about the machine and the software under test."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(admin_url),
        "wrk": wrk_version(),
        "uvicorn": version("uvicorn"),
        "starlette": version("starlette"),
        "sqlalchemy": version("sqlalchemy"),
    }


def summary_line(info: dict[str, object]) -> str:
    """One line for the console and docs/benchmarks.md."""
    return (
        f"{info['date']}: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Linux {info['kernel']}, Python {info['python']}, SQLite {info['sqlite']}, "
        f"PostgreSQL {info['postgresql'] or 'n/a'}, {info['wrk']}"
    )
