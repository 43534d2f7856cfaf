"""``multi_session()``: several accounts signed in in one browser (Better Auth's multi-session
plugin).

::

    auth = AuthKit(..., plugins=[multi_session(maximum_sessions=5)])

Each sign-in also sets a signed ``<session cookie>_multi-<token>`` cookie. The browser can then
list its accounts (``GET /multi-session/list-device-sessions``), switch the active one
(``POST /multi-session/set-active``) and sign one out (``POST /multi-session/revoke``); signing
out ends every account of the browser. The cookie is the proof: a browser can only list, switch
to or revoke sessions whose signed multi cookie it holds.
"""

from __future__ import annotations

from .plugin import MULTI_SESSION_ERROR_CODES, MultiSessionPlugin, multi_session

__all__ = ["MULTI_SESSION_ERROR_CODES", "MultiSessionPlugin", "multi_session"]
