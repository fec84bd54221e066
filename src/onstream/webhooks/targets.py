"""Where a webhook may be delivered: public internet addresses, and the private networks the
operator allows (`ONSTREAM_WEBHOOK_ALLOWED_NETWORKS`); nowhere else.

Any account chooses its webhooks' URLs and the server POSTs to them, so without this rule an
account could make the server reach what only the server reaches (Redis on loopback, the
cloud's metadata service at 169.254.169.254, the private network) and read from
`last_error` what answered there. The rule is applied twice: when a webhook is registered (a
refusal is a 400 and writes nothing), and to every address a delivery connects to
(`transport.py`), so a name whose DNS answer changes after registration reaches nothing
either.

Host names are judged by what the system resolver makes of them, the same `getaddrinfo` the
connection uses, so every spelling of an address (`2130706433`, `127.1`, `0x7f.1`, `0`) is
judged as the address it becomes; URLs are parsed by httpx's parser, whose host the delivery
connects to, so the two cannot disagree about which host a URL names.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from onstream.errors import Invalid

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

URL_MAX = 2048
RESOLVE_SECONDS = 5.0
"""How long registration waits for DNS; a name not resolved by then is judged at delivery."""

_NAT64 = ip_network("64:ff9b::/96")
"""RFC 6052's well-known NAT64 prefix: its last 32 bits are the IPv4 address reached."""
_SPECIAL_SINCE = (
    ip_network("64:ff9b:1::/48"),  # RFC 8215, local-use NAT64
    ip_network("3fff::/20"),  # RFC 9637, documentation
    ip_network("5f00::/16"),  # RFC 9602, SRv6 segment identifiers
)
"""Special-purpose IPv6 blocks newer than the tables of some Python versions we run on
(3.11's `is_global` is true for them)."""
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
"""A host name as httpx leaves it (lower case, IDNA-encoded); percent signs and other
characters no resolver answers for are refused at once."""


class Refused(Exception):
    """A delivery's host resolves to an address that is not allowed."""


class Unresolved(Exception):
    """A delivery's host name has no address (DNS failure)."""


@dataclass(frozen=True, slots=True)
class Target:
    """The host and port a webhook URL names, as httpx parses it."""

    scheme: str
    host: str
    """ASCII: IDNA-encoded names, IPv6 addresses without brackets."""
    port: int
    path: bytes
    """The request target: path and query, percent-encoded."""


def target_of(url: str) -> Target:
    """The URL's target, or `Invalid`: an absolute http(s) URL with a host, a port from 1
    to 65535 and no user name or password (`http://example.com\\@127.0.0.1/` is not
    a URL with a path, it names 127.0.0.1)."""
    import httpx  # only where webhooks are registered or delivered; it costs 6 MB

    if len(url) > URL_MAX:
        raise Invalid(f"url must be at most {URL_MAX} characters long")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise Invalid("url must be an absolute http:// or https:// URL")
    if parsed.userinfo:
        raise Invalid("url must not carry a user name or password")
    host = parsed.raw_host.decode("ascii")
    if not (_HOST_NAME.fullmatch(host) or _is_address(host)):
        raise Invalid("url must name a host by a DNS name or an IP address")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise Invalid("url has no usable port")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(scheme=parsed.scheme, host=host, port=port, path=parsed.raw_path)


def _is_address(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def is_public(address: Address) -> bool:
    """True for an address on the public internet: not loopback, private, link-local,
    shared (100.64/10), multicast, reserved, unspecified, documentation or benchmark, and
    not an IPv6 form of an IPv4 address that is one of those (mapped, NAT64, 6to4, Teredo)."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
        if address.is_site_local or any(address in block for block in _SPECIAL_SINCE):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a translated IPv6 address reaches, if it is one."""
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def allowed(address: Address, networks: Sequence[Network], *, public: bool = True) -> bool:
    """A public address (unless `public` is off: ONSTREAM_WEBHOOK_PUBLIC=0, a server
    without Internet access), or one in a network the operator allows (an IPv4-mapped IPv6
    address counts as its IPv4 address, which a dual-stack socket reaches)."""
    plain = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    return (public and is_public(address)) or any(
        address in network or (plain is not None and plain in network) for network in networks
    )


async def resolve(host: str, port: int) -> list[Address]:
    """Every address the system resolver gives for `host`, in its order, each once;
    `Unresolved` when it gives none. An IP literal in any spelling needs no DNS query."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:  # gaierror is an OSError, IDNA errors ValueErrors
        raise Unresolved(host) from exc
    found = [ip_address(str(info[4][0])) for info in infos]
    if not found:
        raise Unresolved(host)
    return list(dict.fromkeys(found))


async def checked(
    host: str, port: int, networks: Sequence[Network], *, public: bool = True
) -> list[Address]:
    """The addresses to connect to for `host`: all of them allowed, else `Refused` (a name
    with one public and one private address could be made to reach the private one). An IP
    address is judged as written, scope and all."""
    try:
        addresses: list[Address] = [ip_address(host)]
    except ValueError:
        addresses = await resolve(host, port)
    if not all(allowed(address, networks, public=public) for address in addresses):
        raise Refused(host)
    return addresses


async def check_url(url: str, networks: Sequence[Network], *, public: bool = True) -> str:
    """The URL as stored when a webhook may have it, else `Invalid`: its syntax
    (`target_of`) and where its host points now. A name that does not resolve now is
    accepted (it may be set up after its webhook); every delivery checks it again."""
    url = url.strip()
    target = target_of(url)
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await checked(target.host, target.port, networks, public=public)
    except (Unresolved, TimeoutError):
        return url
    except Refused:
        if not public:
            raise Invalid(
                "url must point to a network this server delivers webhooks to "
                "(ONSTREAM_WEBHOOK_ALLOWED_NETWORKS); it reaches no public address"
            ) from None
        raise Invalid(
            "url must point to a public internet address: loopback, private, link-local, "
            "multicast and reserved addresses are refused (an operator allows private "
            "networks with ONSTREAM_WEBHOOK_ALLOWED_NETWORKS)"
        ) from None
    return url
