"""Rendering the playback pages: their own Jinja2 environment, stylesheet and headers.

Titles, descriptions and screen names are whatever an API client or a visitor typed, so they
reach the templates raw and Jinja2 escapes them (autoescape is on). The stylesheet is inlined
and the Content-Security-Policy allows exactly it (by hash) and media from this server: no
scripts at all, so even an escaping mistake could not run one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from onstream.media import content_types
from onstream.recordings.models import Recording

TEMPLATES = Path(__file__).parent / "templates" / "play"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSS = (TEMPLATES / "style.css").read_text(encoding="utf-8")
_STYLESHEET = Markup(_CSS)  # noqa: S704  # the package's own stylesheet, never user input
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")

HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; media-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Whether the player shows depends on the visitor's pass and the recording's current
    # password: nothing may keep a copy of the page.
    "Cache-Control": "no-store",
}


def render(
    template: str, context: Mapping[str, object] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The named template as a complete HTML response with the security headers."""
    html = _environment.get_template(template).render(css=_STYLESHEET, **(context or {}))
    return HTMLResponse(html, status_code=status, headers=dict(HEADERS))


def length(duration_ms: int) -> str:
    """`0:25`, `12:05`, `1:02:03`: the recording's length as players show it."""
    minutes, seconds = divmod(round(duration_ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def _about(recording: Recording) -> dict[str, str | None]:
    return {
        "title": recording.title,
        "description": recording.description,
        "length": length(recording.duration_ms),
    }


def gate_page(
    recording: Recording, *, name: str, errors: list[str], status: int = 200
) -> HTMLResponse:
    """The questions to answer before watching, with what was wrong with the last answers."""
    context = {
        **_about(recording),
        "asks_password": recording.password is not None,
        "asks_name": not recording.allow_anonymous_playback,
        "name": name,
        "errors": errors,
    }
    return render("gate.html", context, status=status)


def player_page(recording: Recording, *, name: str, media_path: str) -> HTMLResponse:
    """The player, or a note that the recording has no media."""
    context = {
        **_about(recording),
        "name": name,
        "has_media": recording.media_key is not None,
        "element": content_types.player_element(recording.media_type),
        "media_path": media_path,
    }
    return render("player.html", context)


def not_found_page() -> HTMLResponse:
    """The one 404 page for a playback link that leads nowhere, whatever the reason."""
    return render("not_found.html", status=404)
