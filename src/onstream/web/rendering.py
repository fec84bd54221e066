"""Rendering every web page: one Jinja2 environment, one stylesheet, one set of headers.

Every value reaches the templates raw and Jinja2 escapes it (autoescape is on for every
template), because topics, names and titles are whatever an API client or a visitor typed.
The stylesheet is inlined, so a page is one response that works without JavaScript, and the
Content-Security-Policy allows exactly that stylesheet (by its hash) and what the page needs
beyond it, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from onstream import bidi, timezones, zone_names
from onstream.protocol import security_headers as html_headers

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _place(account: Any) -> str:
    """An account's clock as a person reads it: its IANA zone, or its code's place."""
    return timezones.place_of(account.timezone, account.dst) or str(account.timezone)


_environment.filters["bdi"] = bidi.bdi
_environment.filters["isolated"] = bidi.isolated
_environment.filters["place"] = _place
# names and topics shown as they read, whatever direction controls they carry (onstream.bidi)

_CSS = (TEMPLATES / "style.css").read_text(encoding="utf-8")
_STYLESHEET = Markup(_CSS)  # noqa: S704  # the package's own stylesheet, never user input
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(*, media: bool = False, extra: Mapping[str, str] | None = None) -> str:
    """The page's policy: the inlined stylesheet, forms posting here, no framing, no scripts.

    `media` lets `<video>`/`<audio>` load from this server (the playback page); `extra` adds
    directives a page needs beyond that (the meeting room's scripts and connections).
    """
    directives = {
        "default-src": "'none'",
        "style-src": f"'sha256-{_CSS_HASH}'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
    }
    if media:
        directives["media-src"] = "'self'"
    directives.update(extra or {})
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(csp: str) -> dict[str, str]:
    """The headers of every page, with its policy: those of every HTML answer, and no copies."""
    return {
        **html_headers.security_headers(csp),
        # Pages show live state (a withdrawn link must stop working at once, a changed
        # password must close the player) and some carry a secret in the URL: no copies.
        "Cache-Control": "no-store",
    }


DEFAULT_CSP = content_security_policy()
SCRIPT_CSP = content_security_policy(extra={"script-src": "'self'"})
ZONE_ALIASES = json.dumps(zone_names.browser_aliases(), separators=(",", ":"), sort_keys=True)
"""The old zone names a browser may report and today's, for `zone.js` (a data attribute)."""
"""A page with this server's own scripts (`/static/`), such as the zone fields' `zone.js`."""


def render(
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    status: int = 200,
    csp: str = DEFAULT_CSP,
) -> HTMLResponse:
    """The named template as a complete HTML response with the security headers."""
    html = _environment.get_template(template).render({**(context or {}), "css": _STYLESHEET})
    return HTMLResponse(html, status_code=status, headers=security_headers(csp))


def script_json(value: object) -> Markup:
    """JSON to embed in `<script type="application/json">`: a script element's text is not
    HTML-decoded, so instead of escaping entities, `<`, `>` and `&` become JSON escapes
    (no `</script>` can end the element early)."""
    text = json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))  # noqa: S704  # escaped just above
