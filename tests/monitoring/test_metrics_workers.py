"""`/metrics` of `onstream serve --workers 2`: every process's counters, added up, whichever
process answers the scrape (the socket and the processes are the point)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.monitoring.test_probes import TOKEN, sample
from tests.support.server import ServerProcess

pytestmark = [
    pytest.mark.live,
    pytest.mark.any_database,  # the processes' counters are the point
]

ROUTE = "/api/{ver}/{username}/authverify"


def test_metrics_add_up_every_worker(tmp_path: Path, new_database: Callable[[Path], str]) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    stale = folder / "counter_1.db"
    stale.write_bytes(b"a counter file of an earlier run")
    proc = ServerProcess(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={"ONSTREAM_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    proc.add_account("multi", "multi-secret-1")
    proc.start("--workers", "2")
    try:
        assert not stale.exists()  # an earlier run's counters are not added to this one's
        sent = 0
        while len({p.name.split("_")[-1] for p in folder.glob("counter_*.db")}) < 2:
            assert sent < 2000, "the requests never reached a second worker"
            # a new connection each time, so the kernel hands them to either process
            response = httpx.get(
                f"{proc.base_url}/api/2/multi/authverify", auth=("multi", "multi-secret-1")
            )
            assert response.status_code == 200
            sent += 1
        labels = dict(route=ROUTE, method="GET", status="200")
        for _ in range(6):  # each scrape may be answered by either process: all agree
            text = httpx.get(
                f"{proc.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            ).text
            assert sample(text, "onstream_http_requests_total", **labels) == sent
    finally:
        proc.stop()


def test_serve_removes_the_metrics_folders_of_servers_that_are_gone(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    gone = temp / "onstream-metrics-999999999-abc"  # no process has this pid
    gone.mkdir()
    (gone / "counter_1.db").write_bytes(b"x")
    proc = ServerProcess(
        workdir=tmp_path, database_url=new_database(tmp_path), extra_env={"TMPDIR": str(temp)}
    )
    proc.start()
    try:
        assert not gone.exists()
        [own] = temp.glob("onstream-metrics-*")
        assert own.name.startswith(f"onstream-metrics-{proc.process.pid}-")  # type: ignore[union-attr]
    finally:
        proc.stop()
