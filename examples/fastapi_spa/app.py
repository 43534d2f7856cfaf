"""A FastAPI JSON API behind a single-page front end that uses Better Auth's own client.

Run it with ``python examples/fastapi_spa/app.py`` after ``npm install`` in this folder (see
README.md). The page (``static/``) imports ``createAuthClient`` from the official
``better-auth`` package, which this app serves from ``node_modules`` with an import map: no
bundler. The client talks to authkit at ``/api/auth``; the notes API below it is guarded by
``Depends(current_session)``.
"""

from __future__ import annotations

import argparse
import os
import secrets
from itertools import count
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette_authkit import current_session, install

from authkit import APIError, AuthKit, SessionWithUser
from authkit.http import Headers
from authkit.http import Request as AuthRequest
from authkit.origins import check_csrf

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# Packages the page may load from node_modules: better-auth's client and its imports.
VENDORED = ("better-auth", "@better-auth", "@better-fetch", "better-call", "nanostores", "defu")


def dev_secret() -> str:
    """AUTHKIT_SECRET, or a random secret kept next to the app so sessions survive restarts."""
    if os.environ.get("AUTHKIT_SECRET"):
        return os.environ["AUTHKIT_SECRET"]
    path = HERE / ".dev-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def make_auth(database: str | None = None) -> AuthKit:
    """The AuthKit of this example (SQLite next to the app unless AUTHKIT_DATABASE_URL)."""
    auth = AuthKit(secret=dev_secret(),
                   database=database or os.environ.get("AUTHKIT_DATABASE_URL",
                                                       f"sqlite:///{HERE / 'example.db'}"),
                   email_and_password={"enabled": True})
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
