"""Operator commands of the admin plugin: ``authkit set-role``, ``ban``, ``unban``,
``list-users`` (``create-user --role`` lives in ``authkit.cli`` and calls ``create_user``).

They run on the server with the operator's trust, so no session is involved; every write
still goes through the database hooks, as the HTTP routes' do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from . import find_admin, listing, users

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...models import User
    from . import AdminPlugin

LoadApp = Callable[[str | None], Any]


def _admin(load_app: LoadApp, args: argparse.Namespace) -> tuple[AuthKit, AdminPlugin]:
    auth: AuthKit = load_app(args.app)
    plugin = find_admin(auth)
    if plugin is None:
        raise ConfigError(f"`authkit {args.command}` needs the admin plugin: add "
                          "authkit.plugins.admin.admin() to AuthKit(plugins=[...])")
    auth.migrate()
    return auth, plugin


def _target(auth: AuthKit, args: argparse.Namespace) -> User:
    if args.user_id:
        return users.get_user(auth, args.user_id)
    found = auth.db.get_user_by_email(args.email.lower())
    if found is None:
        raise ConfigError(f"no user has the email {args.email!r}")
    return found


def _describe(user: User) -> str:
    role = user.extra.get("role") or "-"
    banned = " banned" if user.extra.get("banned") else ""
    return f"{user.id}  {user.email}  {user.name!r}  role={role}{banned}"


def cmd_set_role(load_app: LoadApp, args: argparse.Namespace) -> int:
    """Replace a user's roles (comma list: ``user,admin``)."""
    auth, plugin = _admin(load_app, args)
    user = _target(auth, args)
    roles = [r for r in args.role.split(",") if r]
    updated = users.set_role(auth, plugin, None, user.id, roles)
    print(f"set role: {_describe(updated)}")
    return 0


def cmd_ban(load_app: LoadApp, args: argparse.Namespace) -> int:
    """Ban a user (their sessions end now)."""
    auth, plugin = _admin(load_app, args)
    user = _target(auth, args)
    banned = users.ban_user(auth, plugin, None, user.id, reason=args.reason,
                            expires_in=args.expires_in)
    until = banned.extra.get("banExpires")
    print(f"banned: {_describe(banned)} until {until.isoformat() if until else 'lifted'}")
    return 0


def cmd_unban(load_app: LoadApp, args: argparse.Namespace) -> int:
    """Lift a user's ban."""
    auth, _ = _admin(load_app, args)
    user = _target(auth, args)
    print(f"unbanned: {_describe(users.unban_user(auth, None, user.id))}")
    return 0


def cmd_list_users(load_app: LoadApp, args: argparse.Namespace) -> int:
    """Print users, newest first; ``--search`` matches part of the email."""
    auth, _ = _admin(load_app, args)
    fields: dict[str, Any] = {"limit": float(args.limit), "offset": float(args.offset),
                              "sortBy": "createdAt", "sortDirection": "desc"}
    if args.search:
        fields["searchValue"] = args.search
    query = listing.ListUsersQuery(**fields)
    page = listing.list_users(auth, query)
    for user in page.users:
        print(_describe(user))
    print(f"{len(page.users)} of {page.total} user(s)")
    return 0


def add_commands(sub: Any, app_help: str, load_app: LoadApp) -> None:
    """Register the commands on the ``authkit`` argument parser."""

    def target(p: argparse.ArgumentParser) -> None:
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--user-id")
        p.add_argument("--app", default=None, help=app_help)

    def bind(fn: Callable[[LoadApp, argparse.Namespace], int]) -> Callable[..., int]:
        return lambda args: fn(load_app, args)

    p = sub.add_parser("set-role", help="set a user's role(s) (admin plugin)")
    target(p)
    p.add_argument("--role", required=True, help="a role, or a comma list such as user,admin")
    p.set_defaults(func=bind(cmd_set_role))

    p = sub.add_parser("ban", help="ban a user and end their sessions (admin plugin)")
    target(p)
    p.add_argument("--reason", default=None)
    p.add_argument("--expires-in", type=int, default=None, help="seconds (default: permanent)")
    p.set_defaults(func=bind(cmd_ban))

    p = sub.add_parser("unban", help="lift a user's ban (admin plugin)")
    target(p)
    p.set_defaults(func=bind(cmd_unban))

    p = sub.add_parser("list-users", help="list users, newest first (admin plugin)")
    p.add_argument("--search", default=None, help="part of the email")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--app", default=None, help=app_help)
    p.set_defaults(func=bind(cmd_list_users))
