"""``one_time_token()``: hand the caller's session to another client through a short-lived,
single-use token (Better Auth's one-time-token plugin).

::

    auth = AuthKit(..., plugins=[one_time_token(expires_in=3)])

``GET /one-time-token/generate`` (signed in) answers ``{"token"}``; ``POST
/one-time-token/verify {"token"}`` consumes it once and answers the *same* session with its
cookie. The token is a bearer credential for that session: it lives ``expires_in`` minutes
(3 by default) and is stored in the ``verification`` table (optionally hashed), so a Node
server on the same database honours tokens authkit issued and the other way round.
"""

from __future__ import annotations

from .plugin import OneTimeTokenPlugin, one_time_token

__all__ = ["OneTimeTokenPlugin", "one_time_token"]
