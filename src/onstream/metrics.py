"""Prometheus metrics: what every layer counts, and the middleware that times requests.

The metric objects live here, at the bottom of the layers, so the mail worker and the
authenticator count their events without knowing who reads them. `onstream serve` sets
`PROMETHEUS_MULTIPROC_DIR` before anything imports `prometheus_client` (the client picks its
storage at import): every worker process then writes its counters to files there and
`/metrics`, answered by any one of them, adds all processes up. Without the variable (tests,
the bench's apps) the counters live in the process's own default registry.

Requests are labelled by route template (`/{username}/go/{key}`) or, for the API, by
resource (`/api/{ver}/{username}/session`), never by the raw URL: a label value per URL
would grow the series without bound and put logins and keys into the metrics.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
RESOURCE_KEY = "onstream.resource"
"""Where the API endpoint leaves the resource name in the ASGI scope, for the label."""
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "onstream_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "onstream_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTH_FAILURES = Counter(
    "onstream_auth_failures",
    "Refused API credentials (wrong password or token, another login's, a disabled account).",
    ["scheme"],
)
DELIVERY_FAILURES = Counter(
    "onstream_mail_delivery_failures",
    "Failed SMTP deliveries, by outcome: retry (tried again later) or failed (given up).",
    ["outcome"],
)
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"})


def exposition(extra: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text format of every process's metrics plus `extra` collectors (computed now)."""
    if os.environ.get(MULTIPROC_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Default(Collector):
    """This process's default registry, re-exposed beside the extra collectors."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


Scope = dict[str, Any]


class MetricsMiddleware:
    """Counts and times every HTTP request by route template, method and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # labelled series, kept: `labels()` takes a lock and builds a key on every call
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = route_label(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            counter = self._counters.get((route, method, status))
            if counter is None:
                counter = self._counters[(route, method, status)] = REQUESTS.labels(
                    route, method, str(status)
                )
            timer = self._timers.get((route, method))
            if timer is None:
                timer = self._timers[(route, method)] = LATENCY.labels(route, method)
            counter.inc()
            timer.observe(time.perf_counter() - start)


def route_label(scope: Scope) -> str:
    """The route's template; for the API the resource the endpoint recognised."""
    resource = scope.get(RESOURCE_KEY)
    if resource is not None:
        return f"/api/{{ver}}/{{username}}/{resource}"
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return "/api/{ver}/{username}/{unknown}" if path.startswith("/api/") else path
