import pytest

from authkit.errors import ConfigError
from authkit.http import Headers
from authkit.ip import ClientIP


def resolve(peer, xff=None, proxies=()):
    headers = Headers({"x-forwarded-for": xff} if xff else {})
    return ClientIP(proxies, ["x-forwarded-for"]).resolve(peer, headers)


def test_socket_peer_by_default_even_with_forwarded_header():  # docs/security.md#rate-limiting
    assert str(resolve("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


def test_trusted_proxy_takes_rightmost_untrusted_hop():  # docs/security.md#rate-limiting
    assert str(resolve("127.0.0.1", "203.0.113.9, 127.0.0.1", ["127.0.0.1"])) == "203.0.113.9"
    assert str(resolve("127.0.0.1", "1.1.1.7, 203.0.113.9, 127.0.0.1",
                       ["127.0.0.1"])) == "203.0.113.9"


def test_untrusted_peer_header_ignored():
    assert str(resolve("192.0.2.5", "203.0.113.9", ["127.0.0.1"])) == "192.0.2.5"


def test_ipv4_mapped_is_canonical_and_ipv6_buckets_by_64():  # docs/security.md#rate-limiting
    cip = ClientIP((), ["x-forwarded-for"])
    buckets = {cip.bucket(cip.resolve(a, Headers())) for a in
               ["2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0::1", "2001:db8::ffff"]}
    assert len(buckets) == 1
    assert cip.bucket(cip.resolve("::ffff:192.0.2.1", Headers())) == "192.0.2.1"
    assert cip.bucket(cip.resolve("2001:db8:1::1", Headers())) not in buckets
    assert cip.bucket(None) == "no-trusted-ip"


def test_bad_proxy_entry_is_a_config_error():
    with pytest.raises(ConfigError, match="not an IP address or CIDR"):
        ClientIP(["10.0.0.0/33"], ["x-forwarded-for"])
