"""`/health`, `/ready` and `/metrics`.

`/health` says only that the process answers (no database: a load balancer must not take
every node out because the database hiccuped). `/ready` says whether this node can do its
work now: the database answers, its schema is the one this version expects, and the oldest
undelivered e-mail is younger than `ONSTREAM_READY_OUTBOX_MAX_AGE_SECONDS`, and, when meeting
rooms are configured (`ONSTREAM_JANUS_URLS`), at least one Janus answers within
`engine.ANSWER_SECONDS` (the answer is reused for `engine.LIVE_CACHE_SECONDS`, so frequent
probes do not reach Janus); otherwise 503 with `{"ready": false, "reason": "..."}`.
`/metrics` is Prometheus's text format, behind a bearer token (`ONSTREAM_METRICS_TOKEN`);
without one it is off (404), so a server never publishes its figures by accident.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.mail import outbox
from onstream.meetings.engine import JanusRooms
from onstream.metrics import exposition
from onstream.storage.database import Database, transaction

PROBE_SECONDS = 5.0
"""A database that has not answered in this long is as good as down for a load balancer."""

log = logging.getLogger("onstream.monitoring")


class NotReady(Exception):
    """Why this node should get no traffic now (the message is the JSON `reason`)."""


def probe_routes(
    database: Database, settings: Settings, *, rooms: JanusRooms | None = None
) -> list[Route]:
    """The three routes, bound to this application's database, settings and rooms."""

    async def ready(_request: Request) -> Response:
        try:
            await asyncio.wait_for(check_ready(database, settings), PROBE_SECONDS)
            if rooms is not None:
                await check_rooms(rooms)
        except NotReady as exc:
            return JSONResponse({"ready": False, "reason": str(exc)}, status_code=503)
        except TimeoutError:
            reason = f"the database did not answer within {PROBE_SECONDS:g} s"
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse({"ready": True})

    async def metrics(request: Request) -> Response:
        token = settings.metrics_token
        if not token:
            return PlainTextResponse("metrics are off; set ONSTREAM_METRICS_TOKEN", 404)
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "a bearer token is required", 401, headers={"WWW-Authenticate": "Bearer"}
            )
        backlog = await _backlog(database)
        body, content_type = exposition([OutboxCollector(backlog)])
        return Response(body, media_type=content_type)

    return [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


async def health(_request: Request) -> Response:
    """Liveness: the process answers; nothing else is asked."""
    return PlainTextResponse("ok")


@lru_cache(maxsize=1)
def _expected_revision() -> str | None:
    # Imported on the first readiness check, not with the app: Alembic costs every server
    # process 10 MB of memory, and a server that is never asked /ready never needs it.
    from onstream.storage.migrate import head_revision

    return head_revision()


async def check_ready(database: Database, settings: Settings) -> None:
    """Raise `NotReady` with the first reason this node should not get traffic."""
    try:
        async with transaction(database, write=False) as conn:
            revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            backlog = await outbox.backlog(conn)
    except Exception as exc:  # noqa: BLE001  # any failure to ask means "not ready"
        log.warning("readiness: the database does not answer: %s", exc.__class__.__name__)
        raise NotReady("the database does not answer") from None
    if revision != _expected_revision():
        raise NotReady(f"the database schema is at {revision}, not {_expected_revision()}")
    if backlog.oldest is not None:
        age = (utcnow() - backlog.oldest).total_seconds()
        if age > settings.ready_outbox_max_age_seconds:
            raise NotReady(
                f"the oldest undelivered e-mail has waited {age:.0f} s "
                f"(over {settings.ready_outbox_max_age_seconds:g} s)"
            )


async def check_rooms(rooms: JanusRooms) -> None:
    """Raise `NotReady` when meeting rooms are configured and no Janus answers: this node
    would send everybody to "the meeting service is unavailable". Without rooms configured
    the API alone is this node's work, so it stays ready."""
    if rooms.available and not await rooms.live_servers():
        raise NotReady(f"no meeting server answers ({len(rooms.servers)} configured)")


async def _backlog(database: Database) -> outbox.Backlog | None:
    try:
        async with transaction(database, write=False) as conn:
            return await outbox.backlog(conn)
    except Exception:  # the other metrics are still worth answering
        log.warning("metrics: the outbox could not be read", exc_info=True)
        return None


class OutboxCollector(Collector):
    """The outbox's depth and oldest age, read from the database at scrape time (the same
    figure whichever process answers)."""

    def __init__(self, backlog: outbox.Backlog | None) -> None:
        self._backlog = backlog

    def collect(self) -> Iterable[Any]:
        if self._backlog is None:
            return []
        oldest = self._backlog.oldest
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        return [
            GaugeMetricFamily(
                "onstream_outbox_pending",
                "E-mail messages not yet delivered.",
                value=self._backlog.pending,
            ),
            GaugeMetricFamily(
                "onstream_outbox_oldest_age_seconds",
                "How long the oldest undelivered e-mail has waited (0: none).",
                value=age,
            ),
        ]
