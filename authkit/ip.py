"""Client IP resolution.

authkit deviates from Better Auth here (docs/security.md#decisions): the client is the socket peer,
and
``X-Forwarded-For`` is believed only when the peer is a configured trusted proxy. Then the
right-most hop that is not itself a trusted proxy is the client, so a spoofed left-most entry
changes nothing (docs/security.md#rate-limiting).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from .errors import ConfigError
from .http import Headers

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Sequence[str], label: str = "advanced.trusted_proxies") -> tuple[
        IPNetwork, ...]:
    """Addresses or CIDRs → networks; a malformed entry is a ConfigError naming it."""
    out: list[IPNetwork] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{label}: {value!r} is not an IP address or CIDR (e.g. '10.0.0.0/8', '::1')"
            ) from None
    return tuple(out)


def canonical(text: str | None) -> IPAddress | None:
    """Parse an address; IPv4-mapped IPv6 becomes IPv4; junk gives ``None``."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    if "%" in text:  # zone id (fe80::1%eth0) names an interface, not a client
        text = text.split("%", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class ClientIP:
    """Resolves the client address of a request, configured once."""

    def __init__(self, trusted_proxies: Sequence[str], headers: Sequence[str],
                 ipv6_subnet: int = 64) -> None:
        self._trusted = parse_networks(trusted_proxies)
        self._headers = tuple(h.lower() for h in headers)
        self._v6_prefix = ipv6_subnet

    def _is_trusted(self, addr: IPAddress) -> bool:
        return any(addr in net for net in self._trusted)

    def resolve(self, peer: str | None, headers: Headers) -> IPAddress | None:
        """The client address, or ``None`` when nothing usable is known."""
        addr = canonical(peer)
        if addr is None or not self._trusted or not self._is_trusted(addr):
            return addr
        for name in self._headers:
            values = headers.get_all(name)
            if not values:
                continue
            hops = [h for v in values for h in v.split(",")]
            for hop in reversed(hops):
                hop_addr = canonical(hop)
                if hop_addr is None:
                    # An unparsable hop: the chain below it cannot be believed; stop at the
                    # last proxy we trust rather than guess.
                    return addr
                if not self._is_trusted(hop_addr):
                    return hop_addr
                addr = hop_addr
            return addr
        return addr

    def bucket(self, addr: IPAddress | None) -> str:
        """The rate-limit identity: IPv6 masked to the configured subnet
        (docs/security.md#rate-limiting)."""
        if addr is None:
            return "no-trusted-ip"
        if isinstance(addr, ipaddress.IPv6Address):
            net = ipaddress.IPv6Network(f"{addr}/{self._v6_prefix}", strict=False)
            return str(net.network_address)
        return str(addr)
