"""``username()``: sign in with a username as well as an email (Better Auth's username plugin).

::

    auth = AuthKit(..., plugins=[username(min_length=3, max_length=30)])

Users gain ``username`` (unique, stored normalised: lower-case by default) and
``displayUsername`` (as typed). Sign-up and update-user accept both; ``POST
/sign-in/username`` signs in with one; ``POST /is-username-available`` checks one. Names are
compared after normalisation, so ``Alice`` and ``alice`` are the same name on authkit and on a
Node server sharing the database.
"""

from __future__ import annotations

from .plugin import USERNAME_ERROR_CODES, UsernamePlugin, username

__all__ = ["USERNAME_ERROR_CODES", "UsernamePlugin", "username"]
