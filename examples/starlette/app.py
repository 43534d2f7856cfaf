"""A small Starlette app on authkit: sign-up, sign-in (with a password, an emailed link or an
emailed code), profile, an admin page, organizations (create, invite by email,
accept, switch, members and roles), a JSON API.

Run it with ``python examples/starlette/app.py`` (see README.md). Handlers await
``auth.async_api`` (the core runs on a worker thread) and turn ``APIError`` into form
messages; ``authkit_middleware`` mounts the auth API at ``/api/auth``, guards the paths
below and fills ``request.user``. The admin plugin gives the admin page its endpoints.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette_authkit import AuthKitUser, authkit_middleware

from authkit import APIError, AuthKit
from authkit.http import Headers
from authkit.http import Request as AuthRequest
from authkit.mail import ConsoleSender
from authkit.middleware import safe_redirect_path
from authkit.origins import check_csrf
from authkit.outbox import write_outbox_line
from authkit.plugins import Plugin, email_otp, magic_link
from authkit.plugins.admin import admin, admin_emails_hooks
from authkit.plugins.email_otp import email_otp_mail
from authkit.plugins.magic_link import magic_link_mail
from authkit.plugins.organization import organization
from authkit.plugins.passkey import passkey
from authkit.plugins.social import SocialPlugin, social
from authkit.plugins.two_factor import two_factor

try:  # QR codes on the security page when segno is installed; the key as text always
    import segno
except ImportError:  # pragma: no cover - optional
    segno = None

HERE = Path(__file__).resolve().parent

# Friendlier words for the codes a visitor can cause; anything else shows the API's message.
FRIENDLY = {
    "INVALID_EMAIL_OR_PASSWORD": "That email and password do not match an account.",
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL": "An account with this email already exists. "
                                             "Sign in instead?",
    "USER_ALREADY_EXISTS": "An account with this email already exists. Sign in instead?",
    "PASSWORD_TOO_SHORT": "Please choose a longer password (at least 8 characters).",
    "PASSWORD_TOO_LONG": "That password is too long.",
    "INVALID_EMAIL": "Please enter a valid email address.",
    "INVALID_PASSWORD": "Your current password is not right.",
    "VALIDATION_ERROR": "Please check the form: every field is required.",
    "SERVICE_UNAVAILABLE": "We are having trouble reaching the database. Try again shortly.",
    "INVALID_ORIGIN": "This form was sent from another site and was refused.",
    "MISSING_OR_NULL_ORIGIN": "This form was sent from another site and was refused.",
    "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED": "This form was sent from another site and was "
                                           "refused.",
    "INVALID_OTP": "That code is not right, or it was already used.",
    "OTP_EXPIRED": "That code has expired. Ask for a new one.",
    "TOO_MANY_ATTEMPTS": "Too many wrong codes. Ask for a new one.",
}


def when(value: datetime | None) -> str:
    """A time for people: ``6 Dec 2026, 21:31 UTC``."""
    if value is None:
        return "never"
    return value.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


# What the callback's ?error= codes mean to a visitor.
OAUTH_ERRORS = {
    "account_not_linked": "An account with this email already exists. Sign in with your "
                          "password, then link the provider on the Accounts page.",
    "email_does_not_match": "That provider account uses another email address.",
    "account_already_linked_to_different_user": "That provider account belongs to someone "
                                                "else here.",
    "access_denied": "You cancelled the sign-in at the provider.",
}
PROVIDER_NAMES = {"github": "GitHub", "google": "Google"}


def oauth_error(code: str) -> str:
    """The message for a provider callback's ``?error=`` code."""
    return OAUTH_ERRORS.get(code, f"Signing in with the provider failed ({code}).")


