"""Rendering the web pages: one Jinja2 environment, the wording of times, and safe headers.

Every value reaches the templates raw and Jinja2 escapes it (autoescape is on for every
template), because topics and names are whatever an API client or a visitor typed.
The stylesheet is inlined, so a page is one response that works without JavaScript, and
the Content-Security-Policy allows exactly that stylesheet (by its hash) and nothing else:
no scripts at all, so even an escaping mistake could not run one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from onstream.sessions import rules
from onstream.web.queries import Meeting

TEMPLATES = Path(__file__).parent / "templates"

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

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The pages show live state (a withdrawn link must stop working at once) and the
    # personal link carries its secret in the URL: nothing may keep a copy.
    "Cache-Control": "no-store",
}

ROLE_NAMES: Mapping[int, str] = {1: "moderator", 2: "participant", 3: "observer"}


def render(template: str, context: Mapping[str, object], *, status: int = 200) -> HTMLResponse:
    """The named template as a complete HTML response with the security headers."""
    page = _environment.get_template(template)
    html = page.render({**context, "css": _STYLESHEET})
    return HTMLResponse(html, status_code=status, headers=dict(SECURITY_HEADERS))


def not_found() -> HTMLResponse:
    """The one 404 page for every link that leads nowhere, whatever the reason."""
    return render("not_found.html", {}, status=404)


def when(meeting: Meeting) -> str:
    """`Wednesday, 10 July 2030, 18:00 (UP1)`: the start in the session's own zone."""
    wall: datetime = rules.utc_to_wall(
        meeting.start_utc, timezone=meeting.timezone, dst=meeting.dst
    )
    return f"{wall:%A}, {wall.day} {wall:%B %Y, %H:%M} ({meeting.timezone})"


def duration(minutes: int) -> str:
    """`45 minutes`, `1 hour`, `2 hours 30 minutes`."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def meeting_context(meeting: Meeting) -> dict[str, object]:
    """What every page about a session shows of it."""
    return {
        "topic": meeting.topic,
        "when": when(meeting),
        "duration": duration(meeting.duration),
    }
