"""`ConnectionLimit`'s counting, including what a trusted proxy passes on (the server test,
`tests/security/test_connection_limits.py`, holds idle connections; this one holds requests)."""

from __future__ import annotations

from onstream.server.connections import ConnectionLimit

PROXY = "10.0.0.5"


def forwarded(client: str) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"example.org"), (b"x-forwarded-for", client.encode())]


def test_connections_beyond_the_cap_are_refused_until_one_closes() -> None:
    limit = ConnectionLimit(per_address=2)
    first, second, third = (limit.connection("192.0.2.1") for _ in range(3))
    assert (first.admitted, second.admitted, third.admitted) == (True, True, False)
    assert limit.connection("192.0.2.2").admitted
    third.closed()  # a refused connection gives back nothing
    first.closed()
    first.closed()  # nor twice
    assert limit.connection("192.0.2.1").admitted
    assert not limit.connection("192.0.2.1").admitted


def test_a_proxy_is_never_capped_but_each_forwarded_client_is() -> None:
    limit = ConnectionLimit(per_address=2, trusted_proxies=PROXY)
    tallies = [limit.connection(PROXY) for _ in range(5)]
    assert all(t.admitted for t in tallies)
    assert tallies[0].request(forwarded("203.0.113.9"))
    assert tallies[1].request(forwarded("203.0.113.9"))
    assert not tallies[2].request(forwarded("203.0.113.9"))
    assert tallies[3].request(forwarded("203.0.113.10"))
    tallies[2].answered()  # the refused request's answer gives back nothing
    tallies[0].answered()
    assert tallies[4].request(forwarded("203.0.113.9"))
    tallies[1].closed()  # a connection lost with a request in hand gives it back
    assert tallies[2].request(forwarded("203.0.113.9"))
    assert not tallies[0].request(forwarded("203.0.113.9"))


def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing() -> None:
    limit = ConnectionLimit(per_address=1, trusted_proxies=PROXY)
    tally = limit.connection("192.0.2.1")
    assert tally.admitted
    assert tally.request(forwarded("203.0.113.9"))
    assert tally.request(forwarded("203.0.113.9"))  # not counted per request: it is no proxy
    assert not limit.connection("192.0.2.1").admitted


def test_pipelined_requests_are_given_back_in_order() -> None:
    limit = ConnectionLimit(per_address=2, trusted_proxies=PROXY)
    tally = limit.connection(PROXY)
    assert tally.request(forwarded("203.0.113.9"))
    assert tally.request(forwarded("203.0.113.10"))
    tally.answered()
    assert limit.held == {"203.0.113.10": 1}
    tally.answered()
    tally.answered()  # nothing left in hand
    assert limit.held == {}
