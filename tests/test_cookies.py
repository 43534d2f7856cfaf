import pytest

from authkit.config import AdvancedOptions
from authkit.cookies import AuthCookies, encode_value, parse_cookie_header
from authkit.errors import ConfigError


def test_encode_matches_encode_uri_component():
    assert encode_value("k4s8.6Q3ubkRy+qq59U4/T0Q=") == "k4s8.6Q3ubkRy%2Bqq59U4%2FT0Q%3D"
    assert encode_value("a!~*'()-_.b") == "a!~*'()-_.b"


def test_default_names_and_attributes():
    cookies = AuthCookies(AdvancedOptions(), "http://localhost:3000")
    assert cookies.session_token.name == "better-auth.session_token"
    line = cookies.session_token.render("tok.sig=", max_age=604800)
    assert line == "better-auth.session_token=tok.sig%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    assert cookies.session_token.render_expired() == (
        "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")


def test_https_base_url_gives_secure_prefix():
    cookies = AuthCookies(AdvancedOptions(), "https://auth.example.com")
    assert cookies.session_token.name == "__Secure-better-auth.session_token"
    assert "; Secure" in cookies.session_token.render("v", max_age=1)


def test_prefix_and_cross_subdomain():
    adv = AdvancedOptions(cookie_prefix="myapp",
                          cross_sub_domain_cookies={"enabled": True, "domain": "example.com"})
    cookies = AuthCookies(adv, "http://localhost")
    assert cookies.dont_remember.name == "myapp.dont_remember"
    assert "Domain=example.com" in cookies.dont_remember.render("true", max_age=None)


def test_host_prefix_with_cross_subdomain_is_refused():  # docs/security.md#cookies
    with pytest.raises(ConfigError, match="__Host-"):
        AdvancedOptions(cookies={"session_token": {"name": "__Host-sid"}},
                        cross_sub_domain_cookies={"enabled": True, "domain": "example.com"})


def test_host_prefix_alone_is_secure_root_without_domain():  # docs/security.md#cookies
    cookies = AuthCookies(AdvancedOptions(cookies={"session_token": {"name": "__Host-sid"}}),
                          "http://localhost")
    line = cookies.session_token.render("v", max_age=10)
    assert line.startswith("__Host-sid=v;")
    assert "Secure" in line and "Path=/" in line and "Domain" not in line


def test_parser_first_wins_and_ignores_nameless_and_quoted_names():  # docs/security.md#cookies
    parsed = parse_cookie_header(
        '=__Secure-better-auth.session_token=evil; "__Secure-better-auth.session_token"=x; '
        'a=1; a=2; b="quoted"')
    assert "__Secure-better-auth.session_token" not in parsed
    assert parsed["a"] == "1"
    assert parsed["b"] == "quoted"


def test_parser_is_linear_on_backslash_bombs():  # docs/security.md#cookies
    header = "x=\"" + "\\" * 30000 + "\""
    parsed = parse_cookie_header(header)
    assert parsed["x"] == "\\" * 30000


def test_unknown_cookie_attribute_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown attribute"):
        AuthCookies(AdvancedOptions(default_cookie_attributes={"sameSitee": "strict"}), None)
