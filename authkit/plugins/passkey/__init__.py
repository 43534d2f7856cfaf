"""``passkey()``: WebAuthn passkeys to sign in without a password (@better-auth/passkey,
wire- and storage-compatible).

::

    from authkit.plugins.passkey import passkey

    auth = AuthKit(..., plugins=[passkey(rp_id="example.com", rp_name="Example",
                                         origin="https://example.com")])

Endpoints: ``GET /passkey/generate-register-options`` and ``POST /passkey/verify-registration``
(fresh session), ``GET /passkey/generate-authenticate-options`` and
``POST /passkey/verify-authentication`` (username-less: discoverable credentials),
``GET /passkey/list-user-passkeys``, ``POST /passkey/update-passkey``,
``POST /passkey/delete-passkey``. The ``passkey`` table is migrated by ``authkit migrate``.

The relying party: ``rp_id`` defaults to the host of ``base_url`` (browsers need a domain,
not an IP); ``origin`` (a string or a list) is the expected origin of the browser page,
default the request's ``Origin`` header, which the core's origin check has already required
to be trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ...second_factor import SECOND_FACTOR_FIELD
from ..base import Plugin
from . import authentication, management, registration
from .errors import PASSKEY_ERROR_CODES
from .options import PasskeyOptions
from .schema import PASSKEY_FIELDS, TABLE

if TYPE_CHECKING:
    from ...cookies import CookieSpec
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint
    from ...storage.fields import FieldSpec

__all__ = ["PASSKEY_ERROR_CODES", "PasskeyOptions", "PasskeyPlugin", "passkey"]

_CODES = tuple(PASSKEY_ERROR_CODES)


class PasskeyPlugin(Plugin):
    """See ``passkey()``."""

    id = "passkey"
    error_codes = PASSKEY_ERROR_CODES
    tables: Mapping[str, Sequence[FieldSpec]] = {TABLE: PASSKEY_FIELDS}
    session_fields: Sequence[FieldSpec] = (SECOND_FACTOR_FIELD,)

    def __init__(self, options: PasskeyOptions) -> None:
        self.options = options
        self._endpoints = self._build_endpoints()

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    def challenge_cookie(self, ctx: Context) -> CookieSpec:
        """The challenge cookie (``<prefix>.better-auth-passkey``)."""
        return ctx.auth.cookies[self.options.challenge_cookie]

    def rp_id(self, ctx: Context) -> str:
        """The expected RP ID."""
        return self.options.rp_id_for(ctx.auth.base_url)

    def expected_origin(self, ctx: Context) -> str | list[str] | None:
        """The configured origin(s), else the request's ``Origin`` header."""
        configured = self.options.origin
        if configured:
            return configured if isinstance(configured, str) else list(configured)
        return ctx.headers.get("origin") or None

    def _build_endpoints(self) -> list[Endpoint]:
        from ...endpoints.registry import endpoint

        def ep(name: str, path: str, method: str, fn: Callable[..., Any], summary: str,
               **kwargs: Any) -> Endpoint:
            return endpoint(name, path, method, fn, summary=summary, error_codes=_CODES,
                            plugin=self.id, **kwargs)

        return [
            ep("generate_passkey_registration_options", "/passkey/generate-register-options",
               "GET", partial(registration.generate_register_options, self),
               "WebAuthn registration options", query=registration.RegisterOptionsQuery),
            ep("generate_passkey_authentication_options",
               "/passkey/generate-authenticate-options", "GET",
               partial(authentication.generate_authenticate_options, self),
               "WebAuthn authentication options"),
            ep("verify_passkey_registration", "/passkey/verify-registration", "POST",
               partial(registration.verify_registration, self), "Register a passkey",
               body=registration.VerifyRegistrationBody),
            ep("verify_passkey_authentication", "/passkey/verify-authentication", "POST",
               partial(authentication.verify_authentication, self), "Sign in with a passkey",
               body=authentication.VerifyAuthenticationBody),
            ep("list_passkeys", "/passkey/list-user-passkeys", "GET",
               management.list_passkeys, "List the user's passkeys"),
            ep("delete_passkey", "/passkey/delete-passkey", "POST", management.delete_passkey,
               "Delete a passkey", body=management.PasskeyIdBody),
            ep("update_passkey", "/passkey/update-passkey", "POST", management.update_passkey,
               "Rename a passkey", body=management.UpdatePasskeyBody),
        ]


def passkey(
    *,
    rp_id: str | None = None,
    rp_name: str | None = None,
    origin: str | Sequence[str] | None = None,
    authenticator_selection: Mapping[str, object] | None = None,
    challenge_cookie: str = "better-auth-passkey",
) -> PasskeyPlugin:
    """The passkey plugin.

    ``rp_id``: the WebAuthn relying-party id (default: ``base_url``'s host, else
    ``localhost``); ``rp_name``: shown by authenticators (default ``AuthKit(app_name=...)``);
    ``origin``: expected page origin(s) (default: the request's ``Origin``);
    ``authenticator_selection``: ``resident_key``, ``user_verification`` (both "preferred"
    by default), ``authenticator_attachment``; ``challenge_cookie``: the cookie key.
    """
    return PasskeyPlugin(PasskeyOptions(
        rp_id=rp_id, rp_name=rp_name, origin=origin,
        authenticator_selection=dict(authenticator_selection or {}),
        challenge_cookie=challenge_cookie))
