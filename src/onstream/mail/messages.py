"""The invitation, update and cancellation e-mails: text, HTML and an iCalendar part.

Each message is rendered from `mail/templates/<kind>/{subject.txt,body.txt,body.html}` with a
small context, and carries a `text/calendar; method=REQUEST` (or CANCEL) alternative built
by `mail.calendar`, so calendar clients add, move or remove the event by its stable UID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onstream import timezones
from onstream.mail.calendar import calendar_part, event_uid

KINDS = ("invitation", "update", "cancel")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class Invitation:
    """Everything one message says about one session to one invitee."""

    kind: str
    session_id: int
    sequence: int
    topic: str
    start_utc: datetime
    duration: int
    passcode: str | None
    access_code: int | None
    link: str
    recipient_email: str
    recipient_name: str
    host_name: str
    host_email: str
    zone: str
    """The time zone the times are shown in (the invitee's own, or the session's)."""
    dst: bool


def format_when(start_utc: datetime, *, zone: str, dst: bool) -> str:
    """`Friday, 10 September 2010, 12:00 (UP1, UTC+01:00)`: wall time with its zone."""
    clock = timezones.clock(zone, dst=dst)
    offset = clock.offset_at(start_utc)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    wall = clock.from_utc(start_utc)
    return f"{wall:%A, %d %B %Y, %H:%M} ({zone}, UTC{sign}{hours:02d}:{mins:02d})"


def build(invite: Invitation, *, sender: str, now: datetime) -> EmailMessage:
    """The complete message, ready for the outbox."""
    when = format_when(invite.start_utc, zone=invite.zone, dst=invite.dst)
    context = {
        "topic": invite.topic,
        "when": when,
        "duration": invite.duration,
        "passcode": invite.passcode,
        "access_code": invite.access_code,
        "link": invite.link,
        "name": invite.recipient_name or invite.recipient_email,
        "host": invite.host_name,
    }
    message = EmailMessage()
    message["Subject"] = _one_line(_render(invite.kind, "subject.txt", context))
    message["From"] = sender
    message["To"] = Address(display_name=invite.recipient_name, addr_spec=invite.recipient_email)
    message["Date"] = format_datetime(now.replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(_render(invite.kind, "body.txt", context), cte="quoted-printable")
    message.add_alternative(
        _render(invite.kind, "body.html", context), subtype="html", cte="quoted-printable"
    )
    method = "CANCEL" if invite.kind == "cancel" else "REQUEST"
    ics = calendar_part(
        method=method,
        uid=event_uid(invite.session_id, urlsplit(invite.link).hostname or "onstream"),
        sequence=invite.sequence,
        summary=invite.topic,
        start_utc=invite.start_utc,
        duration_minutes=invite.duration,
        url=invite.link,
        description=f"Join: {invite.link}",
        organizer_email=invite.host_email,
        attendee_email=invite.recipient_email,
        stamp=now,
    )
    message.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "utf-8"},
        cte="base64",
    )
    return message


def _render(kind: str, name: str, context: dict[str, object]) -> str:
    return _templates.get_template(f"{kind}/{name}").render(context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "onstream.localhost"
