"""/docs renders the description in a real browser without console errors; /docs/guide
shows every call in PHP, curl and Python."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page
from tests.support.server import ServerProcess

from onstream.routes import RESOURCES

pytestmark = pytest.mark.live  # talks to a real `onstream serve` over a socket


def test_docs_renders_every_call_without_console_errors(server: ServerProcess, page: Page) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto(f"{server.base_url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    shown = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/session/id/{id}" in text for text in shown)
    assert page.locator(".opblock").count() == sum(
        len(op)
        for op in httpx.get(f"{server.base_url}/api/2/openapi.json").json()["paths"].values()
    )
    assert problems == []


def test_guide_shows_every_call_three_ways(server: ServerProcess, page: Page) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.base_url}/docs/guide")
    for name, resource in RESOURCES.items():
        for method in resource.allowed:
            section = page.locator(f"#{method.lower()}-{name}")
            assert section.inner_text() == f"{method} {name}"
    text = page.inner_text("body")
    assert "CURLOPT_USERPWD" in text
    assert "--data-urlencode input_type=json" in text
    assert 'api.call("PUT", "session", {' in text
    assert problems == []


def test_the_viewer_assets_are_local(server: ServerProcess) -> None:
    page = httpx.get(f"{server.base_url}/docs").text
    assert "http" not in page.replace('href="/api/2/openapi.json"', "")
    bundle = httpx.get(f"{server.base_url}/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{server.base_url}/docs/static/../app.py").status_code == 404
