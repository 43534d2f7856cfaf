"""``last_login_method()``: remember how each user last signed in (Better Auth's
last-login-method plugin), for "last used" hints on a sign-in page.

::

    auth = AuthKit(..., plugins=[last_login_method(store_in_database=True)])

Every response that starts a session through a recognised sign-in (email, a social provider,
passkey, magic link, email code) also sets ``better-auth.last_used_login_method=<method>``, a
cookie page scripts may read (not HttpOnly, not signed: it is a hint, never a credential).
With ``store_in_database`` the user row's ``lastLoginMethod`` records it too.
"""

from __future__ import annotations

from .plugin import LastLoginMethodPlugin, default_resolve_method, last_login_method

__all__ = ["LastLoginMethodPlugin", "default_resolve_method", "last_login_method"]
