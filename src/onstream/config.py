"""Typed settings, read once from `ONSTREAM_*` environment variables and an optional `.env`.

The environment wins over the file, so an operator can keep defaults in `.env` and override
one value for a single run. Every setting has a default that makes `onstream serve` work on a
fresh machine with an SQLite file in the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values

SmtpTls = Literal["none", "starttls", "tls"]


class SettingsError(ValueError):
    """A setting has a value the server cannot use; the message names the variable."""


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
    max_body_bytes: int = 10 * 1024 * 1024
    upload_max_bytes: int = 100 * 1024 * 1024
    """Largest file a `PUT file` upload may carry (413 beyond); multipart bodies may be this
    big (plus a margin for the other fields) even when `max_body_bytes` is smaller."""
    media_dir: str = "media"
    """Where the local media store keeps recordings and uploads (relative: to the working
    directory)."""
    secret_key: str | None = None
    """Signs the playback cookies; when unset, a random key generated into the database at
    its first migration is used, so every process and host shares it."""
    auth_cache_seconds: float = 60.0
    auth_cache_entries: int = 10_000
    log_level: str = "info"

    @property
    def public_base_url(self) -> str:
        """The origin used in links: `ONSTREAM_BASE_URL`, else `http://{host}:{port}`."""
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    def with_listen(self, *, host: str | None, port: int | None) -> Settings:
        """A copy listening on another host/port (the `serve` flags win over the environment)."""
        return replace(self, host=host or self.host, port=port if port is not None else self.port)


_INT_FIELDS = {"port", "smtp_port", "max_body_bytes", "upload_max_bytes", "auth_cache_entries"}
_FLOAT_FIELDS = {
    "auth_cache_seconds",
    "mail_retry_seconds",
    "mail_retry_max_seconds",
    "mail_give_up_seconds",
    "mail_lease_seconds",
    "mail_poll_seconds",
}
_BOOL_FIELDS = {"mail_worker"}


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
        return int(raw)
    if name in _BOOL_FIELDS:
        if raw.lower() not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
            raise SettingsError(f"{variable} must be 1 or 0, not {raw!r}")
        return raw.lower() in ("1", "true", "on", "yes")
    if name in _FLOAT_FIELDS:
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{variable} must be a number, not {raw!r}") from None
    if name == "smtp_tls" and raw not in ("none", "starttls", "tls"):
        raise SettingsError(f"{variable} must be none, starttls or tls, not {raw!r}")
    return raw
