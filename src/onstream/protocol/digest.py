"""The `Authorization: Digest` header (RFC 7616): parsing, challenges, nonces, responses.

Only what the protocol needs: `qop=auth`, the algorithms SHA-256 and MD5 (not the `-sess`
variants, not `userhash`). Nothing here knows an account; which stored value is checked
against a response is the accounts' job (`users.authentication`).

Nonces are stateless: `base64(expiry || salt || HMAC-SHA256(key, expiry || salt))`, so any
process holding the key tells a nonce it issued from a forged one without remembering it.
The random salt makes every challenge's nonce its own: without it, two clients challenged in
the same second would share a nonce, and the second one's `nc=00000001` would be refused as
a replay of the first's. A nonce past its
expiry is answered with a fresh challenge marked `stale=true` (the client retries with the
same credentials, without asking its user). Replay of one (nonce, nc) pair is refused by
the caller, which records the pairs it has seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

REALM = "Onstream API"
"""Fixed, because the stored H(login:realm:token) values are only valid for this realm."""

ALGORITHMS = ("SHA-256", "MD5")
"""Offered in this order: clients take the first challenge they support."""

NONCE_SECONDS = 300
_EXPIRY_BYTES = 8
_SALT_BYTES = 8
"""64 random bits: unique per challenge, and the nonce stays 64 characters (the column)."""
_MAC_BYTES = 32
_NC = re.compile(r"[0-9a-fA-F]{8}")
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """The fields of one `Authorization: Digest` header that `qop=auth` uses."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    qop: str
    nc: str
    cnonce: str


def hash_hex(algorithm: str, text: str) -> str:
    """H(text) of the algorithm (`SHA-256` or `MD5`) in lower-case hex."""
    name = "sha256" if algorithm == "SHA-256" else "md5"
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def secret_hash(algorithm: str, username: str, secret: str) -> str:
    """H(username:realm:secret), the value a server stores to check responses (HA1)."""
    return hash_hex(algorithm, f"{username}:{REALM}:{secret}")


def expected_response(ha1: str, credentials: DigestCredentials, method: str) -> str:
    """The `response` a client knowing the secret behind `ha1` sends for this request."""
    algorithm = credentials.algorithm
    ha2 = hash_hex(algorithm, f"{method}:{credentials.uri}")
    c = credentials
    return hash_hex(algorithm, f"{ha1}:{c.nonce}:{c.nc}:{c.cnonce}:{c.qop}:{ha2}")


def parse_digest(header: str | None) -> DigestCredentials | None:
    """The credentials of a Digest `Authorization` header with `qop=auth` and a supported
    algorithm (MD5 when none is named), or None when absent, malformed or unsupported."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    fields: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            return None
        name = match.group(1).lower()
        quoted, token = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else token or ""
        if name in fields:
            return None
        fields[name] = value
        position = match.end()
    algorithm = fields.get("algorithm", "MD5").upper()
    algorithm = "SHA-256" if algorithm == "SHA-256" else algorithm
    needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
    if algorithm not in ALGORITHMS or any(not fields.get(n) for n in needed):
        return None
    if fields["qop"] != "auth" or not _NC.fullmatch(fields["nc"]):
        return None
    if fields.get("userhash", "false").lower() != "false":
        return None
    return DigestCredentials(
        username=fields["username"],
        realm=fields["realm"],
        nonce=fields["nonce"],
        uri=fields["uri"],
        response=fields["response"].lower(),
        algorithm=algorithm,
        qop="auth",
        nc=fields["nc"].lower(),
        cnonce=fields["cnonce"],
    )


def make_nonce(key: bytes, now: float) -> str:
    """A nonce valid for `NONCE_SECONDS` from `now` (seconds since the epoch)."""
    signed = int(now + NONCE_SECONDS).to_bytes(_EXPIRY_BYTES, "big")
    signed += secrets.token_bytes(_SALT_BYTES)
    mac = hmac.new(key, signed, hashlib.sha256).digest()
    return base64.b64encode(signed + mac).decode("ascii")


def nonce_expiry(key: bytes, nonce: str) -> int | None:
    """The expiry (seconds since the epoch) of a nonce this key issued, None for any other."""
    try:
        raw = base64.b64decode(nonce, validate=True)
    except (binascii.Error, ValueError):
        return None
    signed_bytes = _EXPIRY_BYTES + _SALT_BYTES
    if len(raw) != signed_bytes + _MAC_BYTES:
        return None
    signed, mac = raw[:signed_bytes], raw[signed_bytes:]
    if not hmac.compare_digest(mac, hmac.new(key, signed, hashlib.sha256).digest()):
        return None
    return int.from_bytes(signed[:_EXPIRY_BYTES], "big")


def challenges(key: bytes, now: float, *, stale: bool = False) -> list[str]:
    """One `WWW-Authenticate` value per algorithm, strongest first, sharing one nonce."""
    nonce = make_nonce(key, now)
    extra = ", stale=true" if stale else ""
    return [
        f'Digest realm="{REALM}", qop="auth", algorithm={algorithm}, nonce="{nonce}"{extra}'
        for algorithm in ALGORITHMS
    ]
