"""The redirect between `/play/1/` and `/play/1`, to this server's own origin.

Starlette's router answers a path that matches nothing but would with its trailing slash
added or taken away with a redirect to the other spelling, built from the request's `Host`
header: whoever sent `Host: evil.example` got `Location: http://evil.example/play/1`, which a
cache or a proxy in front could hand to others. `SlashRedirect` is the router's fallback
in its place (with the router's own redirect turned off): the same rule, with `Location`
built from `ONSTREAM_BASE_URL`. An absolute URL, not a path: a path such as `//evil.example`
would be read by browsers as another host.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send


class SlashRedirect:
    """The router's fallback: a redirect to the other spelling when a route takes it, else
    the router's 404."""

    def __init__(self, router: Router, *, base_url: str) -> None:
        self.router = router
        self.base_url = base_url.rstrip("/")

    @classmethod
    def install(cls, router: Router, *, base_url: str) -> None:
        """Take the place of the router's own redirect."""
        router.redirect_slashes = False
        router.default = cls(router, base_url=base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] == "http" and path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            moved = {**scope, "path": other}
            if any(route.matches(moved)[0] is not Match.NONE for route in self.router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                url = self.base_url + other + (f"?{query}" if query else "")
                await RedirectResponse(url)(scope, receive, send)
                return
        await self.router.not_found(scope, receive, send)
