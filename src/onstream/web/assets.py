"""`/static/{name}`: the room's scripts, ours and the Debian-packaged browser libraries.

janus.js (libjs-janus-gateway) and adapter.js (libjs-webrtc-adapter) are served from where
Debian installs them, so every asset comes from this server (no CDN) and follows the
system's security updates. A missing package answers 404 and the room page says so.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

STATIC = Path(__file__).parent / "static"
VENDOR = {
    "janus.js": Path("/usr/share/javascript/janus-gateway/janus.js"),
    "adapter.js": Path("/usr/share/javascript/webrtc-adapter/adapter.js"),
}
OWN = {path.name: path for path in STATIC.glob("*.js")}
HEADERS = {"cache-control": "public, max-age=300", "x-content-type-options": "nosniff"}


async def asset(request: Request) -> Response:
    """One script, as JavaScript; 404 for anything else."""
    name = request.path_params["name"]
    path = OWN.get(name) or VENDOR.get(name)
    if path is None or not path.is_file():
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=HEADERS)


def asset_routes() -> list[BaseRoute]:
    """The route of the scripts; listed before any `/{username}/...` route."""
    return [Route("/static/{name}", asset, methods=["GET", "HEAD"])]
