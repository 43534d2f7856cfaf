"""The loopback identity providers (the reference's ``idp.mjs``) and a cookie-jar browser
that follows an OAuth flow through them, for the live social tests."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from tests.support.live_servers import Server, free_port, reference_dir

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"
FAKE_HOSTS = ("github.com", "api.github.com", "accounts.google.com", "oauth2.googleapis.com",
              "www.googleapis.com", "discord.com")


@contextmanager
def idp_server(workdir: Path) -> Iterator[Server]:
    """``node idp.mjs`` from the cached reference copy on a free port; stopped by its pid."""
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: the social tests need the reference idp.mjs")
    folder = reference_dir()
    port = free_port()
    log = workdir / f"idp-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["node", "idp.mjs"], cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT,
                                env={"PATH": "/usr/bin:/bin:/usr/local/bin",
                                     "IDP_PORT": str(port), "IDP_HOST": "127.0.0.1"})
    server = Server("idp.mjs", f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{server.base_url}/health", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"idp.mjs did not start:\n{server.log_tail()}") from None
                time.sleep(0.1)
        yield server
    finally:
        server.stop()


def idp_call(idp: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
    """A test-control call to idp.mjs (``/test/users``, ``/test/id-token`` ...)."""
    with httpx.Client(timeout=10) as client:
        res = (client.get(idp + path) if body is None else client.post(idp + path, json=body))
        res.raise_for_status()
        return res.json()


_counter = iter(range(1, 1_000_000))


def idp_user(idp: str, prefix: str = "u", **fields: Any) -> dict[str, Any]:
    """A fresh verified user at the IdP (``login``, ``email``, ``sub`` ...)."""
    login = f"{prefix}{int(time.time() * 1000) % 10**9}x{next(_counter)}"
    return dict(idp_call(idp, "/test/users", {"login": login, "email": f"{login}@example.com",
                                              "email_verified": True, "name": f"User {login}",
                                              **fields}))


@dataclass
class Hop:
    """The callback response a flow ended with."""

    status: int
    location: str | None
    response: httpx.Response


class Browser:
    """Cookies by name (browsers ignore the port, so one jar serves server and IdP), no
    automatic redirects, an ``Origin`` on every POST as a browser's fetch sends it."""

    def __init__(self, base_url: str, idp: str, *, app: Any = None) -> None:
        self.base = base_url.rstrip("/")
        self.api = self.base + "/api/auth"
        self.idp = idp.rstrip("/")
        self.jar: dict[str, str] = {}
        # ``app``: an in-process WSGI app answering for ``base_url`` (the IdP stays real).
        mounts = {self.base: httpx.WSGITransport(app=app)} if app is not None else None
        self.client = httpx.Client(timeout=30, follow_redirects=False, mounts=mounts)

    def close(self) -> None:
        self.client.close()

    def _store(self, res: httpx.Response) -> None:
        for line in res.headers.get_list("set-cookie"):
            pair, *attrs = line.split(";")
            name, _, value = pair.partition("=")
            expired = value.strip() == "" or any(
                a.strip().lower().startswith("max-age=") and int(a.split("=")[1]) <= 0
                for a in attrs)
            if expired:
                self.jar.pop(name.strip(), None)
            else:
                self.jar[name.strip()] = value.strip()

    def request(self, method: str, url: str, *, json: Any = None, form: Any = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        all_headers = dict(headers or {})
        if self.jar:
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if method != "GET" and "origin" not in {k.lower() for k in all_headers}:
            parts = urlsplit(self.base if url.startswith(self.api) else url)
            all_headers["origin"] = f"{parts.scheme}://{parts.netloc}"
        res = self.client.request(method, url, json=json, data=form, headers=all_headers)
        self._store(res)
        return res

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("POST", self.api + path, json=body, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", self.api + path)

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname in FAKE_HOSTS:
            return f"{self.idp}/{parts.hostname}{parts.path}" + (
                f"?{parts.query}" if parts.query else "")
        return url

    def authorize(self, auth_url: str, login: str, *, stop_at_callback: bool = False,
                  password: str = "password") -> str | Hop:
        """Follow an authorization URL through the IdP's login form back to the callback;
        the callback URL itself with ``stop_at_callback``, else the callback's answer."""
        url, method, form = self.rewrite(auth_url), "GET", None
        public_api = self.base + "/api/auth"
        for _ in range(25):
            if url.startswith(public_api + "/callback/"):
                # The provider sends the browser to the public URL; this browser's server
                # answers for it (two instances behind one address, in the interop tests).
                url = self.api + url[len(public_api):]
            if url.startswith(self.api + "/callback/"):
                if stop_at_callback:
                    return url
                res = self.request("GET", url)
                return Hop(res.status_code, res.headers.get("location"), res)
            res = self.request(method, url, form=form)
            form = None
            if res.status_code in (301, 302, 303, 307, 308):
                url, method = self.rewrite(urljoin(url, res.headers["location"])), "GET"
                continue
            if res.status_code == 200 and 'name="login"' in res.text:
                action = html.unescape(re.search(r'action="([^"]+)"', res.text).group(1))  # type: ignore[union-attr]
                fields = {html.unescape(k): html.unescape(v) for k, v in re.findall(
                    r'<input type="hidden" name="([^"]+)" value="([^"]*)">', res.text)}
                fields.update(login=login, password=password)
                url, method, form = urljoin(url, action), "POST", fields
                continue
            raise AssertionError(f"unexpected {res.status_code} at {url}: {res.text[:200]}")
        raise AssertionError("too many redirects")

    def sign_in(self, provider: str, login: str, **body: Any) -> Hop:
        """``/sign-in/social`` then the whole provider round trip."""
        res = self.post("/sign-in/social", {"provider": provider, **body})
        assert res.status_code == 200, res.text
        hop = self.authorize(res.json()["url"], login)
        assert isinstance(hop, Hop)
        return hop


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL."""
    return dict(parse_qsl(urlsplit(url).query))
