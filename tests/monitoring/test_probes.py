"""`/health`, `/ready` and `/metrics` of the application, in process: what a load balancer
and Prometheus see."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, insert, text

from onstream.app import create_app
from onstream.clock import utcnow
from onstream.config import load_settings
from onstream.mail.tables import outbox
from onstream.storage.connection import Connection
from tests.support.app import AppServer
from tests.support.server import free_port
from tests.support.waiting import wait_until

TOKEN = "metrics-token-1"
LOGIN, PASSWORD = "watched", "watched-secret-1"


@pytest.fixture(scope="module")
def monitored(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[AppServer]:
    """A server with a metrics token, a short outbox threshold and an SMTP relay that is
    down (a closed port), so every delivery fails."""
    workdir = tmp_path_factory.mktemp("monitored")
    app = AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={
            "ONSTREAM_METRICS_TOKEN": TOKEN,
            "ONSTREAM_READY_OUTBOX_MAX_AGE_SECONDS": "600",
            "ONSTREAM_SMTP_HOST": "127.0.0.1",
            "ONSTREAM_SMTP_PORT": str(free_port()),
            "ONSTREAM_MAIL_POLL_SECONDS": "0.1",
        },
    )
    app.start()
    app.add_account(LOGIN, PASSWORD)
    yield app
    app.close()


def scrape(server: AppServer) -> str:
    response = server.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if found == labels:
            return float(match.group(2))
    return 0.0


async def add_old_message(conn: Connection, *, age: timedelta) -> None:
    """A pending message queued `age` ago, due far in the future (the worker leaves it)."""
    now = utcnow()
    await conn.execute(
        insert(outbox).values(
            kind="invite",
            recipient="x@example.com",
            subject="old",
            message="x",
            status="pending",
            attempts=0,
            next_attempt_at=now + timedelta(days=30),
            created_at=now - age,
        )
    )


async def empty_outbox(conn: Connection) -> None:
    await conn.execute(delete(outbox))


def test_health_answers_without_asking_the_database(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    settings = load_settings({"ONSTREAM_DATABASE_URL": f"sqlite:///{broken}"}, env_file=None)
    transport = httpx.ASGITransport(app=create_app(settings))

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get("/health"), await client.get("/ready")

    health, ready = asyncio.run(ask())
    assert (health.status_code, health.text) == (200, "ok")
    assert ready.status_code == 503
    assert ready.json() == {"ready": False, "reason": "the database does not answer"}


def test_ready_when_the_database_is_current(monitored: AppServer) -> None:
    response = monitored.get("/ready")
    assert (response.status_code, response.json()) == (200, {"ready": True})


def test_not_ready_while_the_schema_is_behind(monitored: AppServer) -> None:
    [row] = monitored.query(text("SELECT version_num FROM alembic_version"))
    current = row["version_num"]

    async def set_revision(conn: Connection, value: str) -> None:
        await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": value})

    monitored.run(lambda conn: set_revision(conn, "0004"))
    try:
        response = monitored.get("/ready")
    finally:
        monitored.run(lambda conn: set_revision(conn, current))
    assert response.status_code == 503
    assert response.json() == {
        "ready": False,
        "reason": f"the database schema is at 0004, not {current}",
    }
    assert monitored.get("/ready").status_code == 200


def test_not_ready_while_old_mail_waits(monitored: AppServer) -> None:
    monitored.run(lambda conn: add_old_message(conn, age=timedelta(seconds=30)))
    assert monitored.get("/ready").status_code == 200  # young mail is normal
    monitored.run(lambda conn: add_old_message(conn, age=timedelta(hours=2)))
    try:
        response = monitored.get("/ready")
        metrics = scrape(monitored)
    finally:
        monitored.run(empty_outbox)
    assert response.status_code == 503
    reason = response.json()["reason"]
    assert re.fullmatch(r"the oldest undelivered e-mail has waited 72\d\d s \(over 600 s\)", reason)
    assert sample(metrics, "onstream_outbox_pending") == 2
    assert sample(metrics, "onstream_outbox_oldest_age_seconds") >= 7200
    assert monitored.get("/ready").status_code == 200


def test_metrics_need_the_bearer_token(monitored: AppServer) -> None:
    assert monitored.get("/metrics").status_code == 401
    wrong = monitored.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    basic = monitored.get("/metrics", auth=(LOGIN, PASSWORD))
    assert basic.status_code == 401


def test_metrics_are_off_without_a_token(server: AppServer) -> None:
    response = server.get("/metrics")
    assert response.status_code == 404
    assert "ONSTREAM_METRICS_TOKEN" in response.text


def test_requests_are_counted_by_resource_never_by_url(monitored: AppServer) -> None:
    route = "/api/{ver}/{username}/authverify"
    before = scrape(monitored)
    with monitored.api_client(LOGIN, PASSWORD) as client:
        for _ in range(3):
            assert client.get("authverify").status_code == 200
    with monitored.api_client(LOGIN, "wrong-password") as client:
        assert client.get("authverify").status_code == 401
    after = scrape(monitored)
    ok = dict(route=route, method="GET", status="200")
    refused = dict(route=route, method="GET", status="401")
    assert (
        sample(after, "onstream_http_requests_total", **ok)
        - sample(before, "onstream_http_requests_total", **ok)
        == 3
    )
    assert (
        sample(after, "onstream_http_requests_total", **refused)
        - sample(before, "onstream_http_requests_total", **refused)
        == 1
    )
    count = dict(route=route, method="GET")
    assert (
        sample(after, "onstream_http_request_duration_seconds_count", **count)
        - sample(before, "onstream_http_request_duration_seconds_count", **count)
        == 4
    )
    failures = dict(scheme="basic")
    assert (
        sample(after, "onstream_auth_failures_total", **failures)
        - sample(before, "onstream_auth_failures_total", **failures)
        == 1
    )
    assert LOGIN not in after  # never a raw URL, a login or a key as a label
    monitored.get("/watched/go/some-key")
    pages = scrape(monitored)
    assert "some-key" not in pages
    assert 'route="/{username}/go/{token}"' in pages


def test_failed_deliveries_are_counted(monitored: AppServer) -> None:
    before = sample(scrape(monitored), "onstream_mail_delivery_failures_total", outcome="retry")
    with monitored.api_client(LOGIN, PASSWORD) as client:
        created = client.put(
            "session/format/json",
            data={
                "topic": "Relay down",
                "start_time": "2030-01-01 10:00:00",
                "duration": 30,
                "invited_participants[0][email]": "ana@example.com",
            },
        )
        assert created.status_code == 201, created.text
    wait_until(
        lambda: (
            sample(scrape(monitored), "onstream_mail_delivery_failures_total", outcome="retry")
            > before
        ),
        "a retried delivery counted",
        60,
    )
    monitored.run(empty_outbox)
