"""Regenerate origin_decisions.json by asking the real Better Auth 1.7.25 server.

Not a test: run it by hand against ``shared/better-auth-ref`` started once per config::

    cd <writable copy of better-auth-ref>
    PORT=3263 RATE_LIMIT=off BASE_URL=https://auth.example.com \\
      TRUSTED_ORIGINS="https://app.example.com,https://*.tenant.example.com" ./start.sh
    python tests/vectors/origin_decisions_gen.py B0 http://127.0.0.1:3263
    ./stop.sh
    # the same with TRUSTED_ORIGINS set to CONFIGS["EXT"] joined by ",", then:
    python tests/vectors/origin_decisions_gen.py EXT http://127.0.0.1:3263

Each run replaces the cases of its config in the JSON file and keeps the others. A case whose
authkit decision differs on purpose is listed in DEVIATIONS with the reason;
tests/test_origins.py checks authkit against the reference decision or that annotation.
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

OUT = Path(__file__).with_name("origin_decisions.json")
BASE_URL = "https://auth.example.com"
CONFIGS: dict[str, list[str]] = {
    # docs/security.md B0
    "B0": ["https://app.example.com", "https://*.tenant.example.com"],
    # scheme-less wildcard and custom schemes (docs/security.md payloads)
    "EXT": ["https://app.example.com", "*.wild.example.com", "myapp://callback",
            "exp://host/cb", "exp://192.168.*.*:*/*", "otherapp://"],
}
OK = "https://app.example.com"
COOKIE = {"Cookie": "a=b"}

# kind "csrf": POST <path> with these headers (check_csrf(form_route=False) when a Cookie is
# sent); "form": POST /sign-in/email (check_csrf(form_route=True)); "body": POST
# /sign-in/email with that JSON body; "query": the same with ?callbackURL=; "get": a GET
# endpoint's callbackURL (check_callback_url).
CSRF_CASES: list[tuple[str, str, dict[str, str]]] = [
    ("origin-required no Origin nor Referer", "/update-user", {**COOKIE}),
    ("origin-required Origin null", "/update-user", {**COOKIE, "Origin": "null"}),
    ("origin-required Origin null + cross-site", "/update-user",
     {**COOKIE, "Origin": "null", "Sec-Fetch-Site": "cross-site"}),
    ("Origin NULL upper case", "/sign-out", {**COOKIE, "Origin": "NULL"}),
    ("Origin null + same-origin, https request to the base URL", "/sign-out",
     {**COOKIE, "Origin": "null", "Sec-Fetch-Site": "same-origin", "Host": "auth.example.com",
      "X-Forwarded-Proto": "https"}),
    ("Origin null + same-origin, http request", "/sign-out",
     {**COOKIE, "Origin": "null", "Sec-Fetch-Site": "same-origin", "Host": "auth.example.com"}),
    ("Origin null + same-origin, foreign Host", "/sign-out",
     {**COOKIE, "Origin": "null", "Sec-Fetch-Site": "same-origin", "Host": "evil.com",
      "X-Forwarded-Proto": "https"}),
    ("empty Origin falls back to Referer", "/sign-out",
     {**COOKIE, "Origin": "", "Referer": OK + "/settings"}),
    ("empty Cookie header still counts", "/sign-out", {"Cookie": ""}),
    ("no cookie: not checked", "/sign-out", {"Origin": "https://evil.com"}),
    ("base URL origin", "/sign-out", {**COOKIE, "Origin": BASE_URL}),
    ("trusted origin", "/sign-out", {**COOKIE, "Origin": OK}),
    ("trusted origin, default port", "/sign-out", {**COOKIE, "Origin": OK + ":443"}),
    ("trusted origin, upper case", "/sign-out", {**COOKIE, "Origin": "https://APP.EXAMPLE.COM"}),
    ("trusted origin with a path", "/sign-out", {**COOKIE, "Origin": OK + "/"}),
    ("trusted origin, trailing dot", "/sign-out", {**COOKIE, "Origin": OK + "."}),
    ("trusted origin, other port", "/sign-out", {**COOKIE, "Origin": OK + ":8443"}),
    ("trusted host over http", "/sign-out", {**COOKIE, "Origin": "http://app.example.com"}),
    ("two origins in one value", "/sign-out",
     {**COOKIE, "Origin": OK + ", https://evil.com"}),
    ("relative Origin", "/sign-out", {**COOKIE, "Origin": "/settings"}),
    ("referer-check Referer trusted", "/update-user", {**COOKIE, "Referer": OK + "/settings"}),
    ("referer-check Referer suffix host", "/update-user",
     {**COOKIE, "Referer": "https://app.example.com.evil.com/"}),
    ("referer-check Referer userinfo", "/update-user",
     {**COOKIE, "Referer": "https://app.example.com@evil.com/"}),
    ("referer-check Referer trusted URL in query", "/update-user",
     {**COOKIE, "Referer": "https://evil.com/?next=https://app.example.com"}),
    ("referer-check Referer relative", "/update-user", {**COOKIE, "Referer": "/settings"}),
    ("Origin wins over a trusted Referer", "/sign-out",
     {**COOKIE, "Origin": "https://evil.com", "Referer": OK + "/"}),
]
SEC32 = [
    ("https://a.tenant.example.com", "B0"),
    ("http://a.tenant.example.com", "B0"),
    ("https://tenant.example.com", "B0"),
    ("https://a.tenant.example.com.evil.com", "B0"),
    ("https://evil.com?.tenant.example.com", "B0"),
    ("https://evil-tenant.example.com", "B0"),
    ("https://evil.com\\.tenant.example.com", "B0"),
    ("https://a.b.tenant.example.com", "B0"),
    ("https://a.tenant.example.com:8443", "B0"),
    ("https://evil.com/.tenant.example.com", "B0"),
]
FORM_CASES: list[tuple[str, dict[str, str]]] = [
    ("curl-like: no cookie, no Fetch Metadata, no Origin", {}),
    ("cross-site navigate", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}),
    ("cross-site navigate with a trusted Origin",
     {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Origin": OK}),
    ("cross-site cors without Origin", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}),
    ("same-origin navigate with a trusted Origin",
     {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Origin": OK}),
    ("Node fetch: Sec-Fetch-Mode cors only", {"Sec-Fetch-Mode": "cors"}),
    ("Sec-Fetch-Dest only", {"Sec-Fetch-Dest": "document"}),
    ("Cross-Site in other case + navigate",
     {"Sec-Fetch-Site": "Cross-Site", "Sec-Fetch-Mode": "navigate"}),
    ("untrusted Origin, no Fetch Metadata", {"Origin": "https://evil.com"}),
    ("trusted Referer, no Fetch Metadata", {"Referer": OK + "/login"}),
    ("cookie + cross-site navigate + trusted Origin",
     {**COOKIE, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Origin": OK}),
]
SEC40 = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java%0ascript:alert(1)",
         " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
         "vbscript:msgbox(1)", "file:///etc/passwd"]
SEC41 = ["https://app.example.com@evil.com", "https://app.example.com\\@evil.com",
         "https://evil.com#@app.example.com", "https://evil.com?.app.example.com",
         "https://app.example.com.evil.com", "https://evil.com\\.tenant.example.com",
         "https://user:pass@evil.com"]
BETTER_AUTH_24 = ["https://app.example.com.malicious.com", "//evil.com", "/%5C/evil.com",
                  "/\\/\\/evil.com", "/..%2F..%2Fevil.com", "javascript:alert('xss')",
                  "data:text/html,<script>alert('xss')</script>"]
MORE_B0 = [
    "/", "/dashboard", "/dashboard?email=123@email.com", "/dashboard+page?test=123+456",
    "/dashboard#section", "/search?q=a%2Fb", "/a%2fb", "/\\evil.com", "/\tevil", "///evil.com",
    "/%2F%2Fevil.com", "/..", "/ /evil.com", "",
    OK + "/cb", "https://APP.example.com/cb", OK + ":443/cb", "http://app.example.com/cb",
    BASE_URL + "/x", "https://a.b.tenant.example.com/cb", "https://a.tenant.example.com/cb",
    " " + OK + "/cb", OK + "/cb\n", "https:app.example.com/cb", "https:///app.example.com/cb",
    "https:\\\\app.example.com/cb", "https://app%2eexample.com/", "https://\uff41pp.example.com/",
    "https://evil.com%2f@app.example.com", OK + "#@evil.com", OK + "?@evil.com",
    "https://app.example.com%09.evil.com", "https://app.example.com\t.evil.com",
    "https://evil.com\t@app.example.com", "https://evil.com", "app.example.com/cb",
    "https://[::1]/", "https://0x7f.0.0.1/",
]
EXT_URLS = [
    "malicious.com?.wild.example.com", "https://x.wild.example.com", "http://x.wild.example.com",
    "https://x.wild.example.com:8443", "myapp://x.wild.example.com/cb",
    "javascript://x.wild.example.com/%0aalert(1)", "https://evil.com?.wild.example.com",
    "https://evil.com\\.wild.example.com",
    "myapp://callback", "myapp://callback.attacker.tld", "myapp://callback.attacker.tld/path",
    "MyApp://Callback", "myapp://callback/x", "myapp://callback?x=1", "myapp://callback#f",
    "myapp://callback@evil.com", "myapp://evil.com\\@callback",
    "exp://host/cb", "exp://host/cb/done", "exp://host/cbx", "exp://host/cb/../evil",
    "exp://host/cb/%2e%2e/evil", "exp://host/cb%2f..%2fevil", "exp://host/x/../cb/ok",
    "exp://other/cb", "exp://host/cb/..\\evil",
    "exp://192.168.1.100:8081/--/", "exp://10.0.0.1:8081/--/", "exp://192.168.attacker.com:8081/",
    "otherapp:anything", "otherapp://evil.com/x", "otherapp://user@evil.com/x",
]
NON_STRINGS: list[tuple[str, Any]] = [
    ("callbackURL", 1), ("callbackURL", []), ("callbackURL", {}), ("callbackURL", True),
    ("callbackURL", False), ("callbackURL", 0), ("callbackURL", None),
    ("redirectTo", 1), ("errorCallbackURL", ["https://evil.com"]), ("newUserCallbackURL", 2.5),
]

# case id -> (authkit decision, why). Only refusals where Better Auth allows, each for a reason
# in authkit/origins.py's module docstring.
_PARSER = ("parser differential: WHATWG maps it onto a trusted origin, RFC 3986 parsers and "
           "naive consumers do not; authkit refuses ambiguous URLs")
DEVIATIONS: dict[str, tuple[str, str]] = {}
for _field in ("callbackURL", "redirectTo", "errorCallbackURL", "newUserCallbackURL"):
    DEVIATIONS[f"B0 body {_field} 'https://app.example.com\\\\@evil.com'"] = (
        "INVALID_" + {"callbackURL": "CALLBACK_URL", "redirectTo": "REDIRECT_URL",
                      "errorCallbackURL": "ERROR_CALLBACK_URL",
                      "newUserCallbackURL": "NEW_USER_CALLBACK_URL"}[_field],
        "docs/security.md#redirects requires 403; " + _PARSER + " (urllib reads host evil.com)")
_CB = "INVALID_CALLBACK_URL"
for _url, _why in [
    (" https://app.example.com/cb", "leading space: " + _PARSER),
    ("https://app.example.com/cb\n", "control character: " + _PARSER),
    ("https:app.example.com/cb", "no '//': " + _PARSER),
    ("https:///app.example.com/cb", "three slashes: " + _PARSER),
    ("https:\\\\app.example.com/cb", "backslashes: " + _PARSER),
    ("https://app%2eexample.com/", "percent-encoded host: " + _PARSER),
    ("https://\uff41pp.example.com/", "non-ASCII host (IDNA mapping): " + _PARSER),
    ("https://evil.com%2f@app.example.com", "userinfo: " + _PARSER),
    ("https://evil.com\t@app.example.com", "tab removed by WHATWG only: " + _PARSER),
]:
    DEVIATIONS[f"B0 body callbackURL {_url!r}"] = (_CB, _why)
DEVIATIONS["EXT body callbackURL 'javascript://x.wild.example.com/%0aalert(1)'"] = (
    _CB, ("docs/security.md#redirects: a javascript: URL runs code; the scheme-less wildcard matches its host in "
          "Better Auth, authkit never trusts javascript:/vbscript:/data:/file:"))
DEVIATIONS["EXT body callbackURL 'exp://host/cb/..\\\\evil'"] = (
    _CB, "backslash: a deep-link handler may read it as '/', making '..' climb out of /cb")
DEVIATIONS["EXT body callbackURL 'otherapp://user@evil.com/x'"] = (
    _CB, "userinfo in a custom-scheme authority: authkit refuses it everywhere (docs/security.md#redirects)")


def _send(base: str, method: str, path: str, headers: dict[str, str],
          body: Any = None) -> dict[str, Any]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    data = None if body is None else json.dumps(body).encode()
    conn.putrequest(method, "/api/auth" + path, skip_host="Host" in headers,
                    skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    if data is not None:
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    parsed = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None
    out: dict[str, Any] = {"status": resp.status}
    if isinstance(parsed, dict):
        out["body"] = parsed
    code = parsed.get("code") if isinstance(parsed, dict) else None
    message = parsed.get("message", "") if isinstance(parsed, dict) else ""
    if resp.status == 403 and code:
        out["decision"] = code
    elif resp.status == 400 and code is None and "expected a string" in message:
        out["decision"] = "TYPE:" + message
    else:
        out["decision"] = "allow"
    return out


def _cases(config: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    if config == "B0":
        for name, path, headers in CSRF_CASES:
            cases.append({"id": f"B0 csrf {name}", "kind": "csrf", "method": "POST",
                          "path": path, "headers": headers})
        for origin, _ in SEC32:
            cases.append({"id": f"B0 csrf wildcard-origin Origin {origin!r}", "kind": "csrf",
                          "method": "POST", "path": "/sign-out",
                          "headers": {**COOKIE, "Origin": origin}})
        for name, headers in FORM_CASES:
            cases.append({"id": f"B0 form {name}", "kind": "form", "method": "POST",
                          "path": "/sign-in/email", "headers": headers,
                          "body": {"email": "not-an-email", "password": "x"}})
    urls = ([*SEC40, *SEC41, *BETTER_AUTH_24, *MORE_B0] if config == "B0" else EXT_URLS)
    fields = ["callbackURL", "redirectTo", "errorCallbackURL", "newUserCallbackURL"]
    for url in urls:
        for field in fields if url in SEC40 or url in SEC41 else ["callbackURL"]:
            cases.append({"id": f"{config} body {field} {url!r}", "kind": "body",
                          "method": "POST", "path": "/sign-in/email", "headers": {},
                          "body": {"email": "not-an-email", "password": "x", field: url}})
    if config == "B0":
        cases.append({"id": "B0 body redirectTo on request-password-reset", "kind": "body",
                      "method": "POST", "path": "/request-password-reset", "headers": {},
                      "body": {"email": "not-an-email", "redirectTo": "https://evil.com/r"}})
        for field, value in NON_STRINGS:
            cases.append({"id": f"B0 body {field} non-string {json.dumps(value)}",
                          "kind": "body", "method": "POST", "path": "/sign-in/email",
                          "headers": {}, "body": {"email": "x", "password": "y", field: value}})
        for value in ["//evil.com", "/ok", "https://evil.com/x", OK + "/x"]:
            cases.append({"id": f"B0 query callbackURL {value!r}", "kind": "query",
                          "method": "POST", "path": "/sign-in/email", "headers": {},
                          "query": {"callbackURL": value},
                          "body": {"email": "not-an-email", "password": "x"}})
        cases.append({"id": "B0 query callbackURL used when the body's is empty",
                      "kind": "query", "method": "POST", "path": "/sign-in/email",
                      "headers": {}, "query": {"callbackURL": "https://evil.com"},
                      "body": {"email": "not-an-email", "password": "x", "callbackURL": ""}})
        for value in ["//evil.com", "/verified", "https://evil.com/v", OK + "/v",
                      "javascript:alert(1)", "/%5C/evil.com"]:
            cases.append({"id": f"B0 get verify-email callbackURL {value!r}", "kind": "get",
                          "method": "GET", "path": "/verify-email", "headers": {},
                          "query": {"token": "x", "callbackURL": value}})
        for value in ["https://evil.com/r", "/reset"]:
            cases.append({"id": f"B0 get reset-password callbackURL {value!r}", "kind": "get",
                          "method": "GET", "path": "/reset-password/abc", "headers": {},
                          "query": {"callbackURL": value}})
    return cases


def main(config: str, base: str) -> None:
    doc: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    doc["about"] = (
        "Origin/CSRF and callback-URL decisions of the real Better Auth 1.7.25 server "
        "(shared/better-auth-ref, RATE_LIMIT=off), produced by origin_decisions_gen.py. "
        "'decision' is 'allow', a 403 error code, or 'TYPE:<message>' for the 400 type error. "
        "'authkit' (with 'deviation') is set where authkit decides otherwise on purpose.")
    doc["base_url"] = BASE_URL
    doc.setdefault("configs", {})[config] = CONFIGS[config]
    kept = [c for c in doc.get("cases", []) if not c["id"].startswith(config + " ")]
    for case in _cases(config):
        path = case["path"]
        if case.get("query"):
            path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in case["query"].items())
        case["config"] = config
        case["reference"] = _send(base, case["method"], path, case["headers"], case.get("body"))
        if case["id"] in DEVIATIONS:
            case["authkit"], case["deviation"] = DEVIATIONS[case["id"]]
        kept.append(case)
    doc["cases"] = kept
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    mine = [c for c in kept if c["config"] == config]
    print(f"{config}: {len(mine)} cases, "
          f"{sum(c['reference']['decision'] == 'allow' for c in mine)} allowed by the reference")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