def social_providers() -> dict[str, dict[str, Any]]:
    """GitHub and Google, for those whose ``<NAME>_CLIENT_ID``/``_CLIENT_SECRET`` are set.

    ``EXAMPLE_OAUTH_TEST_IDP`` instead points both at the loopback test providers of the
    reference deployment (its ``idp.mjs``), by overriding the presets' endpoints as you
    would for GitHub Enterprise: the browser tests sign in through it.
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


def friendly(exc: APIError) -> str:
    """The message to show for an API error."""
    return FRIENDLY.get(exc.code or "", exc.message or "Something went wrong.")


def dev_secret() -> str:
    """AUTHKIT_SECRET, or a random secret kept next to the app so sessions survive restarts."""
    if os.environ.get("AUTHKIT_SECRET"):
        return os.environ["AUTHKIT_SECRET"]
    path = Path(os.environ.get("EXAMPLE_SECRET_FILE", HERE / ".dev-secret"))
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def send_invitation(data: dict[str, Any]) -> None:
    """The invitation mail: to AUTHKIT_EMAIL_OUTBOX when set, else printed (development)."""
    site = os.environ.get("EXAMPLE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    url = f"{site}/accept-invitation/{data['id']}"
    outbox = os.environ.get("AUTHKIT_EMAIL_OUTBOX")
    if outbox:
        write_outbox_line(outbox, {"type": "invitation", "email": data["email"], "url": url,
                                   "token": data["id"]})
    else:
        print(f"invitation for {data['email']} to {data['organization']['name']}: {url}")


def passwordless_plugins() -> list[Plugin]:
    """Sign-in by emailed link or code. Mail is printed on the console, or with
    AUTHKIT_EMAIL_OUTBOX appended to that file as JSON lines (what the browser test reads)."""
    outbox = os.environ.get("AUTHKIT_EMAIL_OUTBOX")
    link_mail = magic_link_mail(ConsoleSender(), app_name="authkit example")
    code_mail = email_otp_mail(ConsoleSender(), app_name="authkit example")

    def send_link(*, email: str, url: str, token: str, **_: Any) -> None:
        if outbox:
            write_outbox_line(outbox, {"type": "magic-link", "email": email, "url": url,
                                       "token": token})
        else:
            link_mail(email=email, url=url, token=token)

    def send_code(*, email: str, otp: str, type: str) -> None:
        if outbox:
            write_outbox_line(outbox, {"type": "email-otp", "email": email, "url": None,
                                       "token": None, "otp": otp, "otpType": type})
        else:
            code_mail(email=email, otp=otp, type=type)

    return [magic_link(send_magic_link=send_link), email_otp(send_verification_otp=send_code)]


def make_auth(database: str | None = None) -> AuthKit:
    """The AuthKit of this example (SQLite next to the app unless AUTHKIT_DATABASE_URL)."""
    providers = social_providers()
    auth = AuthKit(
        secret=dev_secret(),
        database=database or os.environ.get("AUTHKIT_DATABASE_URL",
                                            f"sqlite:///{HERE / 'example.db'}"),
        base_url=os.environ.get("AUTHKIT_BASE_URL") or None,
        email_and_password={"enabled": True},
        app_name="authkit example",  # the name authenticator apps show
        # The admin plugin (roles, bans, impersonation), organizations; sign-in by emailed link
        # or code; "Sign in with GitHub/Google" when configured (Google verifies e-mails, so a
        # Google account with a verified address joins the existing user of that address).
        # Passkeys need a domain: run with AUTHKIT_BASE_URL=http://localhost:8000 (README).
        plugins=[admin(), organization(send_invitation_email=send_invitation),
                 *passwordless_plugins(), two_factor(), passkey(),
                 *([social(providers=providers,
                           account_linking={"trusted_providers": ["google"]})]
                   if providers else [])],
        # EXAMPLE_ADMIN_EMAILS=you@example.com: those addresses are admins from sign-up on.
        database_hooks=admin_emails_hooks(
            [e.strip() for e in os.environ.get("EXAMPLE_ADMIN_EMAILS", "").split(",")
             if e.strip()]),
    )
    auth.migrate()
    return auth


def _template_globals(request: Request) -> dict[str, Any]:
    user = request.user
    providers = getattr(request.app.state, "providers", [])
    if not isinstance(user, AuthKitUser):
        return {"current_user": None, "is_admin": False, "impersonating": False,
                "providers": providers}
    return {"current_user": user.user, "is_admin": "admin" in request.auth.scopes,
            "impersonating": bool(user.session.session.extra.get("impersonatedBy")),
            "providers": providers}


templates = Jinja2Templates(directory=str(HERE / "templates"),
                            context_processors=[_template_globals])
templates.env.filters["when"] = when


def forbidden_page(_request: AuthRequest) -> str:
    """The app's own 403 page (the middleware refuses before routing, so no Request here)."""
    return templates.get_template("forbidden.html").render(
        current_user=True, is_admin=False, impersonating=False)


