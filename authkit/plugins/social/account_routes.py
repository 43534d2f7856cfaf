"""The signed-in user's provider accounts: POST /unlink-account, POST /get-access-token,
POST /refresh-token, GET /account-info. ``accountId`` is always the account ROW id.

Each reads the session from the store (never a cached cookie alone): they hand out or
destroy provider credentials.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...models import Account, iso
from ...validation import Body
from . import accounts
from .errors import social_error
from .oauth2 import OAuth2Tokens, TokenError
from .providers.base import OAuthProvider

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import SocialPlugin

# Refresh an access token that expires within this many seconds.
REFRESH_MARGIN = 5
MAX_ID_LENGTH = 255


class UnlinkBody(Body):
    """Body of ``/unlink-account``."""

    accountId: str


def unlink_account(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """Remove one of the caller's accounts; never the last unless allowed."""
    current = ctx.require_session(sensitive=True)
    if not ctx.auth.sessions.is_fresh(current.session):
        raise social_error(403, "SESSION_NOT_FRESH")
    body: UnlinkBody = ctx.body
    auth = ctx.auth
    owned = auth.db.get_accounts(current.user.id)
    if len(owned) == 1 and not plugin.options.account_linking.allow_unlinking_all:
        raise social_error(400, "FAILED_TO_UNLINK_LAST_ACCOUNT")
    target = next((a for a in owned if a.id == body.accountId), None)
    if target is None:
        raise social_error(400, "ACCOUNT_NOT_FOUND")
    auth.storage.delete_rows("account", {"id": target.id, "userId": current.user.id})
    return {"status": True}


def _account_args(ctx: Context, data: Any, where: str) -> tuple[str | None, str | None]:
    """``{accountId, userId?}`` or ``{useAccountCookie: true, userId?}``, strictly.

    Worded as zod's union of two strict objects: an unknown key does not stop a branch, a
    wrong or missing value does; when exactly one branch is left its unknown keys are the
    error, otherwise the union's bare ``Invalid input``."""
    if not isinstance(data, dict):
        raise APIError(400, "VALIDATION_ERROR", f"[{where}] Invalid input")
    account_id, user_id = data.get("accountId"), data.get("userId")
    cookie = data.get("useAccountCookie")
    bad_user = "userId" in data and not isinstance(user_id, str)
    branches = (
        (bad_user or not isinstance(account_id, str) or len(account_id) > MAX_ID_LENGTH,
         [k for k in data if k not in ("accountId", "userId")]),
        (bad_user or cookie is not True, [k for k in data if k not in ("useAccountCookie", "userId")]),
    )
    if any(not stopped and not unknown for stopped, unknown in branches):
        return (account_id if isinstance(account_id, str) else None,
                user_id if isinstance(user_id, str) else None)
    left = [unknown for stopped, unknown in branches if not stopped]
    if len(left) == 1:
        keys = ", ".join(f'"{k}"' for k in left[0])
        plural = "s" if len(left[0]) > 1 else ""
        raise APIError(400, "VALIDATION_ERROR", f"[{where}] Unrecognized key{plural}: {keys}")
    raise APIError(400, "VALIDATION_ERROR", f"[{where}] Invalid input")


def _owned_account(ctx: Context, data: Any, where: str) -> Account:
    account_id, user_id = _account_args(ctx, data, where)
    if ctx.request is not None or ctx.has_headers:
        current = ctx.auth.sessions.resolve(ctx, disable_cookie_cache=True)
        if current is None:
            raise APIError(401, body_kind="empty")
        ctx.session = current
        user_id = current.user.id
    if not user_id:
        raise APIError(401, body_kind="empty")
    found = accounts.find_users_account(ctx.auth, user_id, account_id) if account_id else None
    if found is None:
        raise social_error(400, "ACCOUNT_NOT_FOUND")
    return found


def _fresh_tokens(ctx: Context, plugin: SocialPlugin, provider: OAuthProvider,
                  account: Account) -> Account:
    """The account with a usable access token, refreshing one that expires within 5 s."""
    auth = ctx.auth
    encrypt = plugin.options.encrypt_oauth_tokens
    try:
        account.access_token = accounts.unseal(auth, encrypt, account.access_token)
        account.refresh_token = accounts.unseal(auth, encrypt, account.refresh_token)
    except Exception:  # noqa: BLE001 - a token that does not decrypt is unusable
        raise social_error(400, "FAILED_TO_GET_ACCESS_TOKEN") from None
    now = auth.now()
    expires = account.access_token_expires_at
    if account.refresh_token and expires is not None \
            and expires - now < timedelta(seconds=REFRESH_MARGIN):
        try:
            tokens = provider.refresh(account.refresh_token, now)
        except (TokenError, Exception):  # noqa: BLE001 - any refresh failure is the same
            raise social_error(400, "FAILED_TO_GET_ACCESS_TOKEN") from None
        _store_refreshed(ctx, plugin, account, tokens)
    return account


