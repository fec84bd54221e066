"""The `Authorization: Basic` header (RFC 7617): parsing only; checking is the accounts' job."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Credentials:
    """The login and password of one `Authorization: Basic` header."""

    login: str
    password: str


def parse_basic(header: str | None) -> Credentials | None:
    """The credentials of a Basic `Authorization` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, sep, password = decoded.partition(":")
    if not sep:
        return None
    return Credentials(login, password)
