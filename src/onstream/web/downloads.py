"""Download links of uploaded files: `/files/{key}/{name}` (the `file_link` of an upload).

The key is the secret: whoever has the link gets the file, as with a session's link, since
the link is meant to be handed to every participant of a session. The name only tells
browsers what to call the file; any name serves the key's file.

Uploaded bytes are whatever a client sent, so they are never served as something this origin
would run: audio, video and images (but SVG) are shown in place, everything else downloads as
an attachment, and a sandboxing Content-Security-Policy and `nosniff` go with every answer.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from onstream.files import repository
from onstream.media import content_types
from onstream.media.ranges import media_response
from onstream.media.store import KEY_PATTERN, MediaStore
from onstream.storage.database import Database, transaction


class KeyRoute(Route):
    """Matches only when `{key}` has the shape of a media key.

    `/files/...` is also the shape of an account's pages (`/{username}/go/{token}`) should an
    account be called `files`; those never look like a key, so they keep their route.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """starlette's matching, minus paths whose key segment cannot be a media key."""
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            key = str(child_scope["path_params"].get("key", ""))
            if not KEY_PATTERN.fullmatch(key):
                return Match.NONE, {}
        return match, child_scope


def download_routes(*, database: Database, store: MediaStore) -> list[BaseRoute]:
    """The download route; `create_app` lists it before any `/{username}/...` route."""

    async def download(request: Request) -> Response:
        """The file's bytes (byte ranges too), or 404 when it was deleted or never existed."""
        async with transaction(database, write=False) as conn:
            found = await repository.by_media_key(conn, request.path_params["key"])
        size = await store.size(found.media_key) if found and found.media_key else None
        if found is None or found.media_key is None or size is None:
            return PlainTextResponse("No such file.", status_code=404)
        content_type = found.media_type or content_types.DEFAULT
        inline = (
            content_type.startswith(content_types.INLINE_PREFIXES) and "svg" not in content_type
        )
        name = found.media_name or "file"
        disposition = (
            f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name, safe='')}"
        )
        headers = {
            "content-disposition": disposition,
            "cache-control": "private, no-cache",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
        }
        return media_response(
            request,
            store,
            key=found.media_key,
            size=size,
            content_type=content_type,
            headers=headers,
        )

    return [KeyRoute("/files/{key}/{name}", download, methods=["GET", "HEAD"])]
