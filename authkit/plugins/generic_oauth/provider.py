"""One genericOAuth provider: any OpenID provider from its discovery document, or a plain
OAuth 2.0 provider from explicit URLs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ...errors import ConfigError
from ..social.http_client import OAuthHTTPError
from ..social.id_token import IdTokenError, unverified_claims, verify_id_token
from ..social.oauth2 import AuthorizationRequest, ClientCredentials, OAuth2Tokens, build_url
from ..social.providers.base import OAuthProvider, Profile, UserInfo, verified

log = logging.getLogger("authkit.oauth")

_OPTIONS = frozenset({
    "provider_id", "name", "discovery_url", "authorization_url", "token_url", "user_info_url",
    "issuer", "jwks_uri", "scopes", "response_mode", "access_type", "pkce", "authentication",
    "discovery_headers", "authorization_url_params", "token_url_params",
    "refresh_token_params", "get_token", "override_user_info", "access_token_expires_in",
    "account_subject", "disable_provider_logout", "post_logout_redirect_uri",
    "require_id_token_verification", "disable_id_token_nonce_binding",
})


class GenericOAuthProvider(OAuthProvider):
    """A provider configured by ``generic_oauth(config=[...])``.

    Options besides the common ones: ``provider_id``, ``name``, ``discovery_url`` or
    ``authorization_url``/``token_url``/``user_info_url`` (explicit ones win over discovery),
    ``scopes``, ``pkce`` (default on), ``authentication`` (``"post"`` or ``"basic"``),
    ``response_mode``, ``access_type``, ``discovery_headers``, ``authorization_url_params``,
    ``token_url_params``, ``refresh_token_params``, ``get_token(code, redirect_uri,
    code_verifier) -> OAuth2Tokens``, ``override_user_info``, ``access_token_expires_in``,
    ``account_subject(profile) -> str``, ``disable_provider_logout``,
    ``post_logout_redirect_uri``, ``require_id_token_verification``,
    ``disable_id_token_nonce_binding``.
    """

    extra_options = _OPTIONS

    def __init__(self, **options: Any) -> None:
        provider_id = options.get("provider_id")
        if not isinstance(provider_id, str) or not provider_id:
            raise ConfigError("generic_oauth: every provider needs a provider_id")
        self.id = provider_id
        self.name = str(options.get("name") or provider_id)
        if "scopes" in options:
            options = {**options, "scope": list(options["scopes"] or ())}
            options.pop("scopes")
        if options.get("override_user_info"):
            options["override_user_info_on_sign_in"] = True
        super().__init__(**{k: v for k, v in options.items() if k != "override_user_info"})
        self.pkce = options.get("pkce", True) is not False
        self.discovery_url: str | None = options.get("discovery_url")
        self.authorization_endpoint = options.get("authorization_url") or ""
        self.token_endpoint = options.get("token_url") or ""
        self.userinfo_endpoint = options.get("user_info_url")
        self.jwks_uri = options.get("jwks_uri")
        self.issuer = options.get("issuer")
        self.end_session_endpoint: str | None = None
        self.id_token_algorithms: tuple[str, ...] = ("RS256",)
        self.is_oidc = False
        self._discovered = self.discovery_url is None
        self._lock = threading.Lock()
        if self.discovery_url is None and (not self.authorization_endpoint
                                           or not self.token_endpoint):
            raise ConfigError(f"generic_oauth {provider_id!r}: give discovery_url, or "
                              "authorization_url and token_url")
        self._apply_id_token_config()

    def _apply_id_token_config(self) -> None:
        has_config = bool(self.issuer and self.jwks_uri)
        self.requires_id_token_nonce = has_config and not self.options.get(
            "disable_id_token_nonce_binding")
        self.id_token_issuers = (self.issuer,) if self.issuer else ()

    # -- discovery -------------------------------------------------------------------------
    def prepare(self) -> bool:
        """Fetch the discovery document once; ``False`` while it cannot be had."""
        if self._discovered:
            return True
        with self._lock:
            if self._discovered:
                return True
            assert self.discovery_url is not None
            headers = self.options.get("discovery_headers")
            try:
                doc = self.client.get_json(self.discovery_url, headers=headers,
                                           follow_redirects=not headers)
            except OAuthHTTPError as exc:
                log.warning("discovery for %s failed (will retry): %s", self.id, exc)
                return False
            if not isinstance(doc, dict):
                log.warning("discovery for %s: not a JSON object", self.id)
                return False
            self._apply_discovery(doc)
            self._discovered = True
            return True

    def _apply_discovery(self, doc: Mapping[str, Any]) -> None:
        def text(key: str) -> str | None:
            value = doc.get(key)
            return value if isinstance(value, str) and value else None

        explicit = self.options
        self.authorization_endpoint = (explicit.get("authorization_url")
                                       or text("authorization_endpoint") or "")
        self.token_endpoint = explicit.get("token_url") or text("token_endpoint") or ""
        self.userinfo_endpoint = explicit.get("user_info_url") or text("userinfo_endpoint")
        self.end_session_endpoint = text("end_session_endpoint")
        algs = doc.get("id_token_signing_alg_values_supported")
        self.is_oidc = isinstance(algs, list)
        if isinstance(algs, list):
            self.id_token_algorithms = tuple(a for a in algs if isinstance(a, str))
        self.issuer = explicit.get("issuer") or text("issuer")
        self.jwks_uri = explicit.get("jwks_uri") or text("jwks_uri")
        self._jwks = None
        self._apply_id_token_config()

    # -- the flow ----------------------------------------------------------------------------
    @property
    def credentials(self) -> ClientCredentials:
        return ClientCredentials(self.client_id, self.client_secret,
                                 str(self.options.get("authentication") or "post"))

    def scopes(self, requested: Sequence[str] = ()) -> list[str]:
        scopes = [*requested, *self.extra_scopes]
        if self.is_oidc and "openid" not in scopes:
            scopes.insert(0, "openid")
        return scopes

    def authorization_request(self, **kwargs: Any) -> AuthorizationRequest:
        request = super().authorization_request(**kwargs)
        request.response_mode = self.options.get("response_mode")
        request.access_type = self.options.get("access_type")
        params = self.options.get("authorization_url_params") or {}
        request.extra = [(str(k), str(v)) for k, v in dict(params).items()]
        return request

    def exchange(self, *, code: str, code_verifier: str | None, redirect_uri: str,
                 now: datetime) -> OAuth2Tokens:
        get_token: Callable[..., OAuth2Tokens] | None = self.options.get("get_token")
        if get_token is not None:
            tokens = get_token(code=code, redirect_uri=self.redirect_uri or redirect_uri,
                               code_verifier=code_verifier if self.pkce else None)
        else:
            from ..social.oauth2 import exchange_code

            tokens = exchange_code(
                self.client, self.token_endpoint, self.credentials, code=code,
                redirect_uri=self.redirect_uri or redirect_uri,
                code_verifier=code_verifier if self.pkce else None, now=now,
                extra=self.options.get("token_url_params"))
        return self._with_expiry(tokens, now)

    def refresh(self, refresh_token: str, now: datetime) -> OAuth2Tokens:
        if self.custom_refresh is not None:
            return self.custom_refresh(refresh_token)
        from ..social.oauth2 import refresh_tokens

        tokens = refresh_tokens(self.client, self.token_endpoint, self.credentials,
                                refresh_token=refresh_token, now=now,
                                extra=self.options.get("refresh_token_params"))
        return self._with_expiry(tokens, now)

    def _with_expiry(self, tokens: OAuth2Tokens, now: datetime) -> OAuth2Tokens:
        fallback = self.options.get("access_token_expires_in")
        if tokens.access_token_expires_at is None and fallback:
            tokens.access_token_expires_at = now + timedelta(seconds=int(fallback))
        return tokens

    # -- who the user is ---------------------------------------------------------------------
    @property
    def has_id_token_config(self) -> bool:
        return bool(self.issuer and self.jwks_uri)

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        claims: dict[str, Any] | None = None
        if tokens.id_token:
            if self.has_id_token_config:
                try:
                    claims = verify_id_token(tokens.id_token, jwks=self.jwks(),
                                             issuers=self.id_token_issuers,
                                             audience=self.audiences(),
                                             algorithms=self.id_token_algorithms, nonce=nonce)
                except IdTokenError as exc:
                    log.info("%s: id_token refused: %s", self.id, exc)
                    return None
            elif self.options.get("require_id_token_verification"):
                return None
            else:
                claims = unverified_claims(tokens.id_token)
        elif self.options.get("require_id_token_verification") and self.has_id_token_config:
            return None
        if claims and claims.get("sub") and claims.get("email"):
            return self._profile(dict(claims), claims)
        if not self.userinfo_endpoint or not tokens.access_token:
            return None
        try:
            data = self.client.get_json(self.userinfo_endpoint,
                                        headers={"authorization": f"Bearer {tokens.access_token}"})
        except OAuthHTTPError:
            return None
        if not isinstance(data, dict):
            return None
        if claims and data.get("sub") is not None and data.get("sub") != claims.get("sub"):
            return None
        return self._profile(data, claims)

    def _profile(self, data: dict[str, Any], claims: Mapping[str, Any] | None) -> Profile | None:
        subject: Callable[[dict[str, Any]], Any] | None = self.options.get("account_subject")
        if subject is not None:
            account_id = subject(data)
        elif self.is_oidc or claims is not None:
            account_id = (claims or {}).get("sub") or data.get("sub")
        else:
            account_id = data.get("id")
        if account_id is None or account_id == "":
            return None
        email = data.get("email")
        name = data.get("name")
        picture = data.get("picture")
        user = UserInfo(id=str(account_id), email=email if isinstance(email, str) else None,
                        email_verified=verified(data.get("email_verified")),
                        name=name if isinstance(name, str) else "",
                        image=picture if isinstance(picture, str) else None,
                        json_keys=("email", "emailVerified", "image", "name"))
        raw = {**data, "emailVerified": user.email_verified, "image": user.image}
        return Profile(user, raw)

    def profile_from_claims(self, claims: dict[str, Any]) -> Profile | None:
        return self._profile(dict(claims), claims)

    def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str | None,
                        state: str | None) -> str | None:
        if not self.end_session_endpoint or self.options.get("disable_provider_logout"):
            return None
        params: list[tuple[str, str]] = []
        if id_token:
            params.append(("id_token_hint", id_token))
        target = self.options.get("post_logout_redirect_uri") or post_logout_redirect_uri
        if target:
            params.append(("post_logout_redirect_uri", target))
            params.append(("client_id", self.client_id))
            if state:
                params.append(("state", state))
        return build_url(self.end_session_endpoint, params)
