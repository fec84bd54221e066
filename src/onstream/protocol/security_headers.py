"""The headers every HTML answer carries, a page's or the API's `html` format's.

An HTML answer of this origin must not run anything it was not written to run, be framed
by another site (clickjacking), be read as another type than it says (`nosniff`), or hand
its URL, which may carry a secret, to the sites it links to. The pages (`web.rendering`)
give their own policy; the API's tables need nothing at all, so theirs forbids everything.
"""

from __future__ import annotations

API_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""The `html` format's Content-Security-Policy: a page of tables loads, runs and posts
nothing."""


def security_headers(csp: str) -> dict[str, str]:
    """The headers of an HTML answer with this Content-Security-Policy."""
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
