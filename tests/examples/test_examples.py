"""Both example apps end to end through their WSGI/ASGI interfaces (the browser test is
``test_browser.py``): sign-up, sign-in with remember-me, dashboard, profile, admin page, the
JSON API, sign-out, and the form errors a visitor can cause."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.clients import HTTPClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HTML = {"Accept": "text/html"}


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>/app.py`` (the examples are scripts, not packages)."""
    module_name = f"authkit_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["flask", "starlette"])
def example(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Any:
    """(module, auth, client) for one example on a fresh SQLite database."""
    monkeypatch.setenv("AUTHKIT_SECRET", "example-test-secret-0123456789-0123456789")
    module = load_example(request.param)
    auth = module.make_auth(f"sqlite:///{tmp_path}/example.db")
    app = module.create_app(auth)
    kind = "wsgi" if request.param == "flask" else "asgi"
    origin = "http://localhost" if kind == "wsgi" else "http://localhost:3000"
    yield module, auth, HTTPClient(kind, app, origin=origin)
    auth.storage.engine.dispose()


def sign_up(client: HTTPClient, email: str = "ann@example.com", **extra: str) -> Any:
    return client.post("/sign-up", data={"name": "Ann", "email": email,
                                         "password": "correct-horse-1", **extra},
                       headers=HTML)


def test_full_journey(example: Any) -> None:
    module, auth, client = example
    res = client.get("/dashboard", headers=HTML)
    assert res.status == 302 and res.header("Location") == "/sign-in?callbackURL=%2Fdashboard"
    assert client.get("/api/me").status == 401
    assert b"Create account" in client.get("/sign-up", headers=HTML).body

    res = sign_up(client)
    assert res.status == 303 and res.header("Location") == "/dashboard"
    page = client.get("/dashboard", headers=HTML)
    assert page.status == 200 and b"Welcome, Ann (ann@example.com)" in page.body
    assert client.get("/sign-in", headers=HTML).header("Location") == "/dashboard"
    me = client.get("/api/me").json
    assert me["user"]["email"] == "ann@example.com" and "token" not in me["session"]

    refused = client.get("/admin/users", headers=HTML)
    assert refused.status == 403 and b"Not allowed" in refused.body
    assert b'href="/dashboard"' in refused.body  # the app's own 403 page links back
    assert b"admin-link" not in client.get("/dashboard", headers=HTML).body
    assert module.make_admin(auth, "ann@example.com")
    admin = client.get("/admin/users", headers=HTML)
    assert admin.status == 200
    assert b'<td class="email">ann@example.com</td>' in admin.body and b"1 user." in admin.body
    assert b"admin-link" in client.get("/dashboard", headers=HTML).body

    res = client.post("/profile", data={"action": "name", "name": "Annie"}, headers=HTML)
    assert b"Your name was saved." in res.body
    assert b"Welcome, Annie" in client.get("/dashboard", headers=HTML).body
    res = client.post("/profile", data={"action": "password", "current": "correct-horse-1",
                                        "new": "correct-horse-2"}, headers=HTML)
    assert b"Your password was changed" in res.body

    res = client.post("/sign-out", headers=HTML)
    assert res.status == 303 and res.header("Location") == "/"
    assert client.get("/dashboard", headers=HTML).status == 302
    assert client.get("/api/me").status == 401


def test_sign_in_with_and_without_remember_me(example: Any) -> None:
    _, _, client = example
    sign_up(client)
    client.post("/sign-out", headers=HTML)
    res = client.post("/sign-in", data={"email": "ann@example.com",
                                        "password": "correct-horse-1", "remember": "on",
                                        "callbackURL": "/profile"}, headers=HTML)
    assert res.status == 303 and res.header("Location") == "/profile"
    assert "Max-Age=604800" in (res.cookie("better-auth.session_token") or "")
    client.post("/sign-out", headers=HTML)
    res = client.post("/sign-in", data={"email": "ann@example.com",
                                        "password": "correct-horse-1"}, headers=HTML)
    assert "Max-Age" not in (res.cookie("better-auth.session_token") or "Max-Age")
    assert res.cookie("better-auth.dont_remember") is not None
    assert client.get("/dashboard", headers=HTML).status == 200


@pytest.mark.parametrize("evil", ["//evil.com", "https://evil.com", "/\\evil.com",
                                  "/%2F%2Fevil.com"])
def test_sign_in_callback_stays_on_site(example: Any, evil: str) -> None:
    """docs/security.md#redirects on the example's own sign-in form."""
    _, _, client = example
    sign_up(client)
    client.post("/sign-out", headers=HTML)
    res = client.post("/sign-in", data={"email": "ann@example.com",
                                        "password": "correct-horse-1", "callbackURL": evil},
                      headers=HTML)
    assert res.status == 303 and res.header("Location") == "/dashboard"


def test_form_errors_are_friendly(example: Any) -> None:
    _, _, client = example
    sign_up(client)
    client.post("/sign-out", headers=HTML)
    res = sign_up(client)
    assert res.status == 400 and b"already exists" in res.body
    res = client.post("/sign-up", data={"name": "B", "email": "b@example.com",
                                        "password": "short"}, headers=HTML)
    assert res.status == 400 and b"longer password" in res.body
    res = client.post("/sign-in", data={"email": "ann@example.com", "password": "wrong-pass"},
                      headers=HTML)
    assert res.status == 400 and b"do not match an account" in res.body
    assert res.cookie("better-auth.session_token") is None


def test_cross_site_forms_are_refused(example: Any) -> None:
    _, _, client = example
    res = client.post("/sign-up", data={"name": "Eve", "email": "eve@example.com",
                                        "password": "correct-horse-1"},
                      headers={**HTML, "Origin": "https://evil.example"})
    assert res.status == 400 and b"from another site" in res.body
    assert res.cookie("better-auth.session_token") is None


def test_admin_page_search_role_ban_impersonate(example: Any) -> None:
    module, auth, client = example
    sign_up(client, "boss@example.com")
    assert module.make_admin(auth, "boss@example.com")
    visitor = HTTPClient(client.kind, client.app, origin=client.origin)
    sign_up(visitor, "bob@example.com")
    sign_up(HTTPClient(client.kind, client.app, origin=client.origin), "carol@example.com")
    page = client.get("/admin/users", headers=HTML).body.decode()
    assert "3 users." in page and page.count('<td class="email">') == 3
    found = client.get("/admin/users?q=bob", headers=HTML).body.decode()
    assert "1 user matching “bob”." in found and '<td class="email">bob@example.com' in found
    bob = auth.storage.get_user_by_email("bob@example.com")
    # Set a role, then ban: bob's session ends at once.
    res = client.post("/admin/users/role", data={"userId": bob.id, "role": "admin"},
                      headers=HTML)
    assert res.status == 303
    assert b"The role was saved." in client.get(res.header("Location"), headers=HTML).body
    assert auth.storage.get_user_by_email("bob@example.com").extra["role"] == "admin"
    client.post("/admin/users/role", data={"userId": bob.id, "role": "user"}, headers=HTML)
    assert visitor.get("/dashboard", headers=HTML).status == 200
    client.post("/admin/users/ban", data={"userId": bob.id}, headers=HTML)
    listed = client.get("/admin/users?q=bob", headers=HTML).body.decode()
    assert '<td class="status">banned</td>' in listed
    assert visitor.get("/dashboard", headers=HTML).status == 302
    client.post("/admin/users/unban", data={"userId": bob.id}, headers=HTML)
    assert '<td class="status">active</td>' in client.get("/admin/users?q=bob",
                                                            headers=HTML).body.decode()
    # Impersonate carol, see her dashboard with the banner, then come back.
    carol = auth.storage.get_user_by_email("carol@example.com")
    res = client.post("/admin/users/impersonate", data={"userId": carol.id}, headers=HTML)
    assert res.status == 303 and res.header("Location") == "/dashboard"
    dash = client.get("/dashboard", headers=HTML).body.decode()
    assert "carol@example.com" in dash and "Stop impersonating" in dash
    assert "admin-link" not in dash
    res = client.post("/stop-impersonating", headers=HTML)
    assert res.status == 303
    back = client.get("/admin/users?done=stopped", headers=HTML).body.decode()
    assert "You are yourself again." in back and "Stop impersonating" not in back


def test_pages_show_people_times_the_ip_and_fit_a_phone(example: Any) -> None:
    import re

    _, _, client = example
    sign_up(client)
    page = client.get("/dashboard", headers=HTML).body.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.search(r'<td id="signed-in">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</td>',
                     page), page
    assert re.search(r'<td id="ip">[^<]+</td>', page)
    assert "max-width: 100%" in page and "box-sizing: border-box" in page


def test_sign_in_by_emailed_code_and_link(example: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    module, _, plain = example
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("AUTHKIT_EMAIL_OUTBOX", str(outbox))
    # The mail callbacks read the outbox path when the AuthKit is built: build one with it.
    auth = module.make_auth(f"sqlite:///{tmp_path}/example.db")
    client = HTTPClient(plain.kind, module.create_app(auth), origin=plain.origin)

    def mails() -> list[dict[str, Any]]:
        return [json.loads(line) for line in outbox.read_text().splitlines()]

    res = client.post("/sign-in/email", data={"email": "nia@example.com", "method": "code",
                                              "callbackURL": "/profile"}, headers=HTML)
    assert res.status == 200 and b"Enter your code" in res.body
    code = mails()[-1]["otp"]
    wrong = "000000" if code != "000000" else "111111"
    res = client.post("/sign-in/code", data={"email": "nia@example.com", "otp": wrong,
                                             "callbackURL": "/profile"}, headers=HTML)
    assert res.status == 400 and b"That code is not right" in res.body
    res = client.post("/sign-in/code", data={"email": "nia@example.com", "otp": code,
                                             "callbackURL": "/profile"}, headers=HTML)
    assert res.status == 303 and res.header("Location") == "/profile"
    assert client.get("/api/me").json["user"]["email"] == "nia@example.com"
    # Signed in, the email sign-in pages send the visitor on.
    assert client.get("/sign-in/email", headers=HTML).status == 302

    other = HTTPClient(client.kind, client.app, origin=client.origin)
    res = other.post("/sign-in/email", data={"email": "nia@example.com", "method": "link"},
                     headers=HTML)
    assert res.status == 200 and b"We sent a sign-in link to nia@example.com" in res.body
    assert mails()[-1]["type"] == "magic-link"
    # A form posted from another site is refused before anything is sent.
    count = len(mails())
    res = other.post("/sign-in/email", data={"email": "nia@example.com", "method": "code"},
                     headers={**HTML, "Origin": "https://evil.example",
                              "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert res.status == 400 and b"refused" in res.body and len(mails()) == count
    auth.storage.engine.dispose()
