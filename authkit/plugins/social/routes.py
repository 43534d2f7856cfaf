"""POST /sign-in/social and POST /link-social: start a provider flow (redirect form) or
sign in / link with an ID token the client already holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ...errors import APIError
from ...observability import log_event
from ...storage import DuplicateError
from ...tokens import generate_id
from ...validation import Body
from . import accounts
from .errors import social_error
from .linking import OAuthUserError, sign_in_user
from .oauth2 import RESERVED_PARAMS
from .providers.base import OAuthProvider, Profile
from .state import LINK_TOKEN_PURPOSE, encrypt_for, generate_state

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import SocialPlugin


class IdTokenUserName(Body):
    """``idToken.user.name``."""

    firstName: str | None = None
    lastName: str | None = None


class IdTokenUser(Body):
    """``idToken.user``: what Apple sends on the first sign-in."""

    name: IdTokenUserName | None = None
    email: str | None = None


class IdTokenBody(Body):
    """``idToken`` of ``/sign-in/social`` and ``/link-social``."""

    token: str
    nonce: str | None = None
    accessToken: str | None = None
    refreshToken: str | None = None
    expiresAt: float | None = None
    user: IdTokenUser | None = None


class SocialBody(Body):
    """Body of ``/sign-in/social`` and ``/link-social``."""

    # Better Auth's schema is "a preset name, or any string" (a union): zod then reports a
    # missing or non-string provider as plain "Invalid input".
    provider: Literal["github", "google", "discord"] | str
    callbackURL: str | None = None
    newUserCallbackURL: str | None = None
    errorCallbackURL: str | None = None
    disableRedirect: bool | None = None
    scopes: list[str] | None = None
    loginHint: str | None = None
    additionalParams: dict[str, str] | None = None
    additionalData: dict[str, Any] | None = None
    requestSignUp: bool | None = None
    idToken: IdTokenBody | None = None


def _check_additional_params(body: SocialBody) -> None:
    params = body.additionalParams or {}
    if any(key in RESERVED_PARAMS for key in params):
        raise APIError(400, "VALIDATION_ERROR",
                       "[body.additionalParams] additionalParams cannot include reserved OAuth "
                       "parameters: " + ", ".join(RESERVED_PARAMS))


def _origin(ctx: Context) -> str:
    parts = urlsplit(ctx.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _provider(ctx: Context, plugin: SocialPlugin, name: str) -> OAuthProvider:
    provider = plugin.provider(name)
    if provider is None:
        raise social_error(404, "PROVIDER_NOT_FOUND")
    return provider


def _start(ctx: Context, plugin: SocialPlugin, provider: OAuthProvider, body: SocialBody,
           link: dict[str, str] | None) -> dict[str, Any]:
    new = generate_state(
        ctx, strategy=plugin.options.store_state_strategy,
        callback_url=body.callbackURL or _origin(ctx), error_url=body.errorCallbackURL,
        new_user_url=body.newUserCallbackURL, link=link, request_sign_up=body.requestSignUp,
        additional_data=body.additionalData, with_nonce=provider.requires_id_token_nonce)
    url = provider.authorization_request(
        state=new.state, code_verifier=new.code_verifier,
        redirect_uri=f"{ctx.base_url}/callback/{provider.id}", scopes=body.scopes or (),
        login_hint=body.loginHint, nonce=new.nonce, additional=body.additionalParams).url()
    redirect = not body.disableRedirect
    if redirect:
        # Better Auth answers 200 with a Location header, for its client to follow.
        ctx.set_header("Location", url)
    return {"url": url, "redirect": redirect}


def _id_token_profile(provider: OAuthProvider, id_token: IdTokenBody) -> Profile:
    if not provider.supports_id_token:
        raise social_error(404, "ID_TOKEN_NOT_SUPPORTED")
    claims = provider.check_id_token(id_token.token, id_token.nonce)
    if claims is None:
        raise social_error(401, "INVALID_TOKEN")
    profile = provider.id_token_user(claims)
    if profile is None:
        raise social_error(401, "FAILED_TO_GET_USER_INFO")
    name = id_token.user.name if id_token.user is not None else None
    if name is not None and not profile.user.name:
        profile.user.name = f"{name.firstName or ''} {name.lastName or ''}".strip()
    if not profile.user.email:
        raise social_error(401, "USER_EMAIL_NOT_FOUND")
    return profile


def sign_in_social(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """Start a provider flow, or sign in with ``idToken``."""
    body: SocialBody = ctx.body
    _check_additional_params(body)
    provider = _provider(ctx, plugin, body.provider)
    if body.idToken is None:
        return _start(ctx, plugin, provider, body, None)
    profile = _id_token_profile(provider, body.idToken)
    auth = ctx.auth
    encrypt = plugin.options.encrypt_oauth_tokens
    # As Better Auth: the refresh token and expiry given here are not stored.
    columns = {"idToken": body.idToken.token,
               "accessToken": accounts.seal(auth, encrypt, body.idToken.accessToken)}
    disable_sign_up = ((provider.disable_implicit_sign_up and not body.requestSignUp)
                       or provider.disable_sign_up)
    try:
        signed = sign_in_user(ctx, plugin, provider, profile.user, columns,
                              disable_sign_up=disable_sign_up, callback_url=body.callbackURL)
    except OAuthUserError as exc:
        if exc.text == "email_not_verified":
            raise social_error(403, "EMAIL_NOT_VERIFIED") from None
        raise APIError(401, "OAUTH_LINK_ERROR", exc.text) from None
    auth.sessions.set_cookies(ctx, signed.session, signed.user)
    log_event(ctx, "sign_in.success", user_id=signed.user.id, provider=provider.id)
    return {"redirect": False, "token": signed.session.token, "user": signed.user.to_json()}


def link_social(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """Link a provider account to the signed-in user."""
    current = ctx.require_session(sensitive=True)
    body: SocialBody = ctx.body
    _check_additional_params(body)
    provider = _provider(ctx, plugin, body.provider)
    auth = ctx.auth
    if body.idToken is None:
        link = {"userId": current.user.id, "email": current.user.email,
                "encryptedSessionToken": encrypt_for(auth, LINK_TOKEN_PURPOSE,
                                                     current.session.token)}
        return _start(ctx, plugin, provider, body, link)
    profile = _id_token_profile(provider, body.idToken)
    info = profile.user
    encrypt = plugin.options.encrypt_oauth_tokens
    columns = accounts.present({
        "idToken": body.idToken.token,
        "accessToken": accounts.seal(auth, encrypt, body.idToken.accessToken),
        "refreshToken": accounts.seal(auth, encrypt, body.idToken.refreshToken)})
    existing = accounts.find_by_provider(auth, provider.id, info.id)
    now = auth.now()
    if existing is not None:
        if existing.user_id != current.user.id:
            raise social_error(409, "SOCIAL_ACCOUNT_ALREADY_LINKED")
        auth.db.update_account(ctx, existing.id, {**columns, "updatedAt": now})
        return {"url": "", "status": True, "redirect": False}
    linking = plugin.options.account_linking
    trusted = provider.id in linking.trusted(ctx.request)
    if (not trusted and not info.email_verified) or not linking.enabled:
        raise social_error(401, "LINKING_NOT_ALLOWED")
    if (info.email or "").lower() != current.user.email.lower() \
            and not linking.allow_different_emails:
        raise social_error(401, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED")
    try:
        created = auth.db.create_account(ctx, accounts.new_account(
            auth, row_id=generate_id(), provider_id=provider.id, account_id=info.id,
            user_id=current.user.id, columns=columns, now=now))
    except DuplicateError:
        created = None
    if created is None:
        raise social_error(417, "LINKING_FAILED")
    return {"url": "", "status": True, "redirect": False}
