"""Who is verifying a second factor: a signed-in user, or a sign-in waiting on its challenge.

Every verify endpoint works in two modes (Better Auth's ``verifyTwoFactor``):

* **signed in** (a session read from the store): confirming a factor; success answers with
  the current session;
* **sign-in**: no session, a signed ``two_factor`` cookie naming a live ``2fa-<id>``
  verification row whose value is the user id. Success consumes that row (single use) and
  creates the session. Each challenge allows five wrong codes: the ``2fa-attempts-<id>`` row
  is taken at the start of an attempt and put back with one more failure, so concurrent
  guesses on one challenge are serialised (the loser finds no row and is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ... import single_use_tokens
from ...models import Session, User
from ...second_factor import FIELD, mark
from .errors import tf_error

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import TwoFactorPlugin

ATTEMPTS_PER_CHALLENGE = 5


@dataclass
class Attempt:
    """One counted try on a challenge: ``record_failure`` or ``restore`` puts the counter
    back (one higher, or unchanged when the check itself failed)."""

    ctx: Context
    identifier: str
    attempts: int
    expires_at: datetime

    def record_failure(self) -> None:
        """Put the counter back one higher."""
        single_use_tokens.create(self.ctx, self.identifier, str(self.attempts + 1), 0,
                             expires_at=self.expires_at)

    def restore(self) -> None:
        """Put the counter back as it was."""
        single_use_tokens.create(self.ctx, self.identifier, str(self.attempts), 0,
                             expires_at=self.expires_at)


@dataclass
class Verifier:
    """The state of one verify call; see the module docstring."""

    plugin: TwoFactorPlugin
    user: User
    session: Session | None
    key: str
    challenge_expires_at: datetime | None = None

    @property
    def signing_in(self) -> bool:
        """True in sign-in mode (no session yet)."""
        return self.session is None

    def begin_attempt(self, ctx: Context) -> Attempt | None:
        """Take the challenge's attempt counter (sign-in mode only).

        The sixth try on one challenge is refused whatever the code, and ends the challenge.
        """
        if self.session is not None:
            return None
        identifier = f"2fa-attempts-{self.key}"
        row = single_use_tokens.consume(ctx, identifier)
        if row is None:
            raise tf_error(401, "INVALID_TWO_FACTOR_COOKIE")
        try:
            attempts = int(row.value)
        except ValueError:
            attempts = ATTEMPTS_PER_CHALLENGE
        if attempts < 0:
            attempts = ATTEMPTS_PER_CHALLENGE
        if attempts >= ATTEMPTS_PER_CHALLENGE:
            single_use_tokens.consume(ctx, self.key)
            ctx.expire_cookie(self.plugin.cookie(ctx, "two_factor"))
            raise tf_error(400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
        return Attempt(ctx, identifier, attempts, row.expires_at)

    def success(self, ctx: Context, factor: str, *,
                trust_device: bool = False) -> dict[str, Any]:
        """The answer of a passed ``factor``: ``{token, user}``.

        Signed in: the current session, now marked as having passed ``factor`` (a step-up).
        Sign-in: the challenge is consumed and a session is created with that mark
        (``rememberMe: false`` survives as the ``dont_remember`` cookie), and with
        ``trust_device`` this browser skips the second factor for ``trust_device_max_age``.
        """
        if self.session is not None:
            if ctx.auth.db.get_session(self.session.token) is not None:
                mark(ctx, self.session, self.user, factor)
            return {"token": self.session.token, "user": self.user}
        auth = ctx.auth
        spec = self.plugin.cookie(ctx, "two_factor")
        taken = single_use_tokens.consume(ctx, self.key)
        if taken is None or taken.value != self.user.id:
            ctx.expire_cookie(spec)
            raise tf_error(401, "INVALID_TWO_FACTOR_COOKIE")
        dont_remember = ctx.get_signed_cookie(auth.cookies.dont_remember) is not None
        session = auth.sessions.create(ctx, self.user, dont_remember=dont_remember, status=500,
                                       extra={FIELD: factor})
        auth.sessions.set_cookies(ctx, session, self.user, dont_remember=dont_remember)
        ctx.expire_cookie(spec)
        if trust_device:
            self.plugin.trust.issue(ctx, self.user.id)
            ctx.expire_cookie(auth.cookies.dont_remember)
        return {"token": session.token, "user": self.user}


def resolve(plugin: TwoFactorPlugin, ctx: Context) -> Verifier:
    """The caller's mode: a store-read session, else a live challenge; else 401
    ``INVALID_TWO_FACTOR_COOKIE``."""
    auth = ctx.auth
    found = auth.sessions.resolve(ctx, disable_cookie_cache=True)
    if found is not None:
        ctx.session = found
        return Verifier(plugin, found.user, found.session,
                        f"{found.user.id}!{found.session.id}")
    challenge_id = ctx.get_signed_cookie(plugin.cookie(ctx, "two_factor"))
    if not challenge_id:
        raise tf_error(401, "INVALID_TWO_FACTOR_COOKIE")
    row = single_use_tokens.find(auth, challenge_id)
    if not single_use_tokens.is_live(auth, row):
        raise tf_error(401, "INVALID_TWO_FACTOR_COOKIE")
    assert row is not None
    user = auth.db.get_user_by_id(row.value)
    if user is None:
        raise tf_error(401, "INVALID_TWO_FACTOR_COOKIE")
    return Verifier(plugin, user, None, challenge_id, row.expires_at)
