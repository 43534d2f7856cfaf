"""Which second factor a session passed, for rules such as "admin pages need 2FA".

The two-factor and passkey plugins record it in the session column ``secondFactor``:
``"totp"``, ``"otp"``, ``"backup-code"`` or ``"trusted-device"`` for a sign-in finished by
the two-factor plugin (or a signed-in step-up with a code), ``"passkey"`` for a passkey
sign-in. A session started any other way (password without 2FA, magic link, social, a Node
server sharing the database) has none. The value travels in the cookie cache too (signed),
so a rule sees it without a database read.

::

    from authkit import WSGIAuthMiddleware
    from authkit.second_factor import requires_second_factor

    app = WSGIAuthMiddleware(app, auth, protect=["/account/*"],
                             roles={"/admin/*": requires_second_factor()})   # 403 without
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import ConfigError
from .models import Session, SessionWithUser
from .storage.fields import FieldSpec

if TYPE_CHECKING:
    from .endpoints.context import Context
    from .models import User

FIELD = "secondFactor"
FACTORS = ("totp", "otp", "backup-code", "trusted-device", "passkey")
# input=False: no client can write it through update-user or sign-up shaped bodies.
SECOND_FACTOR_FIELD = FieldSpec(FIELD, "string", input=False)


def second_factor_of(session: Session | SessionWithUser) -> str | None:
    """The factor ``session`` passed, or ``None``."""
    record: Session = session.session if isinstance(session, SessionWithUser) else session
    value = record.extra.get(FIELD)
    return value if isinstance(value, str) and value in FACTORS else None


def requires_second_factor(*factors: str) -> Callable[[SessionWithUser], bool]:
    """A middleware requirement (``roles={pattern: requires_second_factor()}``): met by a
    session that passed one of ``factors`` (any factor when none are named)."""
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise ConfigError(f"requires_second_factor: unknown factor(s) {unknown}; use "
                          f"{', '.join(FACTORS)}")
    wanted = frozenset(factors or FACTORS)

    def check(session: SessionWithUser) -> bool:
        return second_factor_of(session) in wanted

    check.__name__ = f"requires_second_factor({', '.join(sorted(wanted))})"
    return check


def mark(ctx: Context, session: Session, user: User, factor: str) -> Session:
    """Record ``factor`` on an existing session and refresh its cookie-cache copy."""
    updated = ctx.auth.db.update_session(ctx, session.token, {FIELD: factor})
    if updated is None:
        return session
    dont_remember = ctx.get_signed_cookie(ctx.auth.cookies.dont_remember) is not None
    ctx.auth.sessions.cookie_cache.write(ctx, updated, user, dont_remember=dont_remember)
    return updated
