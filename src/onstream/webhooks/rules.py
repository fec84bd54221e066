"""The rules a webhook's fields follow, as pure functions: a URL's syntax, known event names,
a delivery status to filter by.

Where a URL's host points is not checked here: that needs a DNS lookup, which
`service.check_url` does through `targets` before the request's transaction.
"""

from __future__ import annotations

from onstream.errors import Invalid
from onstream.webhooks import targets
from onstream.webhooks.events import EVENTS
from onstream.webhooks.outbox import STATUSES


def check_url_syntax(url: str) -> str:
    """The URL, surrounding space removed, if it is one a webhook may have (http(s), a host,
    no user name or password), else `Invalid`; where its host points is not looked up."""
    url = url.strip()
    targets.target_of(url)
    return url


def check_events(text: str) -> str:
    """Known event names, `;`-separated, each once; in the stored form."""
    names = list(dict.fromkeys(n.strip() for n in text.split(";") if n.strip()))
    if not names:
        raise Invalid(f"events must name at least one event of: {', '.join(EVENTS)}")
    unknown = [n for n in names if n not in EVENTS]
    if unknown:
        raise Invalid(f"Unknown event '{unknown[0]}' in events; available: {', '.join(EVENTS)}")
    return ";".join(names)


def check_status(status: str | None) -> str | None:
    """A delivery status to filter by, or None for all."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of: {', '.join(STATUSES)}")
    return status
