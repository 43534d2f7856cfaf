"""A small Flask app on authkit: sign-up, sign-in (with a password, an emailed link or an
emailed code), profile, an admin page, organizations (create, invite by email,
accept, switch, members and roles), a JSON API.

Run it with ``python examples/flask/app.py`` (see README.md). Handlers call ``auth.api``
server-side and turn ``APIError`` into form messages; ``FlaskAuthKit`` mounts the auth API at
``/api/auth`` and guards the paths listed in the config below. The admin plugin gives the
admin page its endpoints: list and search users, set roles, ban and unban, impersonate.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask, Response, has_request_context, redirect, render_template, request
from flask_authkit import FlaskAuthKit, current_session, current_user
from werkzeug.wrappers import Response as BaseResponse

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
    site = os.environ.get("EXAMPLE_SITE_URL", "http://127.0.0.1:5000").rstrip("/")
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
        # Passkeys need a domain: run with AUTHKIT_BASE_URL=http://localhost:5000 (README).
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


def create_app(auth: AuthKit | None = None) -> Flask:
    """The Flask app (an app factory, so tests can pass their own AuthKit)."""
    auth = auth or make_auth()
    app = Flask(__name__, template_folder=str(HERE / "templates"))
    app.config.update(
        AUTHKIT_PROTECT=["/dashboard", "/profile", "/security", "/accounts", "/org/:path*",
                         "/accept-invitation/:id", "/api/:path*"],
        AUTHKIT_ROLES={"/admin/*": "admin"},
        AUTHKIT_AUTH_PAGES=["/sign-in", "/sign-up", "/sign-in/email", "/sign-in/code"],
        AUTHKIT_AFTER_SIGN_IN_PATH="/dashboard",
        AUTHKIT_FORBIDDEN_PAGE=lambda _request: forbidden_page(),
    )
    FlaskAuthKit(app, auth=auth)
    app.jinja_env.filters["when"] = when

    def forbidden_page() -> str:
        # The middleware refuses before Flask routes the request: render outside a request.
        with app.app_context():
            return render_template("forbidden.html", current_user=True, is_admin=False,
                                   impersonating=False)

    @app.context_processor
    def navigation() -> dict[str, Any]:
        if not has_request_context():
            return {}  # the 403 page, rendered by the middleware before routing
        session = current_session
        return {"is_admin": session is not None and "admin" in current_user.roles,
                "impersonating": bool(session and session.session.extra.get(
                    "impersonatedBy"))}

    def headers() -> Headers:
        return Headers(request.headers)

    def csrf_error() -> str | None:
        # auth.api calls skip the HTTP origin checks, so a form handler runs them itself.
        req = AuthRequest(method=request.method, path=request.path, headers=headers(),
                          scheme=request.scheme)
        try:
            check_csrf(req, auth.origins, form_route=True)
        except APIError as exc:
            return friendly(exc)
        return None

    def forward(response: BaseResponse, api_headers: Headers) -> BaseResponse:
        for line in api_headers.get_all("set-cookie"):
            response.headers.add("Set-Cookie", line)
        return response

    def callback(default: str = "/dashboard") -> str:
        return safe_redirect_path(request.values.get("callbackURL"), default)

    social_plugin = next((p for p in auth.plugins if isinstance(p, SocialPlugin)), None)
    providers = [(p.id, PROVIDER_NAMES.get(p.id, p.name))
                 for p in (social_plugin.providers if social_plugin else [])]

    @app.context_processor
    def provider_buttons() -> dict[str, Any]:
        return {"providers": providers}

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.route("/sign-up", methods=["GET", "POST"])
    def sign_up() -> Any:
        if request.method == "GET":
            return render_template("sign_up.html", callback=callback())
        form = request.form
        error = csrf_error()
        if error is None:
            try:
                out = auth.api.sign_up_email(
                    body={"name": form.get("name", ""), "email": form.get("email", ""),
                          "password": form.get("password", "")},
                    headers=headers(), return_headers=True, client=request.remote_addr)
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(redirect(callback(), 303), out.headers)
        return render_template("sign_up.html", error=error, form=form,
                               callback=callback()), 400

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Any:
        if request.method == "GET":
            failed = request.args.get("error")
            return render_template("sign_in.html", callback=callback(),
                                   error=oauth_error(failed) if failed else None)
        form = request.form
        error = csrf_error()
        if error is None:
            try:
                out = auth.api.sign_in_email(
                    body={"email": form.get("email", ""), "password": form.get("password", ""),
                          "rememberMe": form.get("remember") == "on"},
                    headers=headers(), return_headers=True, client=request.remote_addr)
            except APIError as exc:
                error = friendly(exc)
            else:
                if isinstance(out.response, dict) and out.response.get("twoFactorRedirect"):
                    # The password was right; the second factor finishes the sign-in.
                    target = "/two-factor?" + urlencode({"callbackURL": callback()})
                    return forward(redirect(target, 303), out.headers)
                return forward(redirect(callback(), 303), out.headers)
        return render_template("sign_in.html", error=error, form=form,
                               callback=callback()), 400

    @app.post("/sign-in/social")
    def sign_in_social() -> Any:
        # The provider's page is where the visitor goes next; the state cookie set here binds
        # its answer to this browser. Errors come back to /sign-in?error=<code>.
        error = csrf_error()
        if error is None:
            try:
                out = auth.api.sign_in_social(
                    body={"provider": request.form.get("provider", ""),
                          "callbackURL": callback(), "errorCallbackURL": "/sign-in",
                          "disableRedirect": True},
                    headers=headers(), return_headers=True)
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(redirect(out.response["url"], 303), out.headers)
        return render_template("sign_in.html", error=error, callback=callback()), 400

    @app.route("/accounts", methods=["GET", "POST"])
    def accounts() -> Any:
        message = error = None
        response_headers = Headers()
        if request.method == "POST":
            error = csrf_error()
            if error is None:
                try:
                    if request.form.get("action") == "link":
                        out = auth.api.link_social_account(
                            body={"provider": request.form.get("provider", ""),
                                  "callbackURL": "/accounts", "errorCallbackURL": "/accounts",
                                  "disableRedirect": True},
                            headers=headers(), return_headers=True)
                        return forward(redirect(out.response["url"], 303), out.headers)
                    out = auth.api.unlink_account(
                        body={"accountId": request.form.get("accountId", "")},
                        headers=headers(), return_headers=True)
                    response_headers = out.headers
                    message = "The account was unlinked."
                except APIError as exc:
                    error = friendly(exc)
        elif request.args.get("error"):
            error = oauth_error(request.args["error"])
        linked = auth.api.list_user_accounts(headers=headers())
        page = render_template("accounts.html", accounts=linked,
                               linked={a.provider_id for a in linked},
                               names={**PROVIDER_NAMES, "credential": "Email and password"},
                               message=message, error=error)
        return forward(Response(page, 400 if error else 200), response_headers)

    @app.route("/sign-in/email", methods=["GET", "POST"])
    def sign_in_by_email() -> Any:
        """Ask for a sign-in link or a code; a new address gets an account when it signs in."""
        if request.method == "GET":
            return render_template("sign_in_email.html", callback=callback())
        form = request.form
        email = form.get("email", "")
        error = csrf_error()
        if error is None:
            try:
                if form.get("method") == "code":
                    auth.api.send_verification_otp(body={"email": email, "type": "sign-in"},
                                                   headers=headers())
                    return render_template("sign_in_code.html", email=email,
                                           callback=callback())
                auth.api.sign_in_magic_link(body={"email": email, "callbackURL": callback()},
                                            headers=headers())
                return render_template("sign_in_email.html", sent_to=email,
                                       callback=callback())
            except APIError as exc:
                error = friendly(exc)
        return render_template("sign_in_email.html", error=error, form=form,
                               callback=callback()), 400

    @app.post("/sign-in/code")
    def sign_in_with_code() -> Any:
        form = request.form
        email = form.get("email", "")
        error = csrf_error()
        if error is None:
            try:
                out = auth.api.sign_in_email_otp(
                    body={"email": email, "otp": form.get("otp", "").strip()},
                    headers=headers(), return_headers=True)
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(redirect(callback(), 303), out.headers)
        return render_template("sign_in_code.html", error=error, email=email,
                               callback=callback()), 400

    @app.post("/sign-out")
    def sign_out() -> Any:
        if csrf_error() is not None:
            return redirect("/", 303)
        out = auth.api.sign_out(headers=headers(), return_headers=True)
        return forward(redirect("/", 303), out.headers)

    @app.get("/dashboard")
    def dashboard() -> str:
        return render_template("dashboard.html", session=current_session)

    @app.route("/profile", methods=["GET", "POST"])
    def profile() -> Any:
        message = error = None
        status = 200
        response_headers = Headers()
        if request.method == "POST":
            error = csrf_error()
            action = request.form.get("action")
            if error is None:
                try:
                    if action == "name":
                        auth.api.update_user(body={"name": request.form.get("name", "")},
                                             headers=headers())
                        message = "Your name was saved."
                    else:
                        out = auth.api.change_password(
                            body={"currentPassword": request.form.get("current", ""),
                                  "newPassword": request.form.get("new", ""),
                                  "revokeOtherSessions": True},
                            headers=headers(), return_headers=True)
                        response_headers = out.headers
                        message = "Your password was changed; other devices were signed out."
                except APIError as exc:
                    error = friendly(exc)
            status = 400 if error else 200
        user = auth.api.get_session(headers=headers())
        page = render_template("profile.html", user=user.user if user else current_user,
                               message=message, error=error)
        return forward(Response(page, status), response_headers)

    @app.get("/admin/users")
    def admin_users() -> Any:
        query = request.args.get("q", "").strip()
        users: list[Any] = []
        total, error = 0, None
        params: dict[str, Any] = {"limit": 100, "sortBy": "createdAt",
                                  "sortDirection": "desc"}
        if query:
            params.update(searchValue=query, searchField="email", searchOperator="contains")
        try:
            page = auth.api.list_users(query=params, headers=headers())
            users, total = list(page.users), page.total
        except APIError as exc:
            error = friendly(exc)
        message = {"role": "The role was saved.", "banned": "The user was banned and signed "
                   "out everywhere.", "unbanned": "The ban was lifted.",
                   "stopped": "You are yourself again."}.get(request.args.get("done", ""))
        return render_template("admin_users.html", users=users, total=total, query=query,
                               error=error, message=message)

    @app.post("/admin/users/<action>")
    def admin_action(action: str) -> Any:
        calls = {"role": "set_role", "ban": "ban_user", "unban": "unban_user",
                 "impersonate": "impersonate_user"}
        if action not in calls or csrf_error() is not None:
            return redirect("/admin/users", 303)
        body: dict[str, Any] = {"userId": request.form.get("userId", "")}
        if action == "role":
            body["role"] = request.form.get("role", "user")
        try:
            out = getattr(auth.api, calls[action])(body=body, headers=headers(),
                                                   return_headers=True,
                                                   client=request.remote_addr)
        except APIError as exc:
            return render_template("admin_users.html", users=[], total=0, query="",
                                   error=friendly(exc)), 400
        if action == "impersonate":
            # The response sets the impersonated session's cookie: the admin now acts as them.
            return forward(redirect("/dashboard", 303), out.headers)
        done = {"role": "role", "ban": "banned", "unban": "unbanned"}[action]
        return forward(redirect(f"/admin/users?done={done}", 303), out.headers)

    @app.post("/stop-impersonating")  # not under /admin/*: the impersonated user is no admin
    def stop_impersonating() -> Any:
        if csrf_error() is not None:
            return redirect("/", 303)
        out = auth.api.stop_impersonating(headers=headers(), return_headers=True)
        return forward(redirect("/admin/users?done=stopped", 303), out.headers)

    @app.route("/two-factor", methods=["GET", "POST"])
    def two_factor_page() -> Any:
        if request.method == "GET":
            return render_template("two_factor.html", callback=callback())
        form = request.form
        error = csrf_error()
        if error is None:
            name = "verify_backup_code" if form.get("factor") == "backup" else "verify_totp"
            try:
                out = getattr(auth.api, name)(
                    body={"code": form.get("code", "").strip(),
                          "trustDevice": form.get("trust") == "on"},
                    headers=headers(), return_headers=True)
            except APIError as exc:
                error = friendly(exc)
            else:
                return forward(redirect(callback(), 303), out.headers)
        return render_template("two_factor.html", error=error, callback=callback()), 400

    @app.route("/security", methods=["GET", "POST"])
    def security() -> Any:
        message = error = setup = None
        backup_codes: list[str] = []
        api_headers = Headers()
        if request.method == "POST":
            form = request.form
            error = csrf_error()
            action = form.get("action")
            password = {"password": form.get("password", "")}
            try:
                if error is not None:
                    pass
                elif action == "enable":
                    out = auth.api.enable_two_factor(body=password, headers=headers())
                    uri = out["totpURI"]
                    setup = {"secret": parse_qs(urlsplit(uri).query)["secret"][0],
                             "qr": segno.make(uri).svg_data_uri(scale=4) if segno else None,
                             "backup_codes": out["backupCodes"]}
                elif action == "confirm":
                    api_headers = auth.api.verify_totp(
                        body={"code": form.get("code", "").strip()}, headers=headers(),
                        return_headers=True).headers
                    message = "Two-factor authentication is on."
                elif action == "disable":
                    api_headers = auth.api.disable_two_factor(
                        body=password, headers=headers(), return_headers=True).headers
                    message = "Two-factor authentication is off."
                elif action == "backup-codes":
                    backup_codes = auth.api.generate_backup_codes(
                        body=password, headers=headers())["backupCodes"]
                    message = "New backup codes; the old ones no longer work."
                elif action == "delete-passkey":
                    auth.api.delete_passkey(body={"id": form.get("id", "")}, headers=headers())
                    message = "The passkey was deleted."
            except APIError as exc:
                error = friendly(exc)
        # The session cookie may have just been replaced: read with the new one.
        cookie = "; ".join(line.split(";", 1)[0] for line in api_headers.get_all("set-cookie"))
        now = Headers(request.headers)
        if cookie:
            now.set("cookie", cookie)
        fresh = auth.api.get_session(headers=now)
        keys = auth.api.list_passkeys(headers=now) if fresh else []
        page = render_template("security.html", user=fresh.user if fresh else current_user,
                               setup=setup, backup_codes=backup_codes, passkeys=keys,
                               message=message, error=error)
        return forward(Response(page, 400 if error else 200), api_headers)
    # -- organizations: every action is one auth.api call with the visitor's headers --------
    def org_page(error: str | None = None, message: str | None = None,
                 status: int = 200) -> Any:
        orgs = auth.api.list_organizations(headers=headers())
        active = auth.api.get_full_organization(headers=headers())
        mine = None
        if active is not None:
            mine = next((m for m in active["members"] if m["userId"] == current_user.id), None)
        return render_template("organizations.html", orgs=orgs, active=active, mine=mine,
                               error=error, message=message), status

    def org_action(run: Any, done: str) -> Any:
        error = csrf_error()
        api_headers = Headers()
        if error is None:
            try:
                out = run()
                api_headers = getattr(out, "headers", api_headers)
            except APIError as exc:
                error = friendly(exc)
        if error:
            return org_page(error=error, status=400)
        return forward(redirect(f"/org?done={done}", 303), api_headers)

    @app.get("/org")
    def organizations() -> Any:
        done = {"created": "Organization created.", "invited": "Invitation sent.",
                "switched": "Active organization changed.", "role": "Role changed."}
        return org_page(message=done.get(request.args.get("done", "")))

    @app.post("/org/create")
    def create_organization() -> Any:
        form = request.form
        return org_action(lambda: auth.api.create_organization(
            body={"name": form.get("name", ""), "slug": form.get("slug", "")},
            headers=headers()), "created")

    @app.post("/org/switch")
    def switch_organization() -> Any:
        return org_action(lambda: auth.api.set_active_organization(
            body={"organizationId": request.form.get("organizationId", "")},
            headers=headers(), return_headers=True), "switched")

    @app.post("/org/invite")
    def invite() -> Any:
        form = request.form
        return org_action(lambda: auth.api.create_invitation(
            body={"email": form.get("email", ""), "role": form.get("role", "member")},
            headers=headers()), "invited")

    @app.post("/org/role")
    def change_role() -> Any:
        form = request.form
        return org_action(lambda: auth.api.update_member_role(
            body={"memberId": form.get("memberId", ""), "role": form.get("role", "")},
            headers=headers()), "role")

    @app.route("/accept-invitation/<invitation_id>", methods=["GET", "POST"])
    def accept_invitation(invitation_id: str) -> Any:
        error = None
        if request.method == "POST":
            error = csrf_error()
            if error is None:
                try:
                    out = auth.api.accept_invitation(body={"invitationId": invitation_id},
                                                     headers=headers(), return_headers=True)
                except APIError as exc:
                    error = friendly(exc)
                else:
                    return forward(redirect("/org", 303), out.headers)
        invitation = None
        try:
            invitation = auth.api.get_invitation(query={"id": invitation_id},
                                                 headers=headers())
        except APIError as exc:
            error = error or friendly(exc)
        return render_template("invitation.html", invitation=invitation,
                               error=error), 400 if error else 200

    @app.get("/api/me")
    def api_me() -> Any:
        session = current_session
        assert session is not None  # the middleware answered 401 otherwise
        # Never hand the session token to page scripts: it is the HttpOnly cookie's secret.
        return {"user": session.user.to_json(),
                "session": {"id": session.session.id,
                            "expiresAt": session.session.to_json()["expiresAt"]}}

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
    parser = argparse.ArgumentParser(description="authkit Flask example")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "make-admin"])
    parser.add_argument("email", nargs="?")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.command == "make-admin":
        if not args.email or not make_admin(make_auth(), args.email):
            sys.exit(f"no user with email {args.email!r}: sign up first")
        print(f"{args.email} is now an admin")
        return
    # Emailed links are built from the configured origin, never from a request's Host header
    # (which a client controls): default it to where this server listens.
    os.environ.setdefault("AUTHKIT_BASE_URL", f"http://{args.host}:{args.port}")
    create_app().run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
