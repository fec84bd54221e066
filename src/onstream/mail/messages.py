"""The e-mails: invitations, updates and cancellations (text, HTML and an iCalendar part),
and notices about an account (text and HTML: the address confirmation).

Each message is rendered from `mail/templates/<kind>/{subject.txt,body.txt,body.html}` with a
small context, and carries a `text/calendar; method=REQUEST` (or CANCEL) alternative built
by `mail.calendar`, so calendar clients add, move or remove the event by its stable UID.

A webinar invites thousands of people in one request, so a message is assembled with the
`email` package's classic classes (email.mime, compat32 policy) and serialized once: the
modern EmailMessage API parses and re-folds every header through its header registry, and
cost 4 ms a message against under 1 ms this way. The output is the same MIME: a
multipart/alternative of quoted-printable text and HTML and a base64 text/calendar part,
with RFC 2047 encoded headers where they are not ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onstream import bidi, timezones
from onstream.mail.calendar import calendar_part, event_uid_at

_QUOTED_PRINTABLE = Charset("utf-8")
_QUOTED_PRINTABLE.body_encoding = QP
_BASE64 = Charset("utf-8")  # utf-8's default body encoding is base64
_BASE64.header_encoding = BASE64  # rather than trying both encodings for the shorter one


class _Wire(Compat32):
    """compat32 with CRLF line ends that writes a short ASCII header as it is: compat32 runs
    every header through `email.header.Header` to fold it, which is most of the time spent
    serializing and changes nothing for a line that needs no folding or encoding."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= 78
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_templates.filters["bdi"] = bidi.bdi  # body.html: names and topics as they read
_templates.filters["isolated"] = bidi.isolated  # subject.txt, body.txt


CANCELLING = frozenset({"cancel", "withdrawn"})
"""The kinds whose calendar part is METHOD:CANCEL: a deleted session, a withdrawn invitation."""


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
    dial_in: tuple[str, ...] = ()
    """The phone numbers of the bridge (`ONSTREAM_DIAL_IN_NUMBERS`), shown with the code."""


def format_when(start_utc: datetime, *, zone: str, dst: bool) -> str:
    """`Friday, 10 September 2010, Europe/Berlin · 12:00 CEST (UTC+02:00)`: the wall time
    named by its place and abbreviation (`timezones.local_time`), then its UTC offset."""
    local = timezones.local_time(start_utc, zone, dst)
    minutes = int((local.wall - start_utc).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{local.long_text} (UTC{sign}{hours:02d}:{mins:02d})"


@dataclass(frozen=True, slots=True)
class Composed:
    """A message ready for the outbox."""

    recipient: str
    """The To header's value: `Name <address>`, RFC 2047 encoded where not ASCII."""
    subject: str
    """As a person reads it (not encoded)."""
    data: bytes
    """The whole message as it goes over SMTP, CRLF line ends, 7-bit."""


def build(invite: Invitation, *, sender: str, now: datetime, ics: bytes | None = None) -> Composed:
    """The complete message, ready for the outbox. `ics` replaces the one-event
    iCalendar part (a recurring series' calendar, `calendar.series_calendar_part`)."""
    when = format_when(invite.start_utc, zone=invite.zone, dst=invite.dst)
    context = {
        "topic": invite.topic,
        "when": when,
        "duration": invite.duration,
        "passcode": invite.passcode,
        "access_code": invite.access_code,
        "dial_in": invite.dial_in,
        "link": invite.link,
        "name": invite.recipient_name or invite.recipient_email,
        "host": invite.host_name,
    }
    message, subject, recipient = _alternative(
        invite.kind,
        context,
        recipient_name=invite.recipient_name,
        recipient_email=invite.recipient_email,
        sender=sender,
        now=now,
    )
    method = "CANCEL" if invite.kind in CANCELLING else "REQUEST"
    ics = ics or calendar_part(
        method=method,
        uid=event_uid_at(invite.session_id, invite.link),
        sequence=invite.sequence,
        summary=invite.topic,
        start_utc=invite.start_utc,
        duration_minutes=invite.duration,
        url=invite.link,
        description=f"Starts: {when}\nJoin: {invite.link}",
        organizer_email=invite.host_email,
        attendee_email=invite.recipient_email,
        stamp=now,
    )
    calendar = _part(ics.decode("utf-8"), "calendar", _BASE64)
    calendar.set_param("method", method)
    message.attach(calendar)
    return Composed(recipient=recipient, subject=subject, data=message.as_bytes(policy=_WIRE))


def build_notice(
    template: str,
    context: dict[str, object],
    *,
    recipient_email: str,
    recipient_name: str,
    sender: str,
    now: datetime,
) -> Composed:
    """A message about the recipient's account rather than a session (no calendar part),
    rendered from `mail/templates/<template>/`."""
    message, subject, recipient = _alternative(
        template,
        context,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        sender=sender,
        now=now,
    )
    return Composed(recipient=recipient, subject=subject, data=message.as_bytes(policy=_WIRE))


def _alternative(
    template: str,
    context: dict[str, object],
    *,
    recipient_name: str,
    recipient_email: str,
    sender: str,
    now: datetime,
) -> tuple[MIMEMultipart, str, str]:
    """The headers and the text and HTML parts: (message, subject, To header)."""
    subject = _one_line(_render(template, "subject.txt", context))
    recipient = formataddr((_one_line(recipient_name), recipient_email))
    message = MIMEMultipart("alternative")
    if subject.isascii():
        message["Subject"] = subject
    else:  # compat32 takes a Header and encodes it (RFC 2047); typeshed knows only str
        message["Subject"] = Header(subject, _BASE64)  # type: ignore[assignment]
    message["From"] = formataddr(parseaddr(sender))
    message["To"] = recipient
    message["Date"] = format_datetime(now.replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.attach(_part(_render(template, "body.txt", context), "plain", _QUOTED_PRINTABLE))
    message.attach(_part(_render(template, "body.html", context), "html", _QUOTED_PRINTABLE))
    return message, subject, recipient


def _part(text: str, subtype: str, charset: Charset) -> Message:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(text, charset)  # encodes the body: quoted-printable or base64
    return part


def _render(kind: str, name: str, context: dict[str, object]) -> str:
    return _templates.get_template(f"{kind}/{name}").render(context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "onstream.localhost"
