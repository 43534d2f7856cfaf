"""A FastAPI JSON API behind a single-page front end that uses Better Auth's own client.

Run it with ``python examples/fastapi_spa/app.py`` after ``npm install`` in this folder (see
README.md). The page (``static/``) imports ``createAuthClient`` from the official
``better-auth`` package, which this app serves from ``node_modules`` with an import map: no
bundler. The client talks to authkit at ``/api/auth``; the notes API below it is guarded by
``Depends(current_session)``. "Sign in with GitHub/Google" appears for the providers whose
``<NAME>_CLIENT_ID``/``_CLIENT_SECRET`` are set; the page starts it with the client's
``signIn.social``.
"""

from __future__ import annotations

import argparse
import os
import secrets
from itertools import count
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette_authkit import current_session, install

from authkit import APIError, AuthKit, SessionWithUser
from authkit.http import Headers
from authkit.http import Request as AuthRequest
from authkit.origins import check_csrf
from authkit.plugins.social import SocialPlugin, social

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# Packages the page may load from node_modules: better-auth's client and its imports.
VENDORED = ("better-auth", "@better-auth", "@better-fetch", "better-call", "nanostores", "defu")
PROVIDER_NAMES = {"github": "GitHub", "google": "Google"}


def dev_secret() -> str:
    """AUTHKIT_SECRET, or a random secret kept next to the app so sessions survive restarts."""
    if os.environ.get("AUTHKIT_SECRET"):
        return os.environ["AUTHKIT_SECRET"]
    path = HERE / ".dev-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def social_providers() -> dict[str, dict[str, Any]]:
    """GitHub and Google, for those whose ``<NAME>_CLIENT_ID``/``_CLIENT_SECRET`` are set.

    ``EXAMPLE_OAUTH_TEST_IDP`` instead points both at the loopback test providers of the
    reference deployment (its ``idp.mjs``), by overriding the presets' endpoints as you
    would for GitHub Enterprise: the browser test signs in through it.
    """
    idp = (os.environ.get("EXAMPLE_OAUTH_TEST_IDP") or "").rstrip("/")
    if idp:
        return {
            "github": {"client_id": "ba-github-client", "client_secret": "ba-github-secret",
                       "authorization_endpoint": f"{idp}/github.com/login/oauth/authorize",
                       "token_endpoint": f"{idp}/github.com/login/oauth/access_token",
                       "userinfo_endpoint": f"{idp}/api.github.com/user"},
            "google": {"client_id": "ba-google-client.apps.googleusercontent.com",
                       "client_secret": "ba-google-secret",
                       "authorization_endpoint": f"{idp}/accounts.google.com/o/oauth2/v2/auth",
                       "token_endpoint": f"{idp}/oauth2.googleapis.com/token"},
        }
    found: dict[str, dict[str, Any]] = {}
    for name in PROVIDER_NAMES:
        client_id = os.environ.get(f"{name.upper()}_CLIENT_ID")
        secret = os.environ.get(f"{name.upper()}_CLIENT_SECRET")
        if client_id and secret:
            found[name] = {"client_id": client_id, "client_secret": secret}
    return found


def make_auth(database: str | None = None) -> AuthKit:
    """The AuthKit of this example (SQLite next to the app unless AUTHKIT_DATABASE_URL)."""
    providers = social_providers()
    auth = AuthKit(secret=dev_secret(),
                   database=database or os.environ.get("AUTHKIT_DATABASE_URL",
                                                       f"sqlite:///{HERE / 'example.db'}"),
                   # The providers send the browser back to <base URL>/api/auth/callback/<id>.
                   base_url=os.environ.get("AUTHKIT_BASE_URL") or None,
                   email_and_password={"enabled": True},
                   # Google verifies e-mail addresses, so a Google account with a verified
                   # address joins the existing user of that address.
                   plugins=[social(providers=providers,
                                   account_linking={"trusted_providers": ["google"]})]
                   if providers else [])
    auth.migrate()
    return auth


class NoteIn(BaseModel):
    """A note to add."""

    text: str = Field(min_length=1, max_length=500)


class Note(NoteIn):
    """A stored note."""

    id: int


Session = Annotated[SessionWithUser, Depends(current_session)]


def create_app(auth: AuthKit | None = None, node_modules: Path | None = None) -> FastAPI:
    """The FastAPI app (a factory, so tests can pass their own AuthKit)."""
    auth = auth or make_auth()
    modules = (node_modules or Path(os.environ.get("SPA_NODE_MODULES", HERE / "node_modules"))
               ).resolve()
    notes: dict[str, list[Note]] = {}  # per user id; an example keeps them in memory
    ids = count(1)
    app = FastAPI(title="Notes (authkit example)")
    install(app, auth, protect=["/api/notes"])

    def same_origin(request: Request) -> None:
        # The session cookie rides along on any request to this site: a write must come
        # from the page itself (authkit's own origin rule).
        req = AuthRequest(method=request.method, path=request.url.path,
                          headers=Headers(request.headers.items()), scheme=request.url.scheme)
        try:
            check_csrf(req, auth.origins, form_route=False)
        except APIError as exc:
            raise HTTPException(403, exc.message) from None

    @app.get("/api/notes")
    async def list_notes(session: Session) -> list[Note]:
        return notes.get(session.user.id, [])

    @app.post("/api/notes", status_code=201, dependencies=[Depends(same_origin)])
    async def add_note(note: NoteIn, session: Session) -> Note:
        stored = Note(id=next(ids), text=note.text)
        notes.setdefault(session.user.id, []).append(stored)
        return stored

    social_plugin = next((p for p in auth.plugins if isinstance(p, SocialPlugin)), None)
    providers = [{"id": p.id, "name": PROVIDER_NAMES.get(p.id, p.name)}
                 for p in (social_plugin.providers if social_plugin else [])]

    @app.get("/api/providers")
    async def list_providers() -> list[dict[str, str]]:
        """The configured social providers, for the page's "Sign in with ..." buttons."""
        return providers

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/app.js", include_in_schema=False)
    async def script() -> FileResponse:
        return FileResponse(STATIC / "app.js", media_type="text/javascript")

    @app.get("/vendor/{path:path}", include_in_schema=False)
    async def vendor(path: str) -> Response:
        target = (modules / path).resolve()
        allowed = (target.is_relative_to(modules) and target.suffix in (".js", ".mjs")
                   and path.split("/", 1)[0] in VENDORED and target.is_file())
        if not allowed:
            raise HTTPException(404, "run `npm install` in examples/fastapi_spa first"
                                if not modules.is_dir() else "not found")
        return FileResponse(target, media_type="text/javascript")

    return app


def main(argv: list[str] | None = None) -> None:
    """``python app.py [--port P]``."""
    parser = argparse.ArgumentParser(description="authkit FastAPI + single-page example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
