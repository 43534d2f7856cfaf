"""A browser SPA on another origin uses the official Better Auth client against `authkit serve`
with CORS on (issue 6 item 5): headless Chromium enforces CORS for real.

The page (served from its own port, so another origin of the same site) loads
``better-auth/client`` from the conformance folder's ``node_modules`` through an import map,
then signs up, reads the session and signs out with ``credentials: "include"``. Skips with the
reason when Chromium/ChromeDriver/Selenium or node/npm are missing.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from .support.live_servers import REPO, authkit_server, free_port, npm_ci, require_node

CHROMIUM = os.environ.get("AUTHKIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("AUTHKIT_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
CONFORMANCE = REPO / "tests" / "conformance"
CLIENT_ENTRY = "better-auth/dist/client/index.mjs"
SECRET = "cors-browser-secret-0123456789-cors-browser-secret"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"Chromium ({CHROMIUM}) or ChromeDriver ({CHROMEDRIVER}) is not installed: "
           "apt-get install -y chromium chromium-driver",
)

_IMPORT = re.compile(r"""(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|"""
                     r"""import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']""")


def _pick(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        for key in ("browser", "import", "module", "default"):
            if key in entry and (found := _pick(entry[key])):
                return found
    return None


def _resolve(modules: Path, spec: str) -> str:
    """A bare specifier → its ESM file, by the package's ``exports`` (browser conditions)."""
    parts = spec.split("/")
    n = 2 if spec.startswith("@") else 1
    package, sub = "/".join(parts[:n]), "./" + "/".join(parts[n:]) if len(parts) > n else "."
    meta = json.loads((modules / package / "package.json").read_text())
    exports = meta.get("exports")
    if exports is None:
        target = (meta.get("module") or meta.get("main")) if sub == "." else sub
    else:
        if isinstance(exports, str) or not any(k.startswith(".") for k in exports):
            exports = {".": exports}
        entry = exports.get(sub)
        for key, value in exports.items():
            if entry is None and key.endswith("*") and sub.startswith(key[:-1]):
                entry = json.loads(json.dumps(value).replace("*", sub[len(key) - 1:]))
        target = _pick(entry)
    if not target:
        raise RuntimeError(f"cannot resolve {spec} for the browser")
    return os.path.normpath(f"{package}/{target}")


def import_map(modules: Path) -> dict[str, str]:
    """Every bare import reachable from the client entry, mapped under ``/nm/``."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    stack = [CLIENT_ENTRY]
    while stack:
        rel = stack.pop()
        if rel in seen:
            continue
        seen.add(rel)
        for m in _IMPORT.finditer((modules / rel).read_text(encoding="utf-8")):
            spec = m.group(1) or m.group(2) or m.group(3)
            if spec.startswith("."):
                stack.append(os.path.normpath(os.path.join(os.path.dirname(rel), spec)))
            elif spec not in found:
                found[spec] = _resolve(modules, spec)
                stack.append(found[spec])
    return {spec: f"/nm/{path}" for spec, path in found.items()}


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{imports}</script>
<script>window.process = {{ env: {{}} }};  // what a bundler defines for the client</script>
</head><body>SPA
<script type="module">
import {{ createAuthClient }} from "/nm/{entry}";
const out = {{}};
try {{
  const client = createAuthClient({{ baseURL: "{auth}",
                                     fetchOptions: {{ credentials: "include" }} }});
  const up = await client.signUp.email({{ email: "spa@example.com",
                                         password: "correct-horse-1", name: "Spa" }});
  out.signUp = up.error ? up.error : up.data.user.email;
  const s = await client.getSession();
  out.session = s.error ? s.error : s.data && s.data.user.email;
  const so = await client.signOut();
  out.signOut = so.error ? so.error : so.data;
  const after = await client.getSession();
  out.after = after.data;
}} catch (e) {{ out.exception = String(e); }}
document.body.dataset.result = JSON.stringify(out);
</script></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                                                 ".mjs": "text/javascript",
                                                 ".js": "text/javascript"}

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def spa_dir(tmp_path: Path) -> Path:
    require_node()
    npm_ci(CONFORMANCE)
    modules = CONFORMANCE / "node_modules"
    if not (modules / CLIENT_ENTRY).is_file():
        pytest.skip(f"{modules / CLIENT_ENTRY} is missing")
    site = tmp_path / "site"
    site.mkdir()
    (site / "nm").symlink_to(modules)
    return site


@pytest.fixture
def spa(spa_dir: Path) -> Iterator[str]:
    port = free_port()
    handler = functools.partial(_Handler, directory=str(spa_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def _run_page(browser: Any, spa: str, spa_dir: Path, auth_url: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    imports = json.dumps({"imports": import_map(spa_dir / "nm")})
    (spa_dir / "index.html").write_text(PAGE.format(imports=imports, entry=CLIENT_ENTRY,
                                                    auth=auth_url), encoding="utf-8")
    browser.get(spa + "/index.html")
    body = browser.find_element(By.TAG_NAME, "body")
    WebDriverWait(browser, 60).until(lambda d: body.get_attribute("data-result"))
    result: dict[str, Any] = json.loads(body.get_attribute("data-result"))
    return result


def test_official_client_from_another_origin(tmp_path: Path, spa: str, spa_dir: Path,
                                             browser: Any) -> None:
    env = {"AUTHKIT_CORS": "on", "AUTHKIT_TRUSTED_ORIGINS": spa}
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/cors.db", secret=SECRET,
                        extra_env=env) as auth:
        result = _run_page(browser, spa, spa_dir, auth.base_url)
    assert result == {"signUp": "spa@example.com", "session": "spa@example.com",
                      "signOut": {"success": True}, "after": None}, result


def test_without_cors_the_browser_blocks_the_client(tmp_path: Path, spa: str, spa_dir: Path,
                                                    browser: Any) -> None:
    env = {"AUTHKIT_TRUSTED_ORIGINS": spa}  # trusted for CSRF, but no CORS answers
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/nocors.db",
                        secret=SECRET, extra_env=env) as auth:
        result = _run_page(browser, spa, spa_dir, auth.base_url)
    assert result.get("signUp") != "spa@example.com", result