def _store_refreshed(ctx: Context, plugin: SocialPlugin, account: Account,
                     tokens: OAuth2Tokens) -> None:
    auth = ctx.auth
    encrypt = plugin.options.encrypt_oauth_tokens
    account.access_token = tokens.access_token or account.access_token
    account.access_token_expires_at = tokens.access_token_expires_at
    account.refresh_token = tokens.refresh_token or account.refresh_token
    account.refresh_token_expires_at = (tokens.refresh_token_expires_at
                                        or account.refresh_token_expires_at)
    account.id_token = tokens.id_token or account.id_token
    auth.db.update_account(ctx, account.id, {
        "accessToken": accounts.seal(auth, encrypt, account.access_token),
        "accessTokenExpiresAt": account.access_token_expires_at,
        "refreshToken": accounts.seal(auth, encrypt, account.refresh_token),
        "refreshTokenExpiresAt": account.refresh_token_expires_at,
        "idToken": account.id_token,
        "updatedAt": auth.now(),
    })


def _scopes(account: Account) -> list[str]:
    return [s.strip() for s in (account.scope or "").split(",") if s.strip()]


def get_access_token(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """The caller's provider access token, refreshed first when it is about to expire."""
    account = _owned_account(ctx, ctx.raw_body, "body")
    provider = plugin.provider(account.provider_id)
    if provider is None:
        raise social_error(400, "PROVIDER_NOT_SUPPORTED",
                           f"Provider {account.provider_id} is not supported.")
    account = _fresh_tokens(ctx, plugin, provider, account)
    out: dict[str, Any] = {"accessToken": account.access_token}
    if account.access_token_expires_at is not None:
        out["accessTokenExpiresAt"] = iso(account.access_token_expires_at)
    out["scopes"] = _scopes(account)
    if account.id_token is not None:
        out["idToken"] = account.id_token
    return out


def refresh_token(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """Refresh the caller's provider tokens now."""
    account = _owned_account(ctx, ctx.raw_body, "body")
    provider = plugin.provider(account.provider_id)
    if provider is None:
        raise social_error(400, "PROVIDER_NOT_SUPPORTED",
                           f"Provider {account.provider_id} is not supported.")
    if not provider.supports_refresh:
        raise social_error(400, "TOKEN_REFRESH_NOT_SUPPORTED",
                           f"Provider {account.provider_id} does not support token refreshing.")
    auth = ctx.auth
    encrypt = plugin.options.encrypt_oauth_tokens
    try:
        stored_refresh = accounts.unseal(auth, encrypt, account.refresh_token)
    except Exception:  # noqa: BLE001
        raise social_error(400, "FAILED_TO_REFRESH_ACCESS_TOKEN") from None
    if not stored_refresh:
        raise social_error(400, "REFRESH_TOKEN_NOT_FOUND")
    account.refresh_token = stored_refresh
    try:
        tokens = provider.refresh(stored_refresh, auth.now())
    except Exception:  # noqa: BLE001 - TokenError or a custom refresher's failure
        raise social_error(400, "FAILED_TO_REFRESH_ACCESS_TOKEN") from None
    _store_refreshed(ctx, plugin, account, tokens)
    return {
        "accessToken": account.access_token,
        "refreshToken": account.refresh_token,
        "accessTokenExpiresAt": iso(account.access_token_expires_at),
        "refreshTokenExpiresAt": iso(account.refresh_token_expires_at),
        "scope": account.scope,
        "idToken": account.id_token,
        "providerId": account.provider_id,
        "accountId": account.id,
    }


def account_info(ctx: Context, plugin: SocialPlugin) -> dict[str, Any]:
    """The provider's current profile of one of the caller's accounts."""
    query = ctx.query if isinstance(ctx.query, dict) else {}
    account = _owned_account(ctx, dict(query), "query")
    provider = plugin.provider(account.provider_id)
    if provider is None:
        raise social_error(400, "PROVIDER_NOT_CONFIGURED")
    account = _fresh_tokens(ctx, plugin, provider, account)
    if not account.access_token:
        raise social_error(400, "ACCESS_TOKEN_NOT_FOUND")
    tokens = OAuth2Tokens(access_token=account.access_token,
                          refresh_token=account.refresh_token, id_token=account.id_token,
                          access_token_expires_at=account.access_token_expires_at,
                          scopes=_scopes(account))
    try:
        profile = provider.user_info(tokens)
    except Exception:  # noqa: BLE001 - an odd profile or a custom hook's bug
        profile = None
    if profile is None:
        raise social_error(401, "FAILED_TO_GET_USER_INFO")
    return {"user": profile.user.to_json(), "data": profile.data,
            "account": {"id": account.id, "providerId": account.provider_id,
                        "accountId": account.account_id}}
