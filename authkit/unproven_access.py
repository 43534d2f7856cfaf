"""Taking over an unverified account by proving the mailbox (Better Auth's
``revokeUnprovenAccountAccess``).

Magic links and email codes prove that the caller reads the mailbox. When the address
belongs to an account whose email was never verified, whoever created that account may not
be the mailbox owner: an attacker can register the victim's address with a password first
and wait. So before the mailbox owner is signed in, every account of the user (the password
too, and OAuth links) and every session is deleted, and the address is marked verified: the
owner inherits nothing the unproven creator set up. Verified users keep everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import APIError
from .observability import log_event

if TYPE_CHECKING:
    from .endpoints.context import Context
    from .models import User


def revoke_unproven_access(ctx: Context, user: User) -> User:
    """Delete the accounts and sessions of an unverified ``user`` and mark it verified.

    All three writes commit together, so a failure leaves the account as it was. A verified
    user is returned unchanged.
    """
    if user.email_verified:
        return user
    auth = ctx.auth
    with auth.db.transaction() as tx:
        accounts = tx.delete_user_accounts(ctx, user.id)
        sessions = tx.delete_user_sessions(ctx, user.id)
        updated = tx.update_user(ctx, user.id, {"emailVerified": True, "updatedAt": auth.now()})
        if updated is None:
            raise APIError(500, "FAILED_TO_UPDATE_USER")
    log_event(ctx, "account.unproven_access_revoked", user_id=user.id, accounts=accounts,
              sessions=sessions)
    return updated
