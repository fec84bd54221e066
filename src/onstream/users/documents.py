"""How users and the calendar feed appear in API documents (`user`, `calendar_feed`).

A user's document has the documented fields in their order, then `email_verified`, so a
client that reads columns by position finds them where the documentation puts them.
"""

from __future__ import annotations

from datetime import datetime

from onstream import timezones
from onstream.protocol.document import Document
from onstream.users import calendar_feed
from onstream.users.models import Profile

USER_FIELDS = (
    "id",
    "login",
    "email",
    "first_name",
    "last_name",
    "timezone",
    "dst",
    "email_verified",
)
"""The documented fields, then `email_verified` last, so columns by position keep their place."""


def users_document(profile: Profile, *, now: datetime) -> Document:
    """`{"users": [...]}` with one user, XML `<root><users><user>`. An account holding an
    IANA name shows the code it has `now` (`timezones.code_at`) and its `dst` flag."""
    row = {name: getattr(profile, name) for name in USER_FIELDS}
    if profile.timezone is not None:
        row["timezone"] = timezones.code_at(profile.timezone, now, bool(profile.dst))
    return Document({"users": [row]}, root="root", item_names={"users": "user"})


def feed_document(base_url: str, token: str | None, text: str | None = None) -> Document:
    """Whether the calendar feed is on and its address ("" while off), with `text` as the
    message when given."""
    url = "" if token is None else calendar_feed.feed_url(base_url, token)
    values: dict[str, object] = {"enabled": token is not None, "url": url}
    return Document({**values, "message": text} if text else values)
