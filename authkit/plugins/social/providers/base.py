"""What every provider has: credentials, endpoints, scopes and the per-provider options.

A preset subclasses ``OAuthProvider`` and fills in its endpoints, default scopes and
``fetch_profile``; every endpoint stays overridable (GitHub Enterprise, a Microsoft tenant).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ....errors import ConfigError
from ..http_client import OAuthHTTP
from ..id_token import IdTokenError, JWKSCache, verify_id_token
from ..oauth2 import (
    AuthorizationRequest,
    ClientCredentials,
    OAuth2Tokens,
    exchange_code,
    refresh_tokens,
)


@dataclass
class UserInfo:
    """The user a provider describes, in Better Auth's shape; ``extra`` holds mapped
    additional user fields (from ``map_profile_to_user``)."""

    id: str
    email: str | None
    email_verified: bool
    name: str
    image: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The key order of the provider's mapping in Better Auth (each preset writes its own); the
    # provider subject is not part of it.
    json_keys: tuple[str, ...] = ("name", "email", "image", "emailVerified")

    def to_json(self) -> dict[str, Any]:
        """The ``user`` member of ``/account-info``: the mapped fields, a missing image left
        out as Better Auth's ``undefined`` is."""
        values = {"name": self.name, "email": self.email, "image": self.image,
                  "emailVerified": self.email_verified}
        found = {k: values[k] for k in self.json_keys if k != "image" or self.image is not None}
        return {**found, **self.extra}


@dataclass
class Profile:
    """``{user, data}``: the mapped user and the provider's raw profile."""

    user: UserInfo
    data: dict[str, Any]


def verified(value: Any) -> bool:
    """``email_verified`` as Better Auth reads it: ``true`` or ``"true"`` only."""
    return value is True or value == "true"


_COMMON_OPTIONS = frozenset({
    "client_id", "client_secret", "scope", "disable_default_scope", "redirect_uri",
    "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "prompt",
    "map_profile_to_user", "get_user_info", "refresh_access_token",
    "disable_implicit_sign_up", "disable_sign_up", "disable_id_token_sign_in",
    "verify_id_token", "override_user_info_on_sign_in", "require_email_verification",
    "enabled", "login_hint",
})


