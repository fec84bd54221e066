"""Typed settings, read once from `ONSTREAM_*` environment variables and an optional `.env`.

The environment wins over the file, so an operator can keep defaults in `.env` and override
one value for a single run. Every setting has a default that makes `onstream serve` work on a
fresh machine with an SQLite file in the working directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values

SmtpTls = Literal["none", "starttls", "tls"]


class SettingsError(ValueError):
    """A setting has a value the server cannot use; the message names the variable."""


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_DATABASE_URL = re.compile(r"(sqlite|postgresql)(\+\w+)?://", re.IGNORECASE)


def check_database_url(url: str, variable: str) -> str:
    """The URL when it names a database Onstream speaks to, else `SettingsError` naming
    `variable` (the URL itself is not repeated: it may carry a password)."""
    if _DATABASE_URL.match(url):
        return url
    scheme = url.partition(":")[0] if "://" in url else url[:20]
    raise SettingsError(
        f"{variable} must be sqlite:///PATH or postgresql://USER@HOST/DATABASE, not {scheme!r}"
    )


def parse_networks(raw: str, variable: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated networks (`10.0.0.0/8`, `fd00::/8`, a single address), else
    `SettingsError` naming `variable` and the entry it cannot read."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(
                f"{variable} must be comma-separated networks such as 10.0.0.0/8 or "
                f"fd00::/8, not {entry!r}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server and the commands read from their environment."""

    database_url: str = "sqlite:///onstream.db"
    base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: SmtpTls = "none"
    mail_from: str = "Onstream <onstream@localhost>"
    mail_worker: bool = True
    """Run the delivery worker inside `onstream serve` (off when `onstream worker` runs alone)."""
    mail_retry_seconds: float = 30.0
    """First retry delay; it doubles with every failed attempt, up to `mail_retry_max_seconds`."""
    mail_retry_max_seconds: float = 3600.0
    mail_give_up_seconds: float = 2 * 24 * 3600.0
    """How long a message is retried before it is marked failed."""
    mail_lease_seconds: float = 120.0
    """How long a worker owns a claimed message; a dead worker's messages return after it."""
    mail_poll_seconds: float = 2.0
    recording_worker: bool = True
    """Turn recorded meetings into recordings inside `onstream serve` (off on a web server
    that should not spend its CPU on encoding; then another process runs the jobs)."""
    recording_retry_seconds: float = 60.0
    """First delay after a failed recording job; it doubles with every failed attempt, up to
    `recording_retry_max_seconds`."""
    recording_retry_max_seconds: float = 3600.0
    recording_give_up_seconds: float = 24 * 3600.0
    """How long after the meeting a failing job is retried before it is marked failed."""
    recording_lease_seconds: float = 300.0
    """How long a worker owns a claimed job without renewing it; the worker renews it every
    third of this while it encodes (an hour of meeting takes about an hour on two cores),
    so this is only how soon a killed worker's job is taken up again."""
    recording_poll_seconds: float = 10.0
    worker_timeout_seconds: float = 30.0
    """`serve --workers N` replaces a worker whose event loop has not run for this long."""
    recording_settle_seconds: float = 5.0
    """How soon a job whose files Janus is still writing (the meeting has just ended) is looked
    at again; such a wait is not a failed attempt and has no back-off."""
    max_body_bytes: int = 10 * 1024 * 1024
    upload_max_bytes: int = 100 * 1024 * 1024
    """Largest file a `PUT file` upload may carry (413 beyond); multipart bodies may be this
    big (plus a margin for the other fields) even when `max_body_bytes` is smaller."""
    media_dir: str = "media"
    """Where the local media store keeps recordings and uploads (relative: to the working
    directory), when `media_url` is unset."""
    media_url: str | None = None
    """`s3://bucket/prefix`: keep media in S3-compatible object storage instead (or
    `file:///path`, the same as `media_dir`)."""
    s3_endpoint_url: str | None = None
    """The S3 API's root for a store other than AWS (`http://minio:9000`); unset: AWS. Region
    and credentials come from the usual `AWS_*` variables and files."""
    secret_key: str | None = None
    """Signs the playback cookies; when unset, a random key generated into the database at
    its first migration is used, so every process and host shares it."""
    max_header_bytes: int = 64 * 1024
    """Largest request head (request line and headers) accepted; beyond it the connection
    gets 431 and is closed, having cost at most this much memory."""
    keep_alive_seconds: int = 20
    """An idle keep-alive connection is closed after this many seconds."""
    header_timeout_seconds: float = 20.0
    """A request head (request line and headers) must arrive whole within this many seconds
    of its first byte (of the connection's opening, for its first request), else 408 and
    the connection is closed; bytes trickling in do not restart the count."""
    body_timeout_seconds: float = 20.0
    """The window of the body's minimum rate: a request body that brings fewer than
    `body_min_bytes_per_second` times this many bytes in any such window gets 408 and its
    connection is closed (a body that stalls is cut off within two windows)."""
    body_min_bytes_per_second: int = 1024
    """The slowest upload served, averaged over each `body_timeout_seconds` window."""
    limit_concurrency: int = 1000
    """Connections and requests in hand per process beyond which new ones get 503 at once."""
    max_connections_per_address: int = 100
    """Connections one client address may hold open in one process; more are closed at once.
    A tenth of `limit_concurrency`: one address (a guesser, a broken client, an office behind
    one NAT) can never take more than that share, and a browser opens about six, so a few
    dozen people behind one address are still served (`onstream.server.connections`)."""
    auth_cache_seconds: float = 60.0
    auth_cache_entries: int = 10_000
    rate_limit_address: str = "20/minute"
    """Attempts at a secret allowed from one client address, per kind (a login's password on
    the API, sign-in and settings pages; a session's passcode; a recording's password), in
    the `limits` notation; `;` joins several (`20/minute;200/day`). Each attempt is counted
    before it is checked and a right one gives its slot back; beyond it: 429 with
    Retry-After."""
    rate_limit_target: str = "100/hour"
    """Attempts allowed on one login, one session's passcode or one recording's password,
    from every address together (guessing spread over many addresses); failures stay
    counted, a right one gives its slot back."""
    rate_limit_prefix: str = "onstream"
    """Prefix of the counters' keys (several installations may share one Redis)."""
    redis_url: str | None = None
    """`redis://host:6379/0`: keep the rate-limit counters in Redis, shared by every process
    and host; unset: in each process's memory."""
    trusted_proxies: str | None = None
    """Comma-separated addresses or networks of reverse proxies (`127.0.0.1,10.0.0.0/8`)
    whose `X-Forwarded-For` names the client; from any other peer the header is ignored."""
    log_level: str = "info"
    log_format: str = "text"
    """`text` for people, `json` for log collectors (one object per line)."""
    ready_outbox_max_age_seconds: float = 900.0
    """`/ready` answers 503 while the oldest undelivered e-mail has waited longer than this
    (a relay that refuses everything, or no worker running)."""
    metrics_token: str | None = None
    """The bearer token `/metrics` requires; unset: `/metrics` is off (404)."""
    janus_urls: str | None = None
    """Comma-separated Janus HTTP API roots (`http://10.0.0.5:8088/janus,...`) that host the
    meeting rooms; unset: no meeting service (the pages say so, the API works)."""
    janus_websocket_urls: str | None = None
    """The WebSocket transport of each of `janus_urls` (`ws://10.0.0.5:8188,...`), in the
    same order; with it the room page speaks to a relayed Janus over a WebSocket this server
    relays (`.../janus/{n}/ws`), with the long-polling relay as its fallback; unset (or
    empty for a server): long polls only."""
    janus_public_urls: str | None = None
    """What browsers use for each of `janus_urls`, in the same order; unset: this server
    relays them under each room, at `.../room/{secret}/janus/{n}` (one origin, no CORS, Janus
    stays on a private address)."""
    janus_public_url: str | None = None
    """`janus_public_urls` for a single Janus server."""
    janus_admin_key: str | None = None
    """The VideoRoom/TextRoom `admin_key` of the Janus servers: only who knows it creates rooms."""
    ice_servers: str | None = None
    """STUN/TURN servers for browsers: a JSON list of RTCIceServer objects, or
    comma-separated `stun:`/`turn:` URLs."""
    room_opens_minutes: int = 15
    """How long before `start_time` the room opens."""
    room_grace_minutes: int = 30
    """How long after the scheduled end the room stays open (meetings run late)."""
    room_token_seconds: float = 120.0
    """How long a Janus token minted for one join stays in the room's allowed list."""
    room_max_publishers: int = 100
    """Most people who may publish (camera, microphone, screen) in one room at once; Janus
    refuses a publisher join beyond it. Observers do not count."""
    room_last_n: int = 9
    """Most people whose video one browser receives at once (speakers, pinned people and
    shared screens first); the others show their name until they speak. Audio is always
    received from everybody."""
    room_viewers_per_janus: int = 300
    """Viewers (observers) one Janus server serves before the next observers of a room are
    placed on another live Janus, where the room's publishers are relayed to them (0: every
    observer goes to another server when there is one)."""
    sip_address: str | None = None
    """`host:port` the phone bridge (`onstream phone`) listens on for SIP over UDP and TCP;
    unset: no phone bridge."""
    sip_public_address: str | None = None
    """`host[:port]` put into SDP and Contact when the bridge is behind NAT."""
    sip_trunk_uri: str | None = None
    """The operator's SIP trunk registrar (`sip:sip.provider.example`); unset: no
    registration, calls come straight to `sip_address`."""
    sip_trunk_user: str | None = None
    """The trunk account's user name (also the bridge's SIP user there)."""
    sip_trunk_password: str | None = None
    """The trunk account's password (digest authentication)."""
    dial_in_numbers: str | None = None
    """The phone numbers that reach the bridge, comma-separated (`+49 30 1234567,...`):
    shown with `session_access_code` in invitations, the lobby and GET session."""
    phone_prompts_dir: str = "phone-prompts"
    """Where the bridge keeps its spoken prompts (WAV files written once by espeak-ng)."""
    phone_media_host: str = "127.0.0.1"
    """The bridge's address as Janus reaches it: Janus forwards the room's audio there."""
    recordings_dir: str = "recordings"
    """Where Janus writes the rooms' recordings and the recording jobs read them (a folder
    both the Janus servers and the job workers see)."""
    # Webhooks
    webhook_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    """Private networks webhook receivers may be on (comma-separated CIDRs,
    `10.1.0.0/16,fd00:1::/64`); every address that is not public and not in one of these
    is refused, at registration and at delivery (SECURITY.md, "Webhook targets")."""
    webhook_public: bool = True
    """Whether webhooks may reach public internet addresses; off (`ONSTREAM_WEBHOOK_PUBLIC=0`)
    for a server without Internet access, whose receivers are all in the allowed networks,
    and for the test suite, which must send nothing off the machine."""
    webhooks_per_account: int = 20
    """Most webhooks one account may have; one more is refused (400)."""

    @property
    def public_base_url(self) -> str:
        """The origin used in links: `ONSTREAM_BASE_URL`, else `http://{host}:{port}`."""
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def recordings_root(self) -> Path:
        """`recordings_dir` as an absolute path (relative: to the working directory)."""
        return Path(self.recordings_dir).absolute()

    @property
    def dial_in_list(self) -> tuple[str, ...]:
        """`dial_in_numbers` as a tuple (empty: no numbers are shown)."""
        return tuple(n.strip() for n in (self.dial_in_numbers or "").split(",") if n.strip())

    @property
    def janus_servers(self) -> tuple[str, ...]:
        """`janus_urls` as a tuple (empty: no meeting service)."""
        return tuple(u.strip().rstrip("/") for u in (self.janus_urls or "").split(",") if u.strip())

    @property
    def janus_websockets(self) -> tuple[str, ...]:
        """`janus_websocket_urls` as a tuple, "" for a server without one."""
        return tuple(u.strip().rstrip("/") for u in (self.janus_websocket_urls or "").split(","))

    def with_listen(self, *, host: str | None, port: int | None) -> Settings:
        """A copy listening on another host/port (the `serve` flags win over the environment)."""
        return replace(self, host=host or self.host, port=port if port is not None else self.port)


