"""What the admin plugin adds to the schema, and the database hooks that enforce it
(docs/wire-compatibility.md#roles).

Columns: ``user.role`` / ``banned`` / ``banReason`` / ``banExpires`` and
``session.impersonatedBy``, all ``input=False`` so neither sign-up nor update-user can set them
(docs/security.md#authorization). Indexes: the ones list-users needs at scale (issue 5's benchmark),
created by
``authkit migrate``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...observability import log_event
from ...storage.fields import FieldSpec, IndexSpec

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...db import DatabaseHooks
    from ...endpoints.context import Context
    from ...models import User

USER_FIELDS: tuple[FieldSpec, ...] = (
    # Indexed: list-users filters on it ("every admin"), and it is a short string.
    FieldSpec("role", "string", input=False, index=True),
    FieldSpec("banned", "boolean", default=False, input=False),
    FieldSpec("banReason", "string", input=False),
    FieldSpec("banExpires", "date", input=False),
)
SESSION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("impersonatedBy", "string", input=False),
)
INDEXES: tuple[IndexSpec, ...] = (
    # Sorting (the admin UI's "newest first") and deep pages walk these instead of sorting
    # the whole table; ``id`` is list-users' tie-breaker, so the index yields the final order.
    IndexSpec("user", ("createdAt", "id")),
    IndexSpec("user", ("name", "id")),
    # PostgreSQL can serve LIKE 'prefix%' from a btree only under the C collation; this one
    # works under any (an email-prefix search of 100,000 users is an index scan, not a
    # sequential one). The unique email index does the job on the other databases.
    IndexSpec("user", ("email",), pattern=True),
)

BannedMessage = str | Callable[["User"], str]


class BanCheck:
    """``session.create`` hooks: refuse a banned user's session; lift a ban that expired.

    The ``before`` hook is Better Auth's rule. The ``after`` hook closes the race of
    docs/security.md#authorization:
    a sign-in that read the user just before a ban landed inserts its session just after the
    ban deleted the others; re-reading the user once the row exists finds the ban, and the
    row is deleted again, so once ban-user has returned the user owns no valid session.
    """

    def __init__(self, message: BannedMessage) -> None:
        self.message = message
        self.auth: AuthKit | None = None

    def _banned(self, auth: AuthKit, ctx: Context | None, user: User) -> bool:
        if not user.extra.get("banned"):
            return False
        expires = user.extra.get("banExpires")
        if expires is not None and expires < auth.now():
            auth.db.update_user(ctx, user.id, {"banned": False, "banReason": None,
                                               "banExpires": None, "updatedAt": auth.now()})
            return False
        return True

    def _refusal(self, ctx: Context | None, user: User) -> APIError:
        # A WARNING: a banned user still trying to sign in is worth an operator's look.
        log_event(ctx, "ban.refused", user_id=user.id, reason="BANNED_USER")
        message = self.message(user) if callable(self.message) else self.message
        return APIError(403, "BANNED_USER", message)

    def before(self, data: dict[str, Any], ctx: Context | None) -> None:
        """Raise ``BANNED_USER`` (403, ``banned_user_message``) for a banned user."""
        auth = self.auth
        if auth is None:
            return
        user = auth.db.get_user_by_id(str(data.get("userId")))
        if user is not None and self._banned(auth, ctx, user):
            raise self._refusal(ctx, user)

    def after(self, session: Any, ctx: Context | None) -> None:
        """Undo a session created while a ban was landing (see the class docstring)."""
        auth = self.auth
        if auth is None:
            return
        user = auth.db.get_user_by_id(session.user_id)
        if user is not None and user.extra.get("banned"):
            expires = user.extra.get("banExpires")
            if expires is None or expires >= auth.now():
                auth.db.delete_session(ctx, session.token)
                raise self._refusal(ctx, user)


def default_role_hook(default_role: str) -> Callable[[dict[str, Any], Any], Any]:
    """``user.create`` before hook: a user created without a role gets ``default_role``."""

    def before(data: dict[str, Any], ctx: Any) -> Any:
        if data.get("role") is None:
            return {"data": {"role": default_role}}
        return None

    return before


def admin_emails_hooks(emails: Collection[str], role: str = "admin") -> DatabaseHooks:
    """Database hooks giving ``role`` to users created with one of ``emails``.

    What ``AUTHKIT_ADMIN_EMAILS`` installs for ``authkit serve`` (the reference server's
    ``ADMIN_EMAIL``). Pass them as ``AuthKit(database_hooks=...)``: user hooks run before the
    plugin's, so the plugin's default role does not overwrite this one.
    """
    wanted = frozenset(e.strip().lower() for e in emails if e.strip())

    def before(data: dict[str, Any], ctx: Any) -> Any:
        if str(data.get("email", "")).lower() in wanted:
            return {"data": {"role": role}}
        return None

    return {"user": {"create": {"before": before}}}