class OAuthProvider:
    """A configured provider. Subclasses set the class attributes and ``fetch_profile``.

    Common options (keyword-only): ``client_id``, ``client_secret``, ``scope`` (extra
    scopes), ``disable_default_scope``, ``redirect_uri``, ``authorization_endpoint``,
    ``token_endpoint``, ``userinfo_endpoint``, ``prompt``, ``map_profile_to_user(profile) ->
    dict``, ``get_user_info(tokens) -> Profile | None``, ``refresh_access_token(refresh_token)
    -> OAuth2Tokens``, ``disable_implicit_sign_up``, ``disable_sign_up``,
    ``disable_id_token_sign_in``, ``verify_id_token(token, nonce) -> bool``,
    ``override_user_info_on_sign_in``, ``require_email_verification``.
    """

    id: str = ""
    name: str = ""
    default_scopes: tuple[str, ...] = ()
    default_authorization_endpoint: str = ""
    default_token_endpoint: str = ""
    default_userinfo_endpoint: str | None = None
    # Hosts the preset calls, rewritten to a local test provider by ``fake_idp``.
    hosts: tuple[str, ...] = ()
    pkce: bool = True
    requires_id_token_nonce: bool = False
    # Set when the provider states its issuer (the callback's ``iss`` check applies).
    issuer: str | None = None
    extra_options: frozenset[str] = frozenset()

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - _COMMON_OPTIONS - self.extra_options
        if unknown:
            raise ConfigError(f"provider {self.id!r}: unknown option(s) {sorted(unknown)}")
        client_id = options.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigError(f"provider {self.id!r} needs client_id")
        self.options: dict[str, Any] = dict(options)
        self.client_id: str = client_id
        self.client_secret: str | None = options.get("client_secret")
        self.extra_scopes: list[str] = list(options.get("scope") or ())
        self.disable_default_scope = bool(options.get("disable_default_scope"))
        self.redirect_uri: str | None = options.get("redirect_uri")
        self.authorization_endpoint: str = (options.get("authorization_endpoint")
                                            or self.default_authorization_endpoint)
        self.token_endpoint: str = options.get("token_endpoint") or self.default_token_endpoint
        self.userinfo_endpoint: str | None = (options.get("userinfo_endpoint")
                                              or self.default_userinfo_endpoint)
        self.prompt: str | None = options.get("prompt")
        self.map_profile_to_user: Callable[[dict[str, Any]], Mapping[str, Any]] | None = \
            options.get("map_profile_to_user")
        self.custom_get_user_info: Callable[[OAuth2Tokens], Profile | None] | None = \
            options.get("get_user_info")
        self.custom_refresh: Callable[[str], OAuth2Tokens] | None = \
            options.get("refresh_access_token")
        self.custom_verify_id_token: Callable[[str, str | None], bool] | None = \
            options.get("verify_id_token")
        self.disable_implicit_sign_up = bool(options.get("disable_implicit_sign_up"))
        self.disable_sign_up = bool(options.get("disable_sign_up"))
        self.disable_id_token_sign_in = bool(options.get("disable_id_token_sign_in"))
        self.override_user_info_on_sign_in = bool(options.get("override_user_info_on_sign_in"))
        self.require_email_verification = bool(options.get("require_email_verification"))
        self.http: OAuthHTTP | None = None
        self._jwks: JWKSCache | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, client_id={self.client_id!r})"

    # -- wiring --------------------------------------------------------------------------
    def prepare(self) -> bool:
        """Ready the provider for a request (discovery, for generic providers); ``False``
        while it cannot be used."""
        return True

    def bind(self, http: OAuthHTTP) -> None:
        """Give the provider the HTTP client it calls out with."""
        self.http = http
        self._jwks = None

    @property
    def client(self) -> OAuthHTTP:
        """The bound HTTP client."""
        if self.http is None:
            raise ConfigError(f"provider {self.id!r} is not bound to an HTTP client")
        return self.http

    @property
    def credentials(self) -> ClientCredentials:
        """Client id and secret for token requests (secret in the body)."""
        return ClientCredentials(self.client_id, self.client_secret)

    def scopes(self, requested: Sequence[str] = ()) -> list[str]:
        """Default scopes (unless disabled), then the configured extra ones, then the
        request's."""
        base = [] if self.disable_default_scope else list(self.default_scopes)
        return [*base, *self.extra_scopes, *requested]

    # -- the three OAuth steps -----------------------------------------------------------
    def authorization_request(self, *, state: str, code_verifier: str, redirect_uri: str,
                              scopes: Sequence[str] = (), login_hint: str | None = None,
                              nonce: str | None = None,
                              additional: Mapping[str, str] | None = None
                              ) -> AuthorizationRequest:
        """The authorization request of this provider (subclasses add their parameters)."""
        return AuthorizationRequest(
            endpoint=self.authorization_endpoint, client_id=self.client_id, state=state,
            scopes=self.scopes(scopes), redirect_uri=self.redirect_uri or redirect_uri,
            code_verifier=code_verifier if self.pkce else None, login_hint=login_hint,
            nonce=nonce, prompt=self.prompt, additional=dict(additional or {}))

    def exchange(self, *, code: str, code_verifier: str | None, redirect_uri: str,
                 now: datetime) -> OAuth2Tokens:
        """Trade the code for tokens (``TokenError`` on failure)."""
        return exchange_code(self.client, self.token_endpoint, self.credentials, code=code,
                             redirect_uri=self.redirect_uri or redirect_uri,
                             code_verifier=code_verifier if self.pkce else None, now=now)

    @property
    def supports_refresh(self) -> bool:
        """Whether ``refresh`` can work at all."""
        return self.custom_refresh is not None or bool(self.token_endpoint)

    def refresh(self, refresh_token: str, now: datetime) -> OAuth2Tokens:
        """New tokens from a refresh token (``TokenError`` on failure)."""
        if self.custom_refresh is not None:
            return self.custom_refresh(refresh_token)
        return refresh_tokens(self.client, self.token_endpoint, self.credentials,
                              refresh_token=refresh_token, now=now)

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        """The preset's own user-info step; ``None`` when it yields no user."""
        raise NotImplementedError

    def user_info(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                  user_param: Mapping[str, Any] | None = None) -> Profile | None:
        """The user behind ``tokens``: the custom ``get_user_info`` or the preset's, then
        ``map_profile_to_user`` merged over the preset's mapping."""
        if self.custom_get_user_info is not None:
            profile = self.custom_get_user_info(tokens)
        else:
            profile = self.fetch_profile(tokens, nonce=nonce, user_param=user_param)
        if profile is None:
            return None
        if self.map_profile_to_user is not None:
            mapped = dict(self.map_profile_to_user(profile.data) or {})
            user = profile.user
            for key, value in mapped.items():
                if key == "emailVerified":
                    user.email_verified = verified(value)
                elif key in ("id", "email", "name", "image"):
                    setattr(user, key, value if key != "id" else str(value))
                else:
                    user.extra[key] = value
        return profile

    # -- ID tokens -----------------------------------------------------------------------
    jwks_uri: str | None = None
    id_token_issuers: tuple[str, ...] = ()
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    id_token_max_age: int | None = None

    @property
    def supports_id_token(self) -> bool:
        """Whether ``/sign-in/social`` accepts an ID token for this provider."""
        if self.disable_id_token_sign_in:
            return False
        return self.custom_verify_id_token is not None or self.jwks_uri is not None

    def audiences(self) -> list[str]:
        """Acceptable ``aud`` values."""
        return [self.client_id]

    def jwks(self) -> JWKSCache:
        """The provider's cached key set."""
        if self._jwks is None:
            assert self.jwks_uri is not None
            self._jwks = JWKSCache(self.client, self.jwks_uri)
        return self._jwks

    def check_id_token(self, token: str, nonce: str | None) -> dict[str, Any] | None:
        """The verified claims of ``token``, or ``None`` when it does not verify."""
        if self.custom_verify_id_token is not None:
            from ..id_token import unverified_claims

            return unverified_claims(token) if self.custom_verify_id_token(token, nonce) \
                else None
        if self.jwks_uri is None:
            return None
        try:
            return verify_id_token(token, jwks=self.jwks(), issuers=self.id_token_issuers,
                                   audience=self.audiences(),
                                   algorithms=self.id_token_algorithms, nonce=nonce,
                                   max_age=self.id_token_max_age)
        except IdTokenError:
            return None

    def profile_from_claims(self, claims: dict[str, Any]) -> Profile | None:
        """The user of a verified ID token (``/sign-in/social`` with ``idToken``)."""
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            return None
        email = claims.get("email")
        name = claims.get("name")
        picture = claims.get("picture")
        return Profile(UserInfo(
            id=sub, email=email if isinstance(email, str) else None,
            email_verified=verified(claims.get("email_verified")),
            name=name if isinstance(name, str) else "",
            image=picture if isinstance(picture, str) else None), dict(claims))

    def id_token_user(self, claims: dict[str, Any]) -> Profile | None:
        """``profile_from_claims`` followed by ``map_profile_to_user``."""
        profile = self.profile_from_claims(claims)
        if profile is not None and self.map_profile_to_user is not None:
            mapped = dict(self.map_profile_to_user(profile.data) or {})
            for key, value in mapped.items():
                if key == "emailVerified":
                    profile.user.email_verified = verified(value)
                elif key in ("email", "name", "image"):
                    setattr(profile.user, key, value)
                elif key != "id":
                    profile.user.extra[key] = value
        return profile

    # -- sign-out ------------------------------------------------------------------------
    def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str | None,
                        state: str | None) -> str | None:
        """RP-initiated logout URL, for providers that have one."""
        return None
