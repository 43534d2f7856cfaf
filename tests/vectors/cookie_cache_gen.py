"""Capture ``session_data`` cookies from the real Better Auth 1.7.25 (known-answer vectors).

    python tests/vectors/cookie_cache_gen.py      # rewrites tests/vectors/cookie_cache.json

For each strategy (compact, jwt, jwe) and cache version ("1", "2") a fresh reference server
(``tests/support/cookie_cache_ref.py``) signs up a user, signs in with ``rememberMe: false``,
and signs up a user whose name is long enough to chunk the cookie. Each vector records the
Set-Cookie lines, the time window in which the server issued them, and the get-session JSON
the server answers from that cache. ``tests/test_cookie_cache.py`` decodes every vector.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.cookie_cache_ref import cookie_cache_reference

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"
OUT = Path(__file__).with_name("cookie_cache.json")
PASSWORD = "correct-horse-1"


def _cookies(res: httpx.Response) -> dict[str, str]:
    out = {}
    for line in res.headers.get_list("set-cookie"):
        name, _, value = line.split(";", 1)[0].partition("=")
        out[name] = value
    return out


def _capture(base: str, label: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    origin = {"Origin": base}
    with httpx.Client(base_url=base, timeout=30) as http:
        before = int(time.time() * 1000)
        res = http.post(f"/api/auth{path}", json=body, headers=origin)
        after = int(time.time() * 1000)
        res.raise_for_status()
        cookies = _cookies(res)
        jar = "; ".join(f"{k}={v}" for k, v in cookies.items() if v)
        cached = http.get("/api/auth/get-session", headers={"Cookie": jar})
        cached.raise_for_status()
    return {
        "label": label,
        "issued_after_ms": before,
        "issued_before_ms": after,
        "set_cookie": res.headers.get_list("set-cookie"),
        "cookies": cookies,
        "get_session": cached.json(),
    }


def main() -> None:
    vectors: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("compact", "jwt", "jwe"):
            for version in ("1", "2"):
                with cookie_cache_reference(Path(tmp), secret=SECRET, strategy=strategy,
                                            max_age=300, version=version) as server:
                    base = server.base_url
                    found = [
                        _capture(base, "sign-up", "/sign-up/email",
                                 {"email": f"kat-{strategy}-{version}@example.com",
                                  "password": PASSWORD, "name": "Zoë Ünïcode ✓"}),
                        _capture(base, "sign-in dont-remember", "/sign-in/email",
                                 {"email": f"kat-{strategy}-{version}@example.com",
                                  "password": PASSWORD, "rememberMe": False}),
                    ]
                    if version == "1":
                        found.append(_capture(
                            base, "chunked", "/sign-up/email",
                            {"email": f"big-{strategy}@example.com", "password": PASSWORD,
                             "name": "N" * 6000}))
                for vec in found:
                    vec.update(strategy=strategy, version=version, max_age=300)
                    vectors.append(vec)
    OUT.write_text(json.dumps({"secret": SECRET, "better_auth": "1.7.25",
                               "vectors": vectors}, indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
