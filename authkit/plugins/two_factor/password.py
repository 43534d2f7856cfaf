"""The password re-check that guards enabling, disabling and revealing 2FA material."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...endpoints.sign_up import check_password_length
from ...errors import APIError
from ...passwords import verify_any

if TYPE_CHECKING:
    from ...endpoints.context import Context


def require_password(ctx: Context, user_id: str, password: str | None, *,
                     allow_passwordless: bool) -> None:
    """400 ``INVALID_PASSWORD`` unless ``password`` is the user's.

    With ``allow_passwordless`` a user who has no password (social or passkey only) passes
    without one; a user who has one must still give it.
    """
    auth = ctx.auth
    account = auth.db.get_credential_account(user_id)
    if allow_passwordless and (account is None or not account.password):
        return
    if not password:
        raise APIError(400, "INVALID_PASSWORD")
    check_password_length(ctx, password, minimum=False)
    if account is None or not account.password:
        auth.hasher.dummy_verify(password)  # the same work as a wrong password
        raise APIError(400, "INVALID_PASSWORD")
    if not verify_any(password, account.password, auth.hasher):
        raise APIError(400, "INVALID_PASSWORD")
