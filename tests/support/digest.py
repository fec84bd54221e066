"""HTTP Digest (RFC 7616, qop=auth) as a client computes it, for tests that send one exact
`Authorization` header (twice, to another URL, with an old nonce)."""

from __future__ import annotations

import hashlib
import re
import secrets

import httpx

from onstream.protocol.digest import REALM


def nonce_of(response: httpx.Response) -> str:
    """The nonce of a 401's first challenge."""
    first = response.headers.get_list("www-authenticate")[0]
    found = re.search(r'nonce="([^"]+)"', first)
    assert found is not None, first
    return found.group(1)


def digest_header(
    login: str,
    secret: str,
    *,
    method: str,
    uri: str,
    nonce: str,
    nc: str = "00000001",
    algorithm: str = "SHA-256",
) -> str:
    """The `Authorization: Digest` value a client knowing `secret` sends."""

    def h(text: str) -> str:
        name = "sha256" if algorithm == "SHA-256" else "md5"
        return hashlib.new(name, text.encode()).hexdigest()

    cnonce = secrets.token_hex(8)
    ha1 = h(f"{login}:{REALM}:{secret}")
    response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{h(f'{method}:{uri}')}")
    return (
        f'Digest username="{login}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
        f'algorithm={algorithm}, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"'
    )