_INT_FIELDS = {
    "port",
    "smtp_port",
    "max_body_bytes",
    "upload_max_bytes",
    "auth_cache_entries",
    "max_header_bytes",
    "keep_alive_seconds",
    "body_min_bytes_per_second",
    "limit_concurrency",
    "max_connections_per_address",
    "room_opens_minutes",
    "room_grace_minutes",
    "room_max_publishers",
    "room_last_n",
    "room_viewers_per_janus",
    "webhooks_per_account",
}
_FLOAT_FIELDS = {
    "header_timeout_seconds",
    "body_timeout_seconds",
    "auth_cache_seconds",
    "mail_retry_seconds",
    "mail_retry_max_seconds",
    "mail_give_up_seconds",
    "mail_lease_seconds",
    "mail_poll_seconds",
    "recording_retry_seconds",
    "recording_retry_max_seconds",
    "recording_give_up_seconds",
    "recording_lease_seconds",
    "recording_poll_seconds",
    "recording_settle_seconds",
    "worker_timeout_seconds",
    "room_token_seconds",
    "ready_outbox_max_age_seconds",
}
_POSITIVE_FIELDS = {
    "header_timeout_seconds",
    "body_timeout_seconds",
    "worker_timeout_seconds",
    "max_connections_per_address",
    "room_max_publishers",
    "room_last_n",
}
"""Timers a zero would fire at once (every connection closed) and `inf` would disable; a
cap of zero would refuse every connection."""
_BOOL_FIELDS = {"mail_worker", "recording_worker", "webhook_public"}


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env"
) -> Settings:
    """Read settings from `ONSTREAM_*` variables, over those of `env_file` when it exists."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    fields: dict[str, object] = {}
    for name in Settings.__dataclass_fields__:
        raw = values.get(f"ONSTREAM_{name.upper()}")
        if raw is None or raw == "":
            continue
        fields[name] = _convert(name, raw)
    return Settings(**fields)  # type: ignore[arg-type]  # values are checked by _convert


def _convert(name: str, raw: str) -> object:
    variable = f"ONSTREAM_{name.upper()}"
    if name in _INT_FIELDS:
        if not raw.strip().isdigit():
            raise SettingsError(f"{variable} must be a whole number, not {raw!r}")
        if name in _POSITIVE_FIELDS and int(raw) == 0:
            raise SettingsError(f"{variable} must be at least 1, not {raw!r}")
        return int(raw)
    if name in _BOOL_FIELDS:
        if raw.lower() not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
            raise SettingsError(f"{variable} must be 1 or 0, not {raw!r}")
        return raw.lower() in ("1", "true", "on", "yes")
    if name in _FLOAT_FIELDS:
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{variable} must be a number, not {raw!r}") from None
        if name in _POSITIVE_FIELDS and not 0 < value < float("inf"):
            raise SettingsError(f"{variable} must be a number of seconds above 0, not {raw!r}")
        return value
    if name == "log_level" and raw.lower() not in LOG_LEVELS:
        raise SettingsError(f"{variable} must be one of {', '.join(LOG_LEVELS)}, not {raw!r}")
    if name == "log_level":
        return raw.lower()
    if name == "log_format" and raw.lower() not in ("text", "json"):
        raise SettingsError(f"{variable} must be text or json, not {raw!r}")
    if name == "log_format":
        return raw.lower()
    if name == "database_url":
        return check_database_url(raw, variable)
    if name == "webhook_allowed_networks":
        return parse_networks(raw, variable)
    if name == "smtp_tls" and raw not in ("none", "starttls", "tls"):
        raise SettingsError(f"{variable} must be none, starttls or tls, not {raw!r}")
    return raw
