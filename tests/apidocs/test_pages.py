"""/docs renders the description in a real browser without console errors; /docs/guide
links every call on its resource's page, which shows it in PHP, curl and Python."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page
from tests.support.server import ServerProcess

from onstream.apidocs.guide import guide_pages
from onstream.routes import RESOURCES

pytestmark = [
    pytest.mark.live,  # talks to a real `onstream serve` over a socket
    pytest.mark.any_database,  # the description's pages
]


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


def test_the_guide_index_links_every_call_on_its_resources_page(
    server: ServerProcess, page: Page
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.base_url}/docs/guide")
    assert "CURLOPT_USERPWD" not in page.inner_text("body")  # the calls are on their pages
    for guide in guide_pages(RESOURCES):
        title = page.get_by_role("link", name=guide.title, exact=True)
        assert title.get_attribute("href") == guide.path
        for name, method, _ in guide.calls:
            item = page.locator(f"#{method.lower()}-{name}")  # the one-page guide's anchor
            assert item.inner_text() == f"{method}\xa0{name}"
            link = item.get_by_role("link")
            assert link.get_attribute("href") == f"{guide.path}#{method.lower()}-{name}"
    listed = {(n, m) for g in guide_pages(RESOURCES) for n, m, _ in g.calls}
    assert listed == {(n, m) for n, r in RESOURCES.items() for m in r.allowed}
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height
    assert problems == []


@pytest.mark.parametrize("slug", [g.slug for g in guide_pages(RESOURCES)])
def test_each_resource_page_shows_its_calls_three_ways_with_contents(
    server: ServerProcess, page: Page, slug: str
) -> None:
    (guide,) = [g for g in guide_pages(RESOURCES) if g.slug == slug]
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.base_url}{guide.path}")
    assert page.get_by_role("heading", level=1).inner_text() == guide.title
    contents = page.get_by_role("navigation", name="Contents")
    for name, method, _ in guide.calls:
        anchor = f"{method.lower()}-{name}"
        assert contents.locator(f'a[href="#{anchor}"]').count() == 1
        section = page.get_by_role("region", name=f"{method} {name}", exact=True)
        assert section.locator(f"#{anchor}").inner_text() == f"{method} {name}"
        text = section.inner_text()
        assert "CURLOPT_USERPWD" in text  # PHP
        assert "curl -u demo:PASSWORD" in text
        assert f'api.call("{method}", "{name}"' in text  # Python
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"{guide.path}: {height} px high at 1280 px wide")
    assert height < 12000, height
    assert problems == []


def test_an_old_link_into_the_one_page_guide_reaches_the_call(
    server: ServerProcess, page: Page
) -> None:
    page.goto(f"{server.base_url}/docs/guide#post-session")
    page.wait_for_url(f"{server.base_url}/docs/guide/sessions#post-session")
    assert page.locator("#post-session").is_visible()
    page.goto(f"{server.base_url}/docs/guide#put-webhook")
    page.wait_for_url(f"{server.base_url}/docs/guide/webhooks#put-webhook")
    assert page.locator("#put-webhook").is_visible()
    assert httpx.get(f"{server.base_url}/docs/guide/no-such-page").status_code == 404


def test_the_viewer_assets_are_local(server: ServerProcess) -> None:
    page = httpx.get(f"{server.base_url}/docs").text
    assert "http" not in page.replace('href="/api/2/openapi.json"', "")
    bundle = httpx.get(f"{server.base_url}/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{server.base_url}/docs/static/../app.py").status_code == 404
