"""``current_user`` as Flask-Login users expect it: always an object, never ``None``.

Signed in it is an ``AuthenticatedUser`` (``is_authenticated`` true, the user's fields as
attributes: ``current_user.email``, ``current_user.role``); signed out an ``AnonymousUser``
(``is_authenticated`` false). Both also test as booleans (``{% if current_user %}``).
"""

from __future__ import annotations

from typing import Any

from authkit import SessionWithUser, User, user_roles


class AuthenticatedUser:
    """The signed-in user: ``.user`` and ``.session`` are authkit's values."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, session: SessionWithUser, *,
                 roles: frozenset[str] | None = None) -> None:
        self.session = session
        self.user: User = session.user
        self._roles = roles

    def get_id(self) -> str:
        """The user id (Flask-Login's name)."""
        return self.user.id

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles (the admin plugin's ``role`` column, read by the app's role
        model when the extension built this user)."""
        return self._roles if self._roles is not None else user_roles(self.user)

    def __getattr__(self, name: str) -> Any:
        # Declared fields first (email, name, ...), then additional ones such as ``role``.
        user = self.__dict__["user"]
        if name in user.extra:
            return user.extra[name]
        return getattr(user, name)

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuthenticatedUser) and other.user.id == self.user.id

    def __hash__(self) -> int:
        return hash(self.user.id)

    def __repr__(self) -> str:
        return f"<AuthenticatedUser {self.user.id}>"


class AnonymousUser:
    """Nobody is signed in."""

    is_authenticated = False
    is_anonymous = True
    is_active = False
    user: User | None = None
    session: SessionWithUser | None = None
    id: str | None = None
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = frozenset()

    def get_id(self) -> None:
        """No id (Flask-Login's name)."""
        return

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<AnonymousUser>"


ANONYMOUS = AnonymousUser()
