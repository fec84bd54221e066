"""The one table of the run (markdown, for the console and docs/benchmarks.md) and its JSON twin."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.figures import G6_SECONDS, FixedRate, Invitations, UnderLogins
from bench.flood import GOAL_P99_MS, SignInFlood
from bench.memory import Peak
from bench.wrk import Measured

RSS_LIMIT_MB = 200.0
G6_LIMIT_S = G6_SECONDS


@dataclass
class Row:
    """One line of the table."""

    figure: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio_b: float | None = None
    errors: int | None = None
    goal: str = ""
    measured: str = ""
    met: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Results:
    """Everything measured in one run; a figure that was not run stays None."""

    b: Measured | None = None
    g1: Measured | None = None
    g2_off: Measured | None = None
    g2_logins: UnderLogins | None = None
    g3_first: Measured | None = None
    g3_fixed: FixedRate | None = None
    g3_last: Measured | None = None
    g4: Measured | None = None
    g5_get: Measured | None = None
    g5_put: Measured | None = None
    g6: Invitations | None = None
    g7: Peak | None = None
    sign_in_flood: SignInFlood | None = None
    memory_by_figure: dict[str, Peak] = field(default_factory=dict)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _wrk_row(name: str, m: Measured, b: Measured | None) -> Row:
    return Row(
        name,
        rps=m.rps,
        p50_ms=m.p50_ms,
        p99_ms=m.p99_ms,
        ratio_b=_ratio(m.rps, b.rps if b else None),
        errors=m.errors,
        detail=m.as_dict(),
    )


def _pct(x: float | None) -> str:
    return f"{x:.0%}" if x is not None else "n/a"


def rows(r: Results, *, invitations_goal: int) -> list[Row]:
    """Every figure with its goal judged."""
    out: list[Row] = []
    b = r.b
    if b:
        row = _wrk_row("B baseline: bare ASGI app, orjson body", b, b)
        row.goal, row.measured = "(reference)", "-"
        out.append(row)
    if r.g1:
        row = _wrk_row("G1 GET session, Basic auth, JSON", r.g1, b)
        row.goal = "≥ 30 % of B"
        row.measured = f"{_pct(row.ratio_b)} of B"
        row.met = row.ratio_b is not None and row.ratio_b >= 0.30
        out.append(row)
    if r.g2_off:
        row = _wrk_row("G2 same GET, auth off (bench app)", r.g2_off, b)
        on_off = _ratio(r.g1.rps if r.g1 else None, r.g2_off.rps)
        row.goal = "auth on ≥ 90 % of auth off"
        row.measured = f"auth on = {_pct(on_off)} of off"
        row.met = on_off is not None and on_off >= 0.90
        out.append(row)
    if r.g2_logins:
        m = r.g2_logins.cached
        row = _wrk_row("G2 same GET while 20 failed logins/s arrive", m, b)
        times = _ratio(m.p99_ms, r.g1.p99_ms if r.g1 else None)
        row.goal = "p99 ≤ 2 x idle p99 (G1)"
        bg = r.g2_logins.logins
        row.measured = (
            f"p99 {times:.1f} x idle; logins answered {bg.ok}/{bg.sent}, p99 {bg.p99_ms:.0f} ms"
            if times is not None
            else "n/a"
        )
        row.met = times is not None and times <= 2.0
        row.detail = r.g2_logins.as_dict()
        out.append(row)
    if r.g3_first:
        row = _wrk_row("G3 GET sessions count 100, first page", r.g3_first, b)
        row.goal = "≥ 10 % of B"
        row.measured = f"{_pct(row.ratio_b)} of B"
        row.met = row.ratio_b is not None and row.ratio_b >= 0.10
        out.append(row)
    if r.g3_fixed:
        f = r.g3_fixed
        row = Row(
            f"G3 first page at half its rate ({f.rate:.0f}/s fixed)",
            rps=f.achieved_rps,
            p50_ms=f.p50_ms,
            p99_ms=f.p99_ms,
            ratio_b=_ratio(f.achieved_rps, b.rps if b else None),
            errors=f.errors,
            goal="p99 < 20 ms",
            measured=f"p99 {f.p99_ms:.1f} ms",
            met=f.p99_ms < 20.0 and f.errors == 0,
            detail=f.as_dict(),
        )
        out.append(row)
    if r.g3_last:
        row = _wrk_row("G3 last page (offset = total - 100)", r.g3_last, b)
        times = _ratio(r.g3_last.p99_ms, r.g3_first.p99_ms if r.g3_first else None)
        row.goal = "p99 ≤ 1.2 x first page p99"
        row.measured = f"p99 {times:.1f} x first page" if times is not None else "n/a"
        row.met = times is not None and times <= 1.2
        out.append(row)
    if r.g4:
        row = _wrk_row("G4 PUT session (a transaction each)", r.g4, b)
        of_g1 = _ratio(r.g4.rps, r.g1.rps if r.g1 else None)
        row.goal = "≥ 15 % of B and ≥ 50 % of G1"
        row.measured = f"{_pct(row.ratio_b)} of B, {_pct(of_g1)} of G1"
        row.met = (row.ratio_b or 0) >= 0.15 and (of_g1 or 0) >= 0.50
        out.append(row)
    for name, pg in (("G5 G1 on PostgreSQL", r.g5_get), ("G5 G4 on PostgreSQL", r.g5_put)):
        if pg:
            row = _wrk_row(name, pg, b)
            row.goal = "≥ 20 % of B, zero errors"
            row.measured = f"{_pct(row.ratio_b)} of B, {pg.errors} errors"
            row.met = (row.ratio_b or 0) >= 0.20 and pg.errors == 0
            out.append(row)
    if r.g6:
        g = r.g6
        row = Row(
            f"G6 {g.wanted:,} invitations to an SMTP sink",
            rps=g.delivered / g.seconds if g.seconds else None,
            errors=g.api_errors + (g.wanted - g.unique) + g.duplicates,
            goal=f"all within {G6_LIMIT_S:.0f} s, each once",
            measured=(
                f"{g.unique:,}/{g.wanted:,} in {g.seconds or 0:.1f} s "
                f"(API {g.api_seconds:.1f} s, {g.api_errors} of {g.requests} PUTs failed), "
                f"{g.duplicates} twice"
            ),
            met=(
                g.unique == g.wanted == invitations_goal
                and g.duplicates == 0
                and g.seconds is not None
                and g.seconds <= G6_LIMIT_S
            ),
            detail=asdict(g),
        )
        out.append(row)
    if r.sign_in_flood:
        out.extend(_flood_rows(r.sign_in_flood))
    if r.g7:
        row = Row(
            "G7 server memory, whole suite (process tree)",
            goal=f"RSS ≤ {RSS_LIMIT_MB:.0f} MB",
            measured=(
                f"max RSS {r.g7.rss_mb:.0f} MB over {r.g7.processes} processes "
                f"(PSS {r.g7.pss_mb:.0f} MB)"
            ),
            met=r.g7.rss_mb <= RSS_LIMIT_MB,
            detail={
                "overall": {"rss_mb": r.g7.rss_mb, "pss_mb": r.g7.pss_mb},
                "by_figure": {
                    k: {"rss_mb": round(v.rss_mb, 1), "pss_mb": round(v.pss_mb, 1)}
                    for k, v in r.memory_by_figure.items()
                },
            },
        )
        out.append(row)
    return out


def _flood_rows(f: SignInFlood) -> list[Row]:
    """The sign-in flood: /health and a cached login, timed by a client of their own."""
    answered = sum(f.flood.values())
    rows = []
    baselines = (f.baseline_health, f.baseline_cached_login)
    timers = (("GET /health", f.health), ("cached API login", f.cached_login))
    for (name, timed), baseline in zip(timers, baselines, strict=True):
        without = f"; {baseline.p99_ms:.1f} ms without" if baseline else ""
        rows.append(
            Row(
                f"{name} during a flood of wrong sign-ins and API passwords",
                p50_ms=timed.p50_ms,
                p99_ms=timed.p99_ms,
                errors=timed.errors,
                goal=f"p99 < {GOAL_P99_MS:.0f} ms",
                measured=(
                    f"p99 {timed.p99_ms:.1f} ms{without}; flood {answered:,} answers; "
                    f"load {f.load_average[0]:.1f}"
                ),
                met=timed.p99_ms < GOAL_P99_MS and timed.errors == 0,
                detail=f.as_dict(),
            )
        )
    return rows


def _num(x: float | None, fmt: str) -> str:
    return format(x, fmt) if x is not None else "-"


def table(table_rows: list[Row]) -> str:
    """The markdown table."""
    head = "| figure | req/s | p50 ms | p99 ms | x B | errors | goal | measured | result |"
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for row in table_rows:
        result = {True: "met", False: "**missed**", None: ""}[row.met]
        cells = [
            row.figure,
            _num(row.rps, ",.0f"),
            _num(row.p50_ms, ".2f"),
            _num(row.p99_ms, ".2f"),
            _num(row.ratio_b, ".2f"),
            "-" if row.errors is None else str(row.errors),
            row.goal,
            row.measured,
            result,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(
    path: Path, *, machine: dict[str, object], config: dict[str, object], table_rows: list[Row]
) -> None:
    """bench/results/latest.json: the machine, the profile and every row with its runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine, "config": config, "figures": [asdict(r) for r in table_rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