def create_app(auth: AuthKit | None = None) -> Starlette:
    """The Starlette app (a factory, so tests can pass their own AuthKit)."""
    auth = auth or make_auth()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def form_of(request: Request) -> dict[str, str]:
        # A urlencoded form is all these pages post; no multipart parser needed.
        return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))

    def csrf_error(request: Request) -> str | None:
        # auth.api calls skip the HTTP origin checks, so a form handler runs them itself.
        req = AuthRequest(method=request.method, path=request.url.path,
                          headers=Headers(request.headers.items()), scheme=request.url.scheme)
        try:
            check_csrf(req, auth.origins, form_route=True)
        except APIError as exc:
            return friendly(exc)
        return None

    async def call(name: str, request: Request, **kwargs: Any) -> Any:
        # auth.async_api: database work and password hashing run off the event loop.
        endpoint = getattr(auth.async_api, name)
        # client: the visitor's address, recorded on the sessions this call opens.
        return await endpoint(headers=Headers(request.headers.items()),
                              client=request.client.host if request.client else None,
                              **kwargs)

    def forward(response: Response, api_headers: Headers) -> Response:
        for line in api_headers.get_all("set-cookie"):
            response.headers.append("set-cookie", line)
        return response

    def callback(value: str | None, default: str = "/dashboard") -> str:
        return safe_redirect_path(value, default)

    async def home(request: Request) -> Response:
        return page(request, "home.html")

    async def sign_up(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "sign_up.html",
                        callback=callback(request.query_params.get("callbackURL")))
        form = await form_of(request)
        error = csrf_error(request)
        if error is None:
            try:
                out = await call("sign_up_email", request, return_headers=True,
                                 body={"name": form.get("name", ""),
                                       "email": form.get("email", ""),
                                       "password": form.get("password", "")})
            except APIError as exc:
                error = friendly(exc)
            else:
                target = callback(form.get("callbackURL"))
                return forward(RedirectResponse(target, 303), out.headers)
        return page(request, "sign_up.html", 400, error=error, form=form,
                    callback=callback(form.get("callbackURL")))

    async def sign_in(request: Request) -> Response:
        if request.method == "GET":
            failed = request.query_params.get("error")
            return page(request, "sign_in.html",
                        callback=callback(request.query_params.get("callbackURL")),
                        error=oauth_error(failed) if failed else None)
        form = await form_of(request)
        error = csrf_error(request)
        if error is None:
            try:
                out = await call("sign_in_email", request, return_headers=True,
                                 body={"email": form.get("email", ""),
                                       "password": form.get("password", ""),
                                       "rememberMe": form.get("remember") == "on"})
            except APIError as exc:
                error = friendly(exc)
            else:
                target = callback(form.get("callbackURL"))
                if isinstance(out.response, dict) and out.response.get("twoFactorRedirect"):
                    # The password was right; the second factor finishes the sign-in.
                    target = "/two-factor?" + urlencode({"callbackURL": target})
                return forward(RedirectResponse(target, 303), out.headers)
        return page(request, "sign_in.html", 400, error=error, form=form,
                    callback=callback(form.get("callbackURL")))

    async def sign_in_social(request: Request) -> Response:
        # The provider's page is where the visitor goes next; the state cookie set here binds
        # its answer to this browser. Errors come back to /sign-in?error=<code>.
        form = await form_of(request)
        error = csrf_error(request)
        if error is None:
            try:
                out = await call("sign_in_social", request, return_headers=True,
                                 body={"provider": form.get("provider", ""),
                                       "callbackURL": callback(form.get("callbackURL")),
                                       "errorCallbackURL": "/sign-in",
                                       "disableRedirect": True})
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(RedirectResponse(out.response["url"], 303), out.headers)
        return page(request, "sign_in.html", 400, error=error,
                    callback=callback(form.get("callbackURL")))

    async def accounts(request: Request) -> Response:
        message = error = None
        api_headers = Headers()
        if request.method == "POST":
            form = await form_of(request)
            error = csrf_error(request)
            if error is None:
                try:
                    if form.get("action") == "link":
                        out = await call("link_social_account", request, return_headers=True,
                                         body={"provider": form.get("provider", ""),
                                               "callbackURL": "/accounts",
                                               "errorCallbackURL": "/accounts",
                                               "disableRedirect": True})
                        return forward(RedirectResponse(out.response["url"], 303), out.headers)
                    out = await call("unlink_account", request, return_headers=True,
                                     body={"accountId": form.get("accountId", "")})
                    api_headers = out.headers
                    message = "The account was unlinked."
                except APIError as exc:
                    error = friendly(exc)
        elif request.query_params.get("error"):
            error = oauth_error(request.query_params["error"])
        linked = await call("list_user_accounts", request)
        return forward(page(request, "accounts.html", 400 if error else 200, accounts=linked,
                            linked={a.provider_id for a in linked},
                            names={**PROVIDER_NAMES, "credential": "Email and password"},
                            message=message, error=error), api_headers)

    async def sign_in_by_email(request: Request) -> Response:
        """Ask for a sign-in link or a code; a new address gets an account when it signs in."""
        if request.method == "GET":
            return page(request, "sign_in_email.html",
                        callback=callback(request.query_params.get("callbackURL")))
        form = await form_of(request)
        email, target = form.get("email", ""), callback(form.get("callbackURL"))
        error = csrf_error(request)
        if error is None:
            try:
                if form.get("method") == "code":
                    await call("send_verification_otp", request,
                               body={"email": email, "type": "sign-in"})
                    return page(request, "sign_in_code.html", email=email, callback=target)
                await call("sign_in_magic_link", request,
                           body={"email": email, "callbackURL": target})
                return page(request, "sign_in_email.html", sent_to=email, callback=target)
            except APIError as exc:
                error = friendly(exc)
        return page(request, "sign_in_email.html", 400, error=error, form=form,
                    callback=target)

    async def sign_in_with_code(request: Request) -> Response:
        form = await form_of(request)
        email, target = form.get("email", ""), callback(form.get("callbackURL"))
        error = csrf_error(request)
        if error is None:
            try:
                out = await call("sign_in_email_otp", request, return_headers=True,
                                 body={"email": email, "otp": form.get("otp", "").strip()})
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(RedirectResponse(target, 303), out.headers)
        return page(request, "sign_in_code.html", 400, error=error, email=email,
                    callback=target)

    async def sign_out(request: Request) -> Response:
        if csrf_error(request) is not None:
            return RedirectResponse("/", 303)
        out = await call("sign_out", request, return_headers=True)
        return forward(RedirectResponse("/", 303), out.headers)

    async def dashboard(request: Request) -> Response:
        return page(request, "dashboard.html", session=request.user.session)

    async def profile(request: Request) -> Response:
        message = error = None
        api_headers = Headers()
        if request.method == "POST":
            form = await form_of(request)
            error = csrf_error(request)
            if error is None:
                try:
                    if form.get("action") == "name":
                        await call("update_user", request, body={"name": form.get("name", "")})
                        message = "Your name was saved."
                    else:
                        out = await call("change_password", request, return_headers=True,
                                         body={"currentPassword": form.get("current", ""),
                                               "newPassword": form.get("new", ""),
                                               "revokeOtherSessions": True})
                        api_headers = out.headers
                        message = "Your password was changed; other devices were signed out."
                except APIError as exc:
                    error = friendly(exc)
        fresh = await call("get_session", request)
        user = fresh.user if fresh else request.user.user
        return forward(page(request, "profile.html", 400 if error else 200, user=user,
                            message=message, error=error), api_headers)

    async def admin_users(request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        users: list[Any] = []
        total, error = 0, None
        params: dict[str, Any] = {"limit": 100, "sortBy": "createdAt",
                                  "sortDirection": "desc"}
        if query:
            params.update(searchValue=query, searchField="email", searchOperator="contains")
        try:
            result = await call("list_users", request, query=params)
            users, total = list(result.users), result.total
        except APIError as exc:
            error = friendly(exc)
        message = {"role": "The role was saved.", "banned": "The user was banned and signed "
                   "out everywhere.", "unbanned": "The ban was lifted.",
                   "stopped": "You are yourself again."}.get(request.query_params.get("done", ""))
        return page(request, "admin_users.html", users=users, total=total, query=query,
                    error=error, message=message)

    async def admin_action(request: Request) -> Response:
        calls = {"role": "set_role", "ban": "ban_user", "unban": "unban_user",
                 "impersonate": "impersonate_user"}
        action = request.path_params["action"]
        form = await form_of(request)
        if action not in calls or csrf_error(request) is not None:
            return RedirectResponse("/admin/users", 303)
        body: dict[str, Any] = {"userId": form.get("userId", "")}
        if action == "role":
            body["role"] = form.get("role", "user")
        try:
            out = await call(calls[action], request, body=body, return_headers=True)
        except APIError as exc:
            return page(request, "admin_users.html", 400, users=[], total=0, query="",
                        error=friendly(exc))
        if action == "impersonate":
            # The response sets the impersonated session's cookie: the admin now acts as them.
            return forward(RedirectResponse("/dashboard", 303), out.headers)
        done = {"role": "role", "ban": "banned", "unban": "unbanned"}[action]
        return forward(RedirectResponse(f"/admin/users?done={done}", 303), out.headers)

    async def stop_impersonating(request: Request) -> Response:
        if csrf_error(request) is not None:
            return RedirectResponse("/", 303)
        out = await call("stop_impersonating", request, return_headers=True)
        return forward(RedirectResponse("/admin/users?done=stopped", 303), out.headers)

    async def two_factor_page(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "two_factor.html",
                        callback=callback(request.query_params.get("callbackURL")))
        form = await form_of(request)
        error = csrf_error(request)
        if error is None:
            name = "verify_backup_code" if form.get("factor") == "backup" else "verify_totp"
            try:
                out = await call(name, request, return_headers=True,
                                 body={"code": form.get("code", "").strip(),
                                       "trustDevice": form.get("trust") == "on"})
            except APIError as exc:
                error = friendly(exc)
            else:
                target = callback(form.get("callbackURL"))
                return forward(RedirectResponse(target, 303), out.headers)
        return page(request, "two_factor.html", 400, error=error,
                    callback=callback(form.get("callbackURL")))

    async def security(request: Request) -> Response:
        message = error = setup = None
        backup_codes: list[str] = []
        api_headers = Headers()
        if request.method == "POST":
            form = await form_of(request)
            error = csrf_error(request)
            action = form.get("action")
            password = {"password": form.get("password", "")}
            try:
                if error is not None:
                    pass
                elif action == "enable":
                    out = await call("enable_two_factor", request, body=password)
                    uri = out["totpURI"]
                    setup = {"secret": parse_qs(urlsplit(uri).query)["secret"][0],
                             "qr": segno.make(uri).svg_data_uri(scale=4) if segno else None,
                             "backup_codes": out["backupCodes"]}
                elif action == "confirm":
                    api_headers = (await call("verify_totp", request, return_headers=True,
                                              body={"code": form.get("code", "").strip()})
                                   ).headers
                    message = "Two-factor authentication is on."
                elif action == "disable":
                    api_headers = (await call("disable_two_factor", request, body=password,
                                              return_headers=True)).headers
                    message = "Two-factor authentication is off."
                elif action == "backup-codes":
                    backup_codes = (await call("generate_backup_codes", request,
                                               body=password))["backupCodes"]
                    message = "New backup codes; the old ones no longer work."
                elif action == "delete-passkey":
                    await call("delete_passkey", request, body={"id": form.get("id", "")})
                    message = "The passkey was deleted."
            except APIError as exc:
                error = friendly(exc)
        # The session cookie may have just been replaced: read with the new one.
        now = Headers(request.headers.items())
        cookie = "; ".join(line.split(";", 1)[0] for line in api_headers.get_all("set-cookie"))
        if cookie:
            now.set("cookie", cookie)
        fresh = await auth.async_api.get_session(headers=now)
        keys = await auth.async_api.list_passkeys(headers=now) if fresh else []
        return forward(page(request, "security.html", 400 if error else 200,
                            user=fresh.user if fresh else request.user.user, setup=setup,
                            backup_codes=backup_codes, passkeys=keys, message=message,
                            error=error), api_headers)
    # -- organizations: every action is one auth.api call with the visitor's headers --------
    async def org_page(request: Request, error: str | None = None,
                       message: str | None = None, status: int = 200) -> Response:
        orgs = await call("list_organizations", request)
        active = await call("get_full_organization", request)
        mine = None
        if active is not None:
            me = request.user.user.id
            mine = next((m for m in active["members"] if m["userId"] == me), None)
        return page(request, "organizations.html", status, orgs=orgs, active=active, mine=mine,
                    error=error, message=message)

    async def org_action(request: Request, name: str, body: dict[str, Any],
                         done: str) -> Response:
        error = csrf_error(request)
        api_headers = Headers()
        if error is None:
            try:
                out = await call(name, request, body=body, return_headers=True)
                api_headers = out.headers
            except APIError as exc:
                error = friendly(exc)
        if error:
            return await org_page(request, error=error, status=400)
        return forward(RedirectResponse(f"/org?done={done}", 303), api_headers)

    async def organizations(request: Request) -> Response:
        done = {"created": "Organization created.", "invited": "Invitation sent.",
                "switched": "Active organization changed.", "role": "Role changed."}
        return await org_page(request, message=done.get(request.query_params.get("done", "")))

    async def create_organization(request: Request) -> Response:
        form = await form_of(request)
        return await org_action(request, "create_organization",
                                {"name": form.get("name", ""), "slug": form.get("slug", "")},
                                "created")

    async def switch_organization(request: Request) -> Response:
        form = await form_of(request)
        return await org_action(request, "set_active_organization",
                                {"organizationId": form.get("organizationId", "")}, "switched")

    async def invite(request: Request) -> Response:
        form = await form_of(request)
        return await org_action(request, "create_invitation",
                                {"email": form.get("email", ""),
                                 "role": form.get("role", "member")}, "invited")

    async def change_role(request: Request) -> Response:
        form = await form_of(request)
        return await org_action(request, "update_member_role",
                                {"memberId": form.get("memberId", ""),
                                 "role": form.get("role", "")}, "role")

    async def accept_invitation(request: Request) -> Response:
        invitation_id = request.path_params["invitation_id"]
        error = None
        if request.method == "POST":
            error = csrf_error(request)
            if error is None:
                try:
                    out = await call("accept_invitation", request, return_headers=True,
                                     body={"invitationId": invitation_id})
                except APIError as exc:
                    error = friendly(exc)
                else:
                    return forward(RedirectResponse("/org", 303), out.headers)
        invitation = None
        try:
            invitation = await call("get_invitation", request, query={"id": invitation_id})
        except APIError as exc:
            error = error or friendly(exc)
        return page(request, "invitation.html", 400 if error else 200, invitation=invitation,
                    error=error)

    async def api_me(request: Request) -> Response:
        session = request.user.session  # the middleware answered 401 otherwise
        # Never hand the session token to page scripts: it is the HttpOnly cookie's secret.
        return JSONResponse({"user": session.user.to_json(),
                             "session": {"id": session.session.id,
                                         "expiresAt": session.session.to_json()["expiresAt"]}})

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/sign-up", sign_up, methods=["GET", "POST"]),
            Route("/sign-in", sign_in, methods=["GET", "POST"]),
            Route("/sign-in/email", sign_in_by_email, methods=["GET", "POST"]),
            Route("/sign-in/code", sign_in_with_code, methods=["POST"]),
            Route("/sign-in/social", sign_in_social, methods=["POST"]),
            Route("/accounts", accounts, methods=["GET", "POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            Route("/dashboard", dashboard),
            Route("/profile", profile, methods=["GET", "POST"]),
            Route("/admin/users", admin_users),
            Route("/two-factor", two_factor_page, methods=["GET", "POST"]),
            Route("/security", security, methods=["GET", "POST"]),
            Route("/org", organizations),
            Route("/org/create", create_organization, methods=["POST"]),
            Route("/org/switch", switch_organization, methods=["POST"]),
            Route("/org/invite", invite, methods=["POST"]),
            Route("/org/role", change_role, methods=["POST"]),
            Route("/accept-invitation/{invitation_id}", accept_invitation,
                  methods=["GET", "POST"]),
            Route("/admin/users/{action}", admin_action, methods=["POST"]),
            # Not under /admin/*: while impersonating, the session is the (non-admin) user's.
            Route("/stop-impersonating", stop_impersonating, methods=["POST"]),
            Route("/api/me", api_me),
        ],
        middleware=authkit_middleware(
            auth,
            protect=["/dashboard", "/profile", "/security", "/accounts", "/org/:path*",
                     "/accept-invitation/:id", "/api/:path*"],
            roles={"/admin/*": "admin"},
            auth_pages=["/sign-in", "/sign-up", "/sign-in/email", "/sign-in/code"],
            after_sign_in_path="/dashboard",
            forbidden_page=forbidden_page,
        ),
    )
    social_plugin = next((p for p in auth.plugins if isinstance(p, SocialPlugin)), None)
    app.state.providers = [(p.id, PROVIDER_NAMES.get(p.id, p.name))
                           for p in (social_plugin.providers if social_plugin else [])]
    return app


def make_admin(auth: AuthKit, email: str) -> bool:
    """Give ``email`` the admin role (what ``authkit set-role`` does)."""
    user = auth.storage.get_user_by_email(email.lower())
    if user is None:
        return False
    auth.storage.update_user(user.id, {"role": "admin"})
    return True


def main(argv: list[str] | None = None) -> None:
    """``python app.py [--port P]`` serves the app; ``python app.py make-admin EMAIL``."""
    parser = argparse.ArgumentParser(description="authkit Starlette example")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "make-admin"])
    parser.add_argument("email", nargs="?")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.command == "make-admin":
        if not args.email or not make_admin(make_auth(), args.email):
            sys.exit(f"no user with email {args.email!r}: sign up first")
        print(f"{args.email} is now an admin")
        return
    import uvicorn

    # Emailed links are built from the configured origin, never from a request's Host header
    # (which a client controls): default it to where this server listens.
    os.environ.setdefault("AUTHKIT_BASE_URL", f"http://{args.host}:{args.port}")
    uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
