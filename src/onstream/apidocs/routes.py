"""`/api/2/openapi.json`, `/docs`, `/docs/guide` (the index), `/docs/guide/{resource}` and
their assets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from onstream.apidocs.guide import guide_html, guide_page_html, guide_pages
from onstream.apidocs.operations import NAMING
from onstream.protocol.openapi import openapi
from onstream.protocol.resources import Resource

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
    "guide.css": "text/css; charset=utf-8",
    "guide.js": "text/javascript; charset=utf-8",
    "SWAGGER-UI-LICENSE.txt": "text/plain; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Swagger UI sets inline styles on its elements, hence `unsafe-inline` for styles only."""
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
ASSET_HEADERS = {"cache-control": "public, max-age=3600", "x-content-type-options": "nosniff"}

VIEWER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Onstream API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" href="data:,">
</head><body>
<p style="font-family: sans-serif; margin: 1rem 2rem">
<a href="/docs/guide">Guide: quick start, PHP, curl and Python for every call</a> ·
<a href="/api/2/openapi.json">openapi.json</a> ·
<a href="/account">Your account: sessions and settings</a></p>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/docs.js"></script>
</body></html>
"""


def docs_routes(resources: Mapping[str, Resource], *, base_url: str) -> list[BaseRoute]:
    """The routes; listed before `/api/...` and before any `/{username}/...` route."""
    description = JSONResponse(openapi(resources, version="2", naming=NAMING))
    guide = HTMLResponse(guide_html(resources, base_url=base_url), headers=PAGE_HEADERS)
    viewer = HTMLResponse(VIEWER, headers=PAGE_HEADERS)
    every = guide_pages(resources)
    pages = {
        page.slug: HTMLResponse(
            guide_page_html(page, base_url=base_url, pages=every), headers=PAGE_HEADERS
        )
        for page in every
    }

    async def openapi_json(_request: Request) -> Response:
        return description

    async def docs(_request: Request) -> Response:
        return viewer

    async def guide_index(_request: Request) -> Response:
        return guide

    async def guide_page(request: Request) -> Response:
        found = pages.get(request.path_params["page"])
        if found is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        return found

    return [
        Route("/api/2/openapi.json", openapi_json, methods=["GET", "HEAD"]),
        Route("/docs", docs, methods=["GET", "HEAD"]),
        Route("/docs/guide", guide_index, methods=["GET", "HEAD"]),
        Route("/docs/guide/{page}", guide_page, methods=["GET", "HEAD"]),
        Route("/docs/static/{name}", asset, methods=["GET", "HEAD"]),
    ]


async def asset(request: Request) -> Response:
    """One of the viewer's files; 404 for anything else."""
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(STATIC / name, media_type=media_type, headers=ASSET_HEADERS)
