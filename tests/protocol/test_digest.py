"""The Digest header's parsing, nonces and responses (RFC 7616), without a server."""

from __future__ import annotations

import time

from onstream.protocol import digest

KEY = b"k" * 32


def test_parses_what_curl_sends() -> None:
    header = (
        'Digest username="ann", realm="Onstream API", nonce="abc=", uri="/api/2/ann/x?a=1,2", '
        'cnonce="Y2M=", nc=00000001, qop=auth, response="ABCDEF", algorithm=SHA-256'
    )
    parsed = digest.parse_digest(header)
    assert parsed is not None
    assert parsed.uri == "/api/2/ann/x?a=1,2"
    assert parsed.response == "abcdef"
    assert parsed.algorithm == "SHA-256"


def test_refuses_what_it_does_not_support() -> None:
    base = 'username="a", realm="r", nonce="n", uri="/", cnonce="c", nc=00000001, response="x"'
    assert digest.parse_digest(f"Digest {base}, qop=auth") is not None  # MD5 by default
    assert digest.parse_digest(f"Digest {base}, qop=auth-int") is None
    assert digest.parse_digest(f"Digest {base}, qop=auth, algorithm=MD5-sess") is None
    assert digest.parse_digest(f"Digest {base}, qop=auth, userhash=true") is None
    assert digest.parse_digest(f"Digest {base}") is None  # no qop: RFC 2069 style
    assert digest.parse_digest(f'Digest {base}, qop=auth, nc="1"') is None
    assert digest.parse_digest(f"Digest {base}, qop=auth, qop=auth") is None
    assert digest.parse_digest('Digest username="a, "b"') is None
    assert digest.parse_digest("Basic YTpi") is None
    assert digest.parse_digest(None) is None


def test_nonces_carry_their_expiry_and_cannot_be_forged() -> None:
    now = time.time()
    nonce = digest.make_nonce(KEY, now)
    assert digest.nonce_expiry(KEY, nonce) == int(now + digest.NONCE_SECONDS)
    assert digest.nonce_expiry(b"x" * 32, nonce) is None
    assert digest.nonce_expiry(KEY, "bm9wZQ==") is None
    assert digest.nonce_expiry(KEY, "%%%") is None


def test_two_challenges_in_one_second_have_their_own_nonces() -> None:
    now = time.time()
    first, second = digest.make_nonce(KEY, now), digest.make_nonce(KEY, now)
    assert first != second  # else the second client's nc=00000001 would count as a replay
    assert digest.nonce_expiry(KEY, first) == digest.nonce_expiry(KEY, second)


def test_challenges_offer_sha256_first_and_say_stale() -> None:
    offered = digest.challenges(KEY, time.time(), stale=True)
    assert ["algorithm=SHA-256" in offered[0], "algorithm=MD5" in offered[1]] == [True, True]
    assert all(c.endswith("stale=true") for c in offered)


def test_the_rfc_7616_example_response() -> None:
    # RFC 7616 section 3.9.1, SHA-256
    parsed = digest.parse_digest(
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    assert parsed is not None
    ha1 = digest.hash_hex("SHA-256", "Mufasa:http-auth@example.org:Circle of Life")
    assert digest.expected_response(ha1, parsed, "GET") == parsed.response
