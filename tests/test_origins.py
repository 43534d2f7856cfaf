"""Trusted origins, callback URLs and CSRF decisions (authkit/origins.py).

The SEC cases of docs/security.md are spelled out here with their expected decisions; the
differential table tests/vectors/origin_decisions.json (answers of the real Better Auth 1.7.25,
see origin_decisions_gen.py) checks every other payload against the reference.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authkit.errors import APIError, ConfigError
from authkit.http import Headers, Request
from authkit.origins import (
    CALLBACK_FIELDS,
    OriginPolicy,
    _analyse,
    _glob,
    check_callback_url,
    check_callback_urls,
    check_csrf,
)

BASE = "https://auth.example.com"
B0 = ["https://app.example.com", "https://*.tenant.example.com"]
VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "origin_decisions.json").read_text("utf-8"))
PROPERTY = settings(derandomize=True, deadline=None, max_examples=1000, database=None)


def b0() -> OriginPolicy:
    return OriginPolicy(base_url=BASE + "/api/auth", trusted_origins=B0)


def post(headers: dict[str, str], path: str = "/api/auth/update-user",
         scheme: str = "http") -> Request:
    return Request("POST", path, headers=Headers(headers), scheme=scheme)


def csrf_decision(headers: dict[str, str], *, form_route: bool = False,
                  policy: OriginPolicy | None = None, scheme: str = "http") -> str:
    try:
        check_csrf(post(headers, scheme=scheme), policy or b0(), form_route=form_route)
    except APIError as exc:
        assert exc.status == 403
        assert exc.body == {"message": exc.message, "code": exc.code}
        return str(exc.code)
    return "allow"


def callback_decision(field: str, value: object, policy: OriginPolicy | None = None) -> str:
    try:
        check_callback_urls({field: value}, None, policy or b0(), post({}))
    except APIError as exc:
        if exc.status == 400:
            assert exc.code is None and exc.body == {"message": exc.message}
            return "TYPE:" + exc.message
        assert exc.status == 403
        return str(exc.code)
    return "allow"


# -- origin-required, referer-check, wildcard-origin: the Origin/Referer check
# ------------------------------------------

@pytest.mark.parametrize(("headers", "expected"), [
    ({"Cookie": "s=C_alice"}, "MISSING_OR_NULL_ORIGIN"),
    ({"Cookie": "s=C_alice", "Origin": "null"}, "MISSING_OR_NULL_ORIGIN"),
    ({"Cookie": "s=C_alice", "Origin": "null", "Sec-Fetch-Site": "cross-site"},
     "MISSING_OR_NULL_ORIGIN"),
    ({"Cookie": "s=C_alice", "Origin": "https://app.example.com"}, "allow"),
])
def test_sec29_missing_or_null_origin(headers: dict[str, str], expected: str) -> None:
    assert csrf_decision(headers) == expected


@pytest.mark.parametrize(("referer", "expected"), [
    ("https://app.example.com/settings", "allow"),
    ("https://app.example.com.evil.com/", "INVALID_ORIGIN"),
    ("https://app.example.com@evil.com/", "INVALID_ORIGIN"),
    ("https://evil.com/?next=https://app.example.com", "INVALID_ORIGIN"),
])
def test_sec31_referer_fallback(referer: str, expected: str) -> None:
    assert csrf_decision({"Cookie": "s=C_alice", "Referer": referer}) == expected


@pytest.mark.parametrize(("origin", "expected"), [
    ("https://a.tenant.example.com", "allow"),
    ("http://a.tenant.example.com", "INVALID_ORIGIN"),
    ("https://tenant.example.com", "INVALID_ORIGIN"),
    ("https://a.tenant.example.com.evil.com", "INVALID_ORIGIN"),
    ("https://evil.com?.tenant.example.com", "INVALID_ORIGIN"),
    ("https://evil-tenant.example.com", "INVALID_ORIGIN"),
    ("https://evil.com\\.tenant.example.com", "INVALID_ORIGIN"),
    # The reference server answers 200 (its "*" crosses dots): see the vectors.
    ("https://a.b.tenant.example.com", "allow"),
])
def test_sec32_wildcard_origin(origin: str, expected: str) -> None:
    assert csrf_decision({"Cookie": "s=C_alice", "Origin": origin}) == expected


def test_sec32_deep_subdomain_matches_the_reference_table() -> None:
    case = next(c for c in VECTORS["cases"]
                if c["id"] == "B0 csrf wildcard-origin Origin 'https://a.b.tenant.example.com'")
    assert case["reference"] == {"status": 200, "body": {"success": True}, "decision": "allow"}


def test_origin_null_same_origin_is_inferred_from_the_request() -> None:
    headers = {"Cookie": "a=b", "Origin": "null", "Sec-Fetch-Site": "same-origin",
               "Host": "auth.example.com"}
    assert csrf_decision(headers, scheme="https") == "allow"
    assert csrf_decision(headers, scheme="http") == "INVALID_ORIGIN"
    assert csrf_decision({**headers, "Host": "evil.com"}, scheme="https") == "INVALID_ORIGIN"


def test_origin_wins_over_referer_and_empty_origin_falls_back() -> None:
    ok = "https://app.example.com/x"
    assert csrf_decision({"Cookie": "a", "Origin": "https://evil.com", "Referer": ok}) \
        == "INVALID_ORIGIN"
    assert csrf_decision({"Cookie": "a", "Origin": "", "Referer": ok}) == "allow"


def test_no_cookie_means_no_check_outside_form_routes() -> None:
    assert csrf_decision({"Origin": "https://evil.com"}) == "allow"
    assert csrf_decision({"Cookie": "", "Origin": "https://evil.com"}) == "INVALID_ORIGIN"


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, "allow"),
    ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
     "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
    ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
      "Origin": "https://app.example.com"}, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
    ({"Sec-Fetch-Mode": "cors"}, "MISSING_OR_NULL_ORIGIN"),
    ({"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
      "Origin": "https://app.example.com"}, "allow"),
    ({"Sec-Fetch-Site": "  "}, "allow"),
    ({"Origin": "https://evil.com"}, "INVALID_ORIGIN"),
    ({"Referer": "https://app.example.com/login"}, "allow"),
])
def test_form_csrf_on_sign_in_and_sign_up(headers: dict[str, str], expected: str) -> None:
    assert csrf_decision(headers, form_route=True) == expected


# -- docs/security.md#redirects and Better Auth's own payloads: callback URLs
# -------------------------------

SEC40 = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java%0ascript:alert(1)",
         " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
         "vbscript:msgbox(1)", "file:///etc/passwd"]
SEC41 = ["https://app.example.com@evil.com", "https://app.example.com\\@evil.com",
         "https://evil.com#@app.example.com", "https://evil.com?.app.example.com",
         "https://app.example.com.evil.com", "https://evil.com\\.tenant.example.com",
         "https://user:pass@evil.com"]


@pytest.mark.parametrize(("field", "code", "label"), CALLBACK_FIELDS)
@pytest.mark.parametrize("url", SEC40 + SEC41)
def test_sec40_sec41_refused_on_every_callback_field(
        url: str, field: str, code: str, label: str) -> None:
    assert callback_decision(field, url) == code


@pytest.mark.parametrize("url", [
    "https://app.example.com.malicious.com", "//evil.com", "/%5C/evil.com", "/\\/\\/evil.com",
    "/..%2F..%2Fevil.com", "javascript:alert('xss')",
    "data:text/html,<script>alert('xss')</script>", "///evil.com", "/\\evil.com", "/a%2fb",
    "/\tevil", "https:app.example.com/cb", "https:///app.example.com/cb",
    " https://app.example.com/cb", "https://app%2eexample.com/", "https://0x7f.0.0.1/",
])
def test_better_auth_payloads_refused(url: str) -> None:
    assert not b0().is_trusted_url(url)
    assert callback_decision("callbackURL", url) == "INVALID_CALLBACK_URL"


@pytest.mark.parametrize("url", [
    "/", "/dashboard", "/dashboard?email=123@email.com", "/dashboard+page?test=123+456",
    "/dashboard#section", "/search?q=a%2Fb", "https://app.example.com/cb",
    "https://APP.example.com:443/cb", "https://auth.example.com/x",
    "https://a.b.tenant.example.com/cb", "https://app.example.com#@evil.com",
])
def test_trusted_callback_urls(url: str) -> None:
    assert b0().is_trusted_url(url)


def test_scheme_less_wildcard_never_trusts_script_schemes() -> None:
    # Better Auth 1.7.25 accepts this one (see the EXT vectors): its host matches.
    policy = OriginPolicy(base_url=BASE, trusted_origins=["*.example.com"])
    assert policy.is_trusted_url("myapp://x.example.com/cb")
    assert not policy.is_trusted_url("javascript://x.example.com/%0aalert(1)")
    assert not policy.is_trusted_url("malicious.com?.example.com")


@pytest.mark.parametrize(("url", "pattern", "expected"), [
    ("myapp://callback", "myapp://callback", True),
    ("myapp://callback.attacker.tld", "myapp://callback", False),
    ("myapp://callback.attacker.tld/path", "myapp://callback", False),
    ("MyApp://Callback/x", "myapp://callback", True),
    ("myapp://anything/here", "myapp://", True),
    ("myapp:/auth/callback", "myapp:/", True),
    ("otherapp://callback", "myapp://", False),
    ("myapp://host/cb/done", "myapp://host/cb", True),
    ("myapp://host/cb?x=1#f", "myapp://host/cb", True),
    ("myapp://host/cbx", "myapp://host/cb", False),
    ("myapp://host/cb/../evil", "myapp://host/cb", False),
    ("myapp://host/cb/%2e%2e/evil", "myapp://host/cb", False),
    ("myapp://host/cb%2f..%2fevil", "myapp://host/cb", False),
    ("myapp://host/cb/..\\evil", "myapp://host/cb", False),
    ("myapp://host\x00/cb", "myapp://host", False),
    ("exp://192.168.1.100:8081/--/", "exp://192.168.*.*:*/*", True),
    ("exp://10.0.0.1:8081/--/", "exp://192.168.*.*:*/*", False),
    ("exp://192.168.evil.com:8081/", "exp://192.168.*.*:*/*", False),
])
def test_custom_schemes_host_extension_and_traversal(
        url: str, pattern: str, expected: bool) -> None:
    policy = OriginPolicy(base_url=BASE, trusted_origins=[pattern])
    assert policy.is_trusted_url(url) is expected


def test_relative_paths_are_never_origins() -> None:
    assert b0().is_trusted_url("/dashboard")
    assert not b0().is_trusted_origin("/dashboard")
    assert not b0().is_trusted_origin("")


# -- callback field plumbing ---------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (1, "TYPE:Invalid redirectURL: expected a string"),
    ([], "TYPE:Invalid redirectURL: expected a string"),
    ({}, "TYPE:Invalid redirectURL: expected a string"),
    (True, "TYPE:Invalid redirectURL: expected a string"),
    (False, "allow"), (0, "allow"), (None, "allow"), ("", "allow"), (float("nan"), "allow"),
])
def test_non_string_values_follow_js_truthiness(value: object, expected: str) -> None:
    assert callback_decision("redirectTo", value) == expected


def test_query_callback_url_is_checked_when_the_body_has_none() -> None:
    policy, request = b0(), post({})
    with pytest.raises(APIError) as err:
        check_callback_urls({"callbackURL": ""}, {"callbackURL": "//evil.com"}, policy, request)
    assert (err.value.status, err.value.code) == (403, "INVALID_CALLBACK_URL")
    check_callback_urls(None, {"callbackURL": "/ok"}, policy, request)
    check_callback_urls(["not", "a", "mapping"], None, policy, request)  # type: ignore[arg-type]


def test_check_callback_url_for_get_endpoints() -> None:
    policy = b0()
    check_callback_url("/verified", policy, None)
    check_callback_url(None, policy, None)
    check_callback_url("", policy, None)
    for bad in ["//evil.com", ["/ok", "https://evil.com"], 5]:
        with pytest.raises(APIError) as err:
            check_callback_url(bad, policy, None, code="INVALID_REDIRECT_URL")
        assert (err.value.status, err.value.code) == (403, "INVALID_REDIRECT_URL")


# -- configuration --------------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "hint"), [
    ("https://app.example.com/", "'https://app.example.com'"),
    ("https://App.example.com", "'https://app.example.com'"),
    ("https://app.example.com:443", "'https://app.example.com'"),
    ("https://app.example.com/callback", "'https://app.example.com'"),
    ("app.example.com", "add the scheme"),
    (" https://app.example.com", "spaces"),
    ("https://*.Example.com", "lower-case"),
    ("https://*.example.com/path", "without a path"),
    ("javascript:", "never trust"),
    ("https://user@app.example.com", "not a valid"),
    ("null", "add the scheme"),
    (42, "must be a string"),
])
def test_invalid_entries_raise_config_error_with_the_fix(entry: Any, hint: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(hint)):
        OriginPolicy(base_url=BASE, trusted_origins=[entry])


@pytest.mark.parametrize("base_url", ["auth.example.com", "ftp://auth.example.com",
                                      "https://user@auth.example.com", "https://"])
def test_invalid_base_url(base_url: str) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OriginPolicy(base_url=base_url)


def test_a_single_string_is_not_a_list() -> None:
    with pytest.raises(ConfigError, match="list"):
        OriginPolicy(base_url=BASE, trusted_origins="https://app.example.com")


def test_empty_entries_are_dropped_and_catch_all_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "authkit.origins"):
        policy = OriginPolicy(base_url=BASE, trusted_origins=["", "https://*"])
    assert "matches every host" in caplog.text
    assert policy.is_trusted_origin("https://anything.example")
    assert not policy.is_trusted_origin("http://anything.example")


def test_base_url_path_is_ignored_and_missing_base_url_trusts_the_request() -> None:
    policy = OriginPolicy(base_url="https://auth.example.com/api/auth")
    assert policy.base_origin == "https://auth.example.com"
    assert policy.is_trusted_origin("https://auth.example.com")
    dev = OriginPolicy(base_url="")
    request = Request("POST", "/api/auth/x", headers=Headers({"Host": "localhost:3000"}))
    assert dev.is_trusted_origin("http://localhost:3000", request)
    assert not dev.is_trusted_origin("http://localhost:3000")
    assert not dev.is_trusted_origin("http://evil.com", request)


def test_dynamic_origins_get_the_request(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Request | None] = []

    def fn(request: Request | None) -> list[str | None]:
        seen.append(request)
        return [None, "", "https://dyn.example.com", "not an origin"]

    policy = OriginPolicy(base_url=BASE, trusted_origins_fn=fn)
    request = post({})
    with caplog.at_level(logging.ERROR, "authkit.origins"):
        assert policy.is_trusted_url("https://dyn.example.com/cb", request)
        assert not policy.is_trusted_url("https://other.example.com/cb", request)
    assert seen and seen[0] is request
    assert "not an origin" in caplog.text


# -- the differential table ------------------------------------------------------------------

def _authkit_decision(case: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    policy = OriginPolicy(base_url=VECTORS["base_url"],
                          trusted_origins=VECTORS["configs"][case["config"]])
    headers = case["headers"]
    scheme = "https" if headers.get("X-Forwarded-Proto") == "https" else "http"
    request = Request(case["method"], "/api/auth" + case["path"], headers=Headers(headers),
                      scheme=scheme)
    try:
        if case["kind"] in ("csrf", "form"):
            check_csrf(request, policy, form_route=case["kind"] == "form")
        elif case["kind"] in ("body", "query"):
            check_callback_urls(case.get("body"), case.get("query"), policy, request)
        else:
            check_callback_url(case["query"].get("callbackURL"), policy, request)
    except APIError as exc:
        decision = "TYPE:" + exc.message if exc.status == 400 else str(exc.code)
        return decision, exc.body
    return "allow", None


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["id"] for c in VECTORS["cases"]])
def test_same_decision_as_better_auth(case: dict[str, Any]) -> None:
    decision, body = _authkit_decision(case)
    reference = case["reference"]
    if "authkit" in case:
        assert case["deviation"] and case["authkit"] != reference["decision"]
        assert decision == case["authkit"]
        return
    assert decision == reference["decision"]
    if decision != "allow":
        assert body == reference["body"]


def test_the_table_covers_the_security_cases() -> None:
    ids = " ".join(c["id"] for c in VECTORS["cases"])
    for needle in ["origin-required", "referer-check", "wildcard-origin", "javascript:alert(1)", "//evil.com",
                   "/%5C/evil.com", "/..%2F..%2Fevil.com", "malicious.com?.wild.example.com",
                   "myapp://callback.attacker.tld", "exp://host/cb/../evil"]:
        assert needle in ids
    assert sum("authkit" in c for c in VECTORS["cases"]) < len(VECTORS["cases"]) // 10


# -- properties ------------------------------------------------------------------------------

# Mostly well-formed https URLs around trusted hosts, with one confusing piece at a time.
_PREFIX = ["https://"] * 8 + ["http://", "HTTPS://", "https:", "https:/", "https:///",
                              " https://", "https:\\\\", "/", "//", "/\\", "", "myapp://",
                              "javascript:"]
_HOSTS = ["app.example.com", "auth.example.com", "a.tenant.example.com",
          "a.b.tenant.example.com", "APP.example.com", "tenant.example.com", "evil.com"]
_NOISE = [""] * 20 + ["@", ":", ":443", ":8443", "\\", "%2e", "%40", ".", "\t", "\n",
                      "\uff0e", "é", "xn--", "[::1]", "0x7f", "user:pw@", "#", "?", "evil.com",
                      "app.example.com"]
_TAIL = ["", "/", "/cb", "?next=", "#", "#@evil.com", "?.app.example.com", "\\@evil.com",
         "/..%2F", "%2f", "//evil.com", "\n", " "]
url_texts = st.tuples(*(st.sampled_from(x) for x in (_PREFIX, _NOISE, _HOSTS, _NOISE, _TAIL))
                      ).map("".join)
# Arbitrary characters around a trusted host, for what the lists above did not think of.
noisy_urls = st.builds("https://{}app.example.com{}".format, st.text(max_size=3),
                       st.text(max_size=5))
_B0_ORIGIN = re.compile(r"https://(app\.example\.com|auth\.example\.com|.+\.tenant\.example\.com)")


@PROPERTY
@given(st.one_of(url_texts, noisy_urls))
def test_property_trusted_urls_agree_with_urllib(url: str) -> None:
    """Any URL accepted as trusted has the same trusted host under urllib.parse."""
    if not b0().is_trusted_url(url):
        return
    parts = urlsplit(url)
    if url.startswith("/"):
        assert not parts.scheme and not parts.netloc
        return
    assert parts.scheme == "https" and parts.username is None
    assert _B0_ORIGIN.fullmatch(f"https://{parts.hostname}")


@PROPERTY
@given(st.one_of(url_texts, noisy_urls))
def test_property_trusted_urls_have_a_trusted_origin_in_a_browser(url: str) -> None:
    """Any URL accepted as trusted has a trusted origin under the WHATWG parser Node uses."""
    ada_url = pytest.importorskip(
        "ada_url", reason="needs the WHATWG parser binding: pip install ada-url")
    if not b0().is_trusted_url(url):
        return
    if url.startswith("/"):
        assert ada_url.URL(url, BASE).origin == BASE
        return
    assert _B0_ORIGIN.fullmatch(ada_url.URL(url).origin)


_ODD_HOSTS = ["127.0.0.1", "0x7f.0.0.1", "127.1", "0177.0.0.1", "08.1.1.1", "1.2.3.4.",
              "256.1.1.1", "[::1]", "[0:0::1]", "[::ffff:1.2.3.4]", "[::1%25eth0]", "[1::]",
              "a.b", "A.B.", "xn--bcher-kva.example", "xn--a.example", "a_b.example",
              "-a.example", "a..b", "app.example.com.1"]
_PORTS = ["", ":", ":80", ":443", ":0443", ":65535", ":65536", ":8x"]
odd_origins = st.builds("{}{}{}{}".format, st.sampled_from(["http://", "https://", "HTTP://"]),
                        st.sampled_from(_ODD_HOSTS), st.sampled_from(_PORTS),
                        st.sampled_from(["", "/", "/p?q#f"]))


@PROPERTY
@given(st.one_of(odd_origins, url_texts, noisy_urls))
def test_property_origin_is_the_one_browsers_and_urllib_compute(url: str) -> None:
    """Whatever http(s) URL authkit parses, WHATWG and urllib find the same origin in it."""
    ada_url = pytest.importorskip(
        "ada_url", reason="needs the WHATWG parser binding: pip install ada-url")
    target = _analyse(url)
    if target is None or target.origin is None:
        return
    assert ada_url.URL(url).origin == target.origin
    parts = urlsplit(url)
    port = "" if parts.port in (None, {"http": 80, "https": 443}[parts.scheme]) \
        else f":{parts.port}"
    if not target.host.startswith("["):  # urllib keeps IPv6 text as written
        assert f"{parts.scheme}://{parts.hostname}{port}" == target.origin


@PROPERTY
@given(st.text(alphabet="ab*?.", max_size=8), st.text(alphabet="ab.", max_size=12))
def test_property_glob_equals_the_regex_translation(pattern: str, text: str) -> None:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert _glob(pattern, text) is bool(re.fullmatch(regex, text, re.DOTALL))


def test_glob_has_no_catastrophic_backtracking() -> None:
    # A regex engine backtracks exponentially here; the two-pointer glob is quadratic at worst.
    assert not _glob("*a*a*a*a*a*a*a*a*b", "a" * 3000)


# -- over HTTP (WSGI and ASGI): the router origin middleware,
# docs/wire-compatibility.md#origin-check A ------------------------

def _signed_in(kind: str, make_auth: Any) -> Any:
    from .support.clients import make_client
    from .support.fixtures import sign_up

    auth = make_auth()
    client = make_client(kind, auth)
    sign_up(client)
    return auth, client


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Origin": "https://evil.com"}, ("Invalid origin", "INVALID_ORIGIN")),
    ({"Origin": None, "Referer": "https://evil.com/page"}, ("Invalid origin", "INVALID_ORIGIN")),
    ({"Origin": None}, ("Missing or null Origin", "MISSING_OR_NULL_ORIGIN")),
    ({"Origin": "null"}, ("Missing or null Origin", "MISSING_OR_NULL_ORIGIN")),
])
def test_http_cookie_request_with_a_bad_origin_is_refused(
        kind: str, make_auth: Any, headers: dict[str, str | None],
        expected: tuple[str, str]) -> None:
    auth, client = _signed_in(kind, make_auth)
    res = client.post("/api/auth/update-user", json={"name": "Mallory"}, headers=headers)
    assert res.status == 403
    assert res.json == {"message": expected[0], "code": expected[1]}
    assert auth.storage.get_user_by_email("alice@example.com").name == "Alice"
    assert client.post("/api/auth/update-user", json={"name": "Al"}).status == 200


@pytest.mark.parametrize(("field", "code", "label"), CALLBACK_FIELDS)
def test_http_every_callback_field_is_checked_in_the_body(
        kind: str, make_auth: Any, field: str, code: str, label: str) -> None:
    _auth, client = _signed_in(kind, make_auth)
    client.jar.clear()
    res = client.post("/api/auth/sign-in/email", json={
        "email": "alice@example.com", "password": "correct-horse-1", field: "https://evil.com"})
    assert res.status == 403
    assert res.json == {"message": f"Invalid {label}", "code": code}
    assert not res.set_cookies
    res = client.post("/api/auth/sign-in/email", json={
        "email": "alice@example.com", "password": "correct-horse-1", field: ["/ok"]})
    assert res.status == 400
    assert res.json == {"message": f"Invalid {label}: expected a string"}
    assert not res.set_cookies


def test_http_non_string_redirect_to_is_400_before_validation(
        kind: str, make_auth: Any) -> None:  # docs/wire-compatibility.md#pipeline-order
    from .support.clients import make_client

    client = make_client(kind, make_auth())
    res = client.post("/api/auth/request-password-reset",
                      json={"email": "not-an-email", "redirectTo": 5})
    assert res.status == 400
    assert res.json == {"message": "Invalid redirectURL: expected a string"}


def test_http_query_callback_url_of_a_post_is_checked(kind: str, make_auth: Any) -> None:
    auth, client = _signed_in(kind, make_auth)
    token = client.get("/api/auth/get-session").json["session"]["token"]
    res = client.post("/api/auth/sign-out", query={"callbackURL": "https://evil.com"})
    assert res.status == 403
    assert res.json == {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"}
    assert auth.storage.get_session(token) is not None
