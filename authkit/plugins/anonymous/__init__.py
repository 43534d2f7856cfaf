"""``anonymous()``: guest users who can later become real users (Better Auth's anonymous plugin).

::

    def move_cart(anonymous, new, ctx):        # the app moves what the guest owned
        carts.reassign(anonymous.user.id, new.user.id)

    auth = AuthKit(..., plugins=[anonymous(on_link_account=move_cart)])

``POST /sign-in/anonymous`` creates a user with a placeholder email and ``isAnonymous: true``
and signs it in. When that browser later signs up or signs in for real, ``on_link_account``
runs and the guest user is deleted (unless ``disable_delete_anonymous_user``).
``POST /delete-anonymous-user`` lets a guest leave.
"""

from __future__ import annotations

from .plugin import ANONYMOUS_ERROR_CODES, AnonymousPlugin, anonymous

__all__ = ["ANONYMOUS_ERROR_CODES", "AnonymousPlugin", "anonymous"]
