"""GET|POST /callback/:id: where the provider sends the browser back.

Every answer is a 302: to the app's callback URL on success, to the flow's error URL (or
the default error page) with ``?error=<code>`` otherwise. The error codes are Better Auth's,
so an app written against it reads them unchanged.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from ...errors import APIError, Redirect
from ...observability import log_event
from . import accounts
from .linking import OAuthUserError, link_to_user, sign_in_user
from .oauth2 import TokenError, _enc
from .state import LINK_TOKEN_PURPOSE, StateError, decrypt_for, parse_state

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import SocialPlugin

log = logging.getLogger("authkit.oauth")

# The keys the callback reads, in the order a form_post is re-sent as a query.
CALLBACK_KEYS = ("code", "error", "device_id", "error_description", "state", "user", "iss")
MAX_PARAM_LENGTH = 8192


def with_error(url: str, code: str, description: str | None = None) -> str:
    """``url`` with ``error=`` (and ``error_description=``) appended, form-encoded."""
    query = f"error={_enc(code)}"
    if description:
        query += f"&error_description={_enc(description)}"
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _params(ctx: Context) -> dict[str, str]:
    merged: dict[str, Any] = {}
    body = ctx.raw_body if isinstance(ctx.raw_body, dict) else {}
    query = ctx.query if isinstance(ctx.query, dict) else {}
    for source, where in ((body, "body"), (query, "query")):
        for key in CALLBACK_KEYS:
            if key not in source:
                continue
            value = source[key]
            if not isinstance(value, str):
                kind = "array" if isinstance(value, list) else type(value).__name__
                raise APIError(400, "VALIDATION_ERROR",
                               f"[{where}.{key}] Invalid input: expected string, received {kind}")
            if len(value) > MAX_PARAM_LENGTH:
                raise APIError(400, "VALIDATION_ERROR", f"[{where}.{key}] Too big")
            merged[key] = value
    return merged


def callback(ctx: Context, plugin: SocialPlugin) -> Any:
    """Finish a provider flow: check the state, trade the code, sign in or link."""
    params = _params(ctx)
    provider_id = ctx.params.get("id", "")
    if ctx.request is not None and ctx.request.method == "POST":
        # response_mode=form_post: re-enter as a GET, where SameSite=Lax cookies are sent.
        query = "&".join(f"{k}={_enc(params[k])}" for k in CALLBACK_KEYS if k in params)
        raise Redirect(f"{ctx.base_url}/callback/{provider_id}"
                       + (f"?{query}" if query else ""))
    default_error = plugin.options.error_url or f"{ctx.base_url}/error"
    state = params.get("state")
    if not state:
        raise Redirect(with_error(default_error, "state_not_found"))
    try:
        data = parse_state(ctx, state, strategy=plugin.options.store_state_strategy,
                           skip_cookie_check=plugin.options.skip_state_cookie_check)
    except StateError as exc:
        log_event(ctx, "oauth.state_refused", provider=provider_id, reason=exc.code)
        raise Redirect(with_error(exc.error_url or default_error, exc.code)) from None
    error_url = data.get("errorURL") or default_error

    def fail(code: str, description: str | None = None) -> Redirect:
        log_event(ctx, "oauth.callback_error", provider=provider_id, reason=code)
        return Redirect(with_error(error_url, code, description))

    if params.get("error"):
        raise fail(params["error"], params.get("error_description"))
    code = params.get("code")
    if not code:
        raise fail("no_code")
    provider = plugin.provider(provider_id)
    if provider is None:
        raise fail("oauth_provider_not_found")
    if params.get("iss") and provider.issuer and params["iss"] != provider.issuer:
        raise fail("issuer_mismatch")
    nonce = data.get("idTokenNonce")
    if provider.requires_id_token_nonce and not isinstance(nonce, str):
        raise fail("nonce_binding_missing")
    auth = ctx.auth
    try:
        tokens = provider.exchange(code=code, code_verifier=data["codeVerifier"],
                                   redirect_uri=f"{ctx.base_url}/callback/{provider.id}",
                                   now=auth.now())
    except TokenError as exc:
        log.info("token exchange with %s failed: %s", provider.id, exc)
        raise fail("invalid_code") from None
    except Exception:  # a custom get_token failed: same answer, logged
        log.exception("token exchange with %s failed", provider.id)
        raise fail("invalid_code") from None
    user_param: dict[str, Any] | None = None
    if params.get("user"):
        try:
            parsed = json.loads(params["user"])
            user_param = parsed if isinstance(parsed, dict) else None
        except ValueError:
            user_param = None
    try:
        profile = provider.user_info(tokens, nonce=nonce if isinstance(nonce, str) else None,
                                     user_param=user_param)
    except Exception:  # an odd profile or a custom hook failed: no user
        log.exception("reading the user from %s failed", provider.id)
        profile = None
    if profile is None or not profile.user.id:
        raise fail("unable_to_get_user_info")
    callback_url = data["callbackURL"]
    columns = accounts.token_columns(auth, plugin.options.encrypt_oauth_tokens, tokens,
                                     with_scope=True)
    link = data.get("link")
    if isinstance(link, dict):
        _finish_link(ctx, plugin, provider, profile.user, columns, link, fail)
        raise Redirect(callback_url)
    if not profile.user.email:
        raise fail("email_not_found")
    request_sign_up = data.get("requestSignUp") is True
    disable_sign_up = ((provider.disable_implicit_sign_up and not request_sign_up)
                       or provider.disable_sign_up)
    try:
        signed = sign_in_user(ctx, plugin, provider, profile.user, columns,
                              disable_sign_up=disable_sign_up, callback_url=callback_url)
    except OAuthUserError as exc:
        raise fail(exc.code) from None
    except APIError as exc:
        if exc.code is None:
            raise
        raise fail(exc.code, exc.message) from None
    auth.sessions.set_cookies(ctx, signed.session, signed.user)
    log_event(ctx, "sign_in.success", user_id=signed.user.id, provider=provider.id)
    target = (data.get("newUserURL") or callback_url) if signed.is_register else callback_url
    raise Redirect(target)


def _finish_link(ctx: Context, plugin: SocialPlugin, provider: Any, info: Any,
                 columns: dict[str, Any], link: dict[str, Any], fail: Any) -> None:
    auth = ctx.auth
    user_id, email = link.get("userId"), link.get("email")
    token: str | None = None
    try:
        token = decrypt_for(auth, LINK_TOKEN_PURPOSE, str(link.get("encryptedSessionToken")))
    except Exception:  # noqa: BLE001 - an undecryptable token is a dead link session
        token = None
    session = auth.db.get_session(token) if token else None
    if (session is None or session.user_id != user_id or session.expires_at <= auth.now()
            or not isinstance(email, str)):
        raise fail("unable_to_link_account")
    try:
        link_to_user(ctx, plugin, provider, info, columns, user_id=str(user_id), email=email,
                     merge_scope=True)
    except OAuthUserError as exc:
        raise fail(exc.code) from None
    log_event(ctx, "oauth.account_linked", user_id=user_id, provider=provider.id)
